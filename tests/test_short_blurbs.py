"""Titles and other short blurbs: the pairs of issue 10 that match and those that stay apart,
through the batch core, the Index, the CLI flags, the service settings and an older store."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import dedup
from dedup.cli import main
from dedup.errors import ConfigError, IncompatibleSignatureError
from dedup.index.index import STORE_FILE
from dedup.stores.sqlite import SQLiteStore
from dedup.text.titles import is_sentence, title_core
from service.arguments import settings_from_args

# Variants of one title that must match at default settings (issue 10, section 1).
SAME = [
    (  # a title cut at another length by another template
        "Two Swiss Guides Who Survived The 1999 Interlaken",
        "Two Swiss Guides Who Survived The 1999 Interlaken Canyoning",
    ),
    (
        "Australia Is Continuing To Negotiate With The United",
        "Australia Is Continuing To Negotiate With The United States Government",
    ),
    (  # the same title in capitals and cut shorter
        "AUSTRALIAN SWIMMERS HAVE WON NINE OF THE 12",
        "Australian Swimmers Have Won Nine Of The 12 Events Contested",
    ),
    (  # one typo, then two
        "Sweeping Reforms Pass Congress Despite Protests In Lima",
        "Sweping Reforms Pass Congress Despite Protests In Lima",
    ),
    (
        "Sweeping Reforms Pass Congress Despite Protests In Lima",
        "Sweping Reforms Pass Congres Despite Protests In Lima",
    ),
    (  # the site's name around it, as <title> elements print it
        "Massive Protests In Peru Force Boluarte To Advance Elections",
        "Massive Protests In Peru Force Boluarte To Advance Elections | Example News",
    ),
    (
        "The US Egged On The Coup In Peru",
        "Example News – The US Egged On The Coup In Peru",
    ),
    (
        "Judicial Coup In Argentina | Example News",
        "Example News – Judicial Coup In Argentina",
    ),
]
# Pairs that must stay apart.
APART = [
    (  # different titles that share their first words
        "Massive Protests In Peru Force Boluarte To Advance Elections",
        "Massive Protests In Peru Continue As Death Toll Rises",
    ),
    (
        "Peru Coup: CIA Agent Turned US Ambassador Met With Defense Minister",
        "Peru Coup: Castillo Under Arrest, People Demand A Constituent Assembly",
    ),
    (  # a title and its own story's teaser, which begins with the same words
        "The US Egged On The Coup In Peru",
        "The US Egged On The Coup In Peru, say the lawyers of Pedro Castillo, who sat in his "
        "office on what would be the last day of his presidency while his advisers went over "
        "spreadsheets that showed he would triumph over a motion in Congress to remove him.",
    ),
    (  # different short boilerplate lines
        "Sign Up To Our Daily Digest",
        "Urgent End Of Year Fundraising Campaign",
    ),
    ("Skip to content", "Skip to main content"),
    (  # a short line and the longer block it was split from, as in examples/
        "Online donations are back!",
        "Online donations are back! Keep independent media alive.",
    ),
    (
        "Keep independent media alive.",
        "Online donations are back! Keep independent media alive.",
    ),
    (
        "Every gift is matched until December 31.",
        "Every gift is matched until December 31. Donate today.",
    ),
]


def _together(first: str, second: str, config: dedup.DedupConfig | None = None) -> bool:
    result = dedup.cluster([("a", first), ("b", second)], config, jobs=1)
    a, b = result.paragraphs
    return a.cluster is not None and a.cluster == b.cluster


@pytest.mark.parametrize(("first", "second"), SAME)
def test_title_variants_match(first: str, second: str) -> None:
    """Each variant pair is one cluster in the batch core, and the Index matches it too."""
    assert _together(first, second)
    index = dedup.Index()
    added = index.add("a", first)
    found = index.match(second)[0]
    assert found is not None
    assert found.cluster == added.paragraphs[0].cluster


@pytest.mark.parametrize(("first", "second"), APART)
def test_other_short_blurbs_stay_apart(first: str, second: str) -> None:
    """Each pair stays apart in the batch core and in the Index."""
    assert not _together(first, second)
    index = dedup.Index()
    index.add("a", first)
    assert index.match(second)[0] is None


def test_word_shingles_alone_miss_the_variants() -> None:
    """With character shingles off (as stores made before them), the variants stay apart: the
    flag is what makes them match. (The first pair is left out: its word 5-gram Jaccard is
    exactly 0.8, the short threshold, so its estimate falls on either side by chance.)"""
    words_only = dedup.DedupConfig(char_ngram=None)
    assert not any(_together(a, b, words_only) for a, b in SAME[1:4])


def test_title_core_and_sentences() -> None:
    """The site's name goes when it is short and a real title is left; sentences are told."""
    assert title_core("Peru Rises Up After Coup | Example News") == "Peru Rises Up After Coup"
    assert title_core("The Daily Planet – Peru Rises Up After Coup") == "Peru Rises Up After Coup"
    assert title_core("Peru Rises Up After Coup") is None
    assert title_core("Thank you — log in") is None  # two words would be left
    assert title_core("Anti-Coup Protests Spread To Lima") is None  # an unspaced hyphen
    assert is_sentence("Donate today.")
    assert is_sentence("“We are here.”")
    assert not is_sentence("Peru Rises Up After Coup...")
    assert not is_sentence("Why Peru?")


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"char_ngram": 1}, "char_ngram=1 is outside [2, 16]"),
        ({"char_ngram": 4.5}, "char_ngram=4.5 is outside [2, 16]"),
        ({"short_containment": 0.0}, "short_containment=0.0 is outside (0, 1]"),
        ({"short_length_ratio": 1.5}, "short_length_ratio=1.5 is outside (0, 1]"),
    ],
)
def test_bad_short_settings_say_what_to_do(values: dict[str, object], message: str) -> None:
    """Each new setting is validated, and the message names a remedy."""
    with pytest.raises(ConfigError, match=re.escape(message)) as caught:
        dedup.DedupConfig(**values)  # type: ignore[arg-type]
    assert "; " in str(caught.value)


def test_cli_flags_set_the_short_rule(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--char-ngram off keeps a cut title apart; bad values exit 2 naming the flag."""
    pages = tmp_path / "pages.jsonl"
    first, second = SAME[1]  # not SAME[0]: its word Jaccard is the short threshold itself
    pages.write_text(
        json.dumps({"id": "a", "text": first}) + "\n" + json.dumps({"id": "b", "text": second})
    )
    out = tmp_path / "out.jsonl"
    clusters = []
    stricter = ["--short-length-ratio", "0.95", "--short-threshold", "0.95"]
    for flags in ([], ["--char-ngram", "off"], stricter):
        assert main(["cluster", str(pages), "-o", str(out), "--jobs", "1", *flags]) == 0
        rows = [json.loads(line) for line in out.read_text().splitlines()]
        clusters.append(rows[0]["cluster"] is not None)
    assert clusters == [True, False, False]
    assert main(["cluster", str(pages), "-o", str(out), "--char-ngram", "1"]) == 2
    assert "--char-ngram: 1 is outside [2, 16]" in capsys.readouterr().err
    assert main(["cluster", str(pages), "-o", str(out), "--short-containment", "2"]) == 2
    assert "--short-containment: 2.0 is outside (0, 1]" in capsys.readouterr().err


def test_service_settings_carry_the_short_rule() -> None:
    """The service reads the same settings from flags or the environment."""
    settings = settings_from_args(
        {"data": "d", "short_containment": "0.9"}, {"DEDUP_CHAR_NGRAM": "off"}
    )
    config = settings.dedup_config()
    assert config is not None
    assert (config.char_ngram, config.short_containment) == (None, 0.9)
    with pytest.raises(ConfigError, match="DEDUP_SHORT_LENGTH_RATIO"):
        settings_from_args({"data": "d"}, {"DEDUP_SHORT_LENGTH_RATIO": "wide"})
    with pytest.raises(ConfigError, match=re.escape("short_length_ratio=2.0 is outside")):
        settings_from_args({"data": "d"}, {"DEDUP_SHORT_LENGTH_RATIO": "2"})


def test_a_store_made_before_character_shingles_keeps_its_rule(tmp_path: Path) -> None:
    """A store whose recorded config predates char_ngram opens with word shingles only, so
    its signatures are never compared with character ones; asking for character shingles
    refuses with the way to rebuild it."""
    index = dedup.Index.open(tmp_path, dedup.DedupConfig(char_ngram=None))
    index.add("a", SAME[1][0])  # not SAME[0]: its word Jaccard is the short threshold itself
    index.close()
    store = SQLiteStore(tmp_path / STORE_FILE)
    recorded = json.loads(store.settings()["config"])
    old = {k: v for k, v in recorded.items() if k not in {"char_ngram", "short_containment"}}
    store.save_settings({"config": json.dumps(old)})
    store.close()
    reopened = dedup.Index.open(tmp_path)
    assert reopened.config.char_ngram is None
    assert reopened.match(SAME[1][1])[0] is None  # the old rule: a cut title is not matched
    reopened.close()
    with pytest.raises(IncompatibleSignatureError, match="dedup index build"):
        dedup.Index.open(tmp_path, dedup.DedupConfig())


def test_a_new_store_records_the_short_rule(tmp_path: Path) -> None:
    """A new store records char_ngram and friends, and reopens with them."""
    config = dedup.DedupConfig(short_length_ratio=0.7)
    dedup.Index.open(tmp_path, config).close()
    again = dedup.Index.open(tmp_path)
    assert (again.config.char_ngram, again.config.short_length_ratio) == (3, 0.7)
    again.close()
