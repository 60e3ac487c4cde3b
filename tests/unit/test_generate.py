"""bench/generate.py: generated bodies keep their outlet's furniture at the edges and share no paragraph
(unless one is an injected near copy), whatever the corpus size: the learned step must not find the
generator's own recurrence."""

from __future__ import annotations

import gzip
import json
from collections import Counter

import pytest

from bench.generate import SHARED, SHORT_WORDS, generate


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    if not SHARED.exists():
        pytest.skip("shared corpus not available")
    out = tmp_path_factory.mktemp("gen") / "g.jsonl.gz"
    made = generate(SHARED, 3000, out, seed=7, near_rate=0.02)
    with gzip.open(out, "rt", encoding="utf-8") as f:
        records = [json.loads(line) for line in f]
    copies = {json.loads(line)["id"] for line in open(made["truth"], encoding="utf-8")}
    return records, copies


def test_no_paragraph_recurs_across_generated_articles(generated):
    records, copies = generated
    paragraphs = Counter(
        line
        for r in records
        if r["id"] not in copies
        for line in set(r["text"].split("\n"))
        if len(line.split()) > SHORT_WORDS
    )
    assert len(paragraphs) > 10_000
    recurring = sum(1 for n in paragraphs.values() if n > 1)
    assert recurring / len(paragraphs) < 0.002


def test_copies_are_injected_at_the_rate_asked(generated):
    records, copies = generated
    assert len(records) == 3000 and 30 <= len(copies) <= 90
