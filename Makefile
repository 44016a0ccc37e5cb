# Quick start: `make demo` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint typecheck pytest bench bench-service bench-redis wrk redis-server java serve clean chromium screenshot bench-report

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade "pip>=25.1"

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[report]'
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e ".[html,redis,report,spark]" --group dev
	touch $@ $(VENV)/.installed

# The summary table on stderr, the outputs and the HTML report in .venv/ (the last line says where).
demo: $(VENV)/.installed
	$(BIN)/dedup cluster examples/peru.txt examples/coups.txt -o $(VENV)/demo-paragraphs.jsonl \
		--clusters $(VENV)/demo-clusters.jsonl --min-docs 2 --summary --report $(VENV)/report.html

test: lint typecheck pytest

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check dedup service tests bench
	$(BIN)/ruff format --check dedup service tests bench

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy dedup service bench tests

pytest: $(VENV)/.installed-dev wrk redis-server chromium java
	$(BIN)/pytest -q

# wrk (Debian's package) drives the service load benchmark; installed when we may (root + apt).
wrk:
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
		{ apt-get install -y -qq wrk >/dev/null 2>&1 || \
		  { apt-get update -qq >/dev/null && apt-get install -y -qq wrk >/dev/null; }; }; } || \
		echo "note: wrk is not installed (apt-get install wrk); its benchmark test is skipped"

# redis-server (Debian's package) backs the tests of the Redis store; installed when we may.
redis-server:
	@command -v redis-server >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
		{ apt-get -o DPkg::Lock::Timeout=600 install -y -qq redis-server >/dev/null 2>&1 || \
		  { apt-get update -qq >/dev/null && \
		    apt-get -o DPkg::Lock::Timeout=600 install -y -qq redis-server >/dev/null; }; }; } || \
		echo "note: redis-server is not installed (apt-get install redis-server); its tests are skipped"

# Debian's chromium runs the report's browser test (Playwright drives it; no browser download).
chromium:
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
		{ apt-get -o DPkg::Lock::Timeout=600 install -y -qq chromium >/dev/null 2>&1 || \
		  { apt-get update -qq >/dev/null && \
		    apt-get -o DPkg::Lock::Timeout=600 install -y -qq chromium >/dev/null; }; }; } || \
		echo "note: chromium is not installed (apt-get install chromium); the browser test is skipped"

# The README's screenshot, made by the browser test's code from the demo's report.
screenshot: $(VENV)/.installed-dev chromium
	$(BIN)/python -m bench.report_browser --screenshot docs/report.png

bench-report: $(VENV)/.installed-dev chromium
	$(BIN)/python -m bench.report_browser --pages 5000 --runs 5

# Java 17 runs the Spark engine's tests (Debian's package, installed when we may: root + apt).
java:
	@{ command -v java >/dev/null && java -version 2>&1 | grep -qE 'version "(1[7-9]|2[0-9])'; } || \
		{ [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
		{ apt-get -o DPkg::Lock::Timeout=600 install -y -qq openjdk-17-jre-headless >/dev/null 2>&1 || \
		  { apt-get update -qq >/dev/null && \
		    apt-get -o DPkg::Lock::Timeout=600 install -y -qq openjdk-17-jre-headless >/dev/null; }; }; } || \
		echo "note: Java 17 is not installed (apt-get install openjdk-17-jre-headless); the Spark tests are skipped"

bench: $(VENV)/.installed-dev
	$(BIN)/python -m bench.cluster --pages 1000 --runs 3

bench-service: $(VENV)/.installed-dev wrk
	$(BIN)/python -m bench.service_load --pages 1000 --runs 3 --concurrency 1,8,32,64 --duration 10

bench-redis: $(VENV)/.installed-dev redis-server wrk
	$(BIN)/python -m bench.redis_load --pages 1000 --join-pages 5000 --runs 3

serve: $(VENV)/.installed
	$(BIN)/dedup serve --data $(VENV)/serve-data

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
