"""The five seeds come out exactly as their hand-checked golden files (tests/data/seeds_golden.json):
every body line, every removed span with its rule, and the metadata. The golden files hold line
numbers, not seed text; the expected body is rebuilt here from ../shared/seeds."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from akhbar.tasks.arabic import normalize_display
from akhbar.tasks.clean import clean_text
from conftest import SEEDS, need

GOLDEN = json.loads((Path(__file__).resolve().parents[1] / "data" / "seeds_golden.json").read_text(encoding="utf-8"))[
    "seeds"
]
# Seeds whose tag line joins its tags with single spaces (cut by tasks/clean.py: segment_space_tags).
SPACE_SEPARATED_TAGS = {"000", "004"}


def source_lines(seed: str) -> list[str]:
    raw = need(SEEDS / GOLDEN[seed]["file"]).read_text(encoding="utf-8")
    return [normalize_display(line).strip() for line in raw.split("\n")]


def expected_body(seed: str) -> str:
    src = source_lines(seed)
    out = []
    for ref in GOLDEN[seed]["body"]:
        n, start = (ref, 0) if isinstance(ref, int) else ref
        out.append(src[n - 1][start:].strip())
    return "\n".join(out)


def expected_removed(seed: str) -> list[tuple[str, str, str]]:
    src = source_lines(seed)
    out = []
    for r in GOLDEN[seed]["removed"]:
        if "lines" in r:
            first, last = r["lines"]
            text = "\n".join(s for s in src[first - 1 : last] if s)
        else:
            n, start, end = r["span"]
            text = src[n - 1][start:end]
        out.append((r["rule"], r["category"], text))
    return sorted(out)


@pytest.mark.parametrize("seed", sorted(GOLDEN))
def test_seed_body_and_removed_spans_match_the_golden_file(seed):
    c = clean_text("\n".join(source_lines(seed)))
    assert c.body == expected_body(seed)
    assert sorted(c.removed) == expected_removed(seed)


@pytest.mark.parametrize("seed", sorted(GOLDEN))
def test_seed_metadata_matches_the_golden_file(seed):
    g = GOLDEN[seed]
    c = clean_text("\n".join(source_lines(seed)))
    published = datetime.fromisoformat(g["published_at"]) if g["published_at"] else None
    assert (c.title, c.published_at, c.author, c.source_credit, c.agency, c.dateline) == (
        g["title"],
        published,
        g["author"],
        g["source_credit"],
        g["agency"],
        g["dateline"],
    )
    assert [normalize_display(k) for k in c.keywords] == g["keywords"]


@pytest.mark.parametrize("seed", sorted(SPACE_SEPARATED_TAGS))
def test_space_separated_tags_are_split_as_a_reader_would(seed):
    c = clean_text("\n".join(source_lines(seed)))
    assert [normalize_display(k) for k in c.keywords] == GOLDEN[seed]["keywords"]
