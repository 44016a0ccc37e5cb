"""Schemathesis drives the running service from its own OpenAPI document; no server error."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from server_process import ServerProcess

from service.openapi import build_openapi
from service.settings import ServiceSettings

# Bounded: a few dozen generated requests per operation keep the run well under a minute.
MAX_EXAMPLES = 60
# The subprocess runs with the default settings; only the data directory differs, and the
# document does not depend on it. test_served_document_is_the_tested_one checks that.
DOCUMENT = build_openapi(ServiceSettings(data=Path("unused")))
schema = schemathesis.openapi.from_dict(DOCUMENT)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """The service in a subprocess on a loopback port, with a fresh store."""
    data: Path = tmp_path_factory.mktemp("schemathesis") / "data"
    with ServerProcess(data) as process:
        yield process


def test_served_document_is_the_tested_one(server: ServerProcess) -> None:
    """The running service serves exactly the document schemathesis tests against."""
    with urllib.request.urlopen(f"{server.url}/openapi.json", timeout=10) as response:
        assert json.load(response) == json.loads(json.dumps(DOCUMENT))


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_openapi_document(
    case: schemathesis.Case[schemathesis.APIOperation[Any, Any, Any, Any]], server: ServerProcess
) -> None:
    """Every generated request gets a documented status and body, and never a 5xx."""
    case.call_and_validate(base_url=server.url)
