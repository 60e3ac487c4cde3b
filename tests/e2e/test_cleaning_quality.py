"""Cleaning quality gate on the hand-labelled evaluation set (`tests/data/cleaning_eval.jsonl`,
built and scored by `bench/cleaning_eval.py`): the goals of issue 3 (boilerplate left in at most
1% of articles, at least 99.5% of body lines kept) and floors pinned just under what the cleaner
measured. Raise the floors when cleaning gets better; never lower them to make a change pass.

    python bench/cleaning_eval.py --verbose     # what fails, with diffs
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from akhbar.tasks.arabic import normalize_display  # noqa: E402
from akhbar.tasks.clean import untag_inline_hashtags  # noqa: E402

from bench.cleaning_eval import EVAL_SET, FIELDS, evaluate, load_eval  # noqa: E402

pytestmark = pytest.mark.slow

# The goals.
MAX_BOILERPLATE_LEFT_SHARE = 0.01
MIN_BODY_RETENTION = 0.995

# Measured on the 121-article set: retention 1.000, boilerplate recall 0.997, precision 0.998,
# boilerplate left 0.008 (1 article), exact body 0.992 (120/121); fields: title 0.992,
# published_date 1.000, keywords 1.000, source_credit 1.000, agency 1.000, dateline 1.000,
# author 0.992. Known misses: ce-065 (a reporter's name as the last line, France 24),
# ce-111 (an HTML <title> that keeps its " - BBC News عربي" suffix).
FLOORS = {
    "boilerplate_recall": 0.99,
    "precision": 0.99,
    "exact_body_share": 0.99,
}
FIELD_FLOORS = {f: 0.99 for f in FIELDS}


@pytest.fixture(scope="module")
def articles():
    if not EVAL_SET.exists():
        pytest.fail(f"missing evaluation set: {EVAL_SET}")
    return load_eval(EVAL_SET)


@pytest.fixture(scope="module")
def result(articles):
    return evaluate(articles)


def test_evaluation_set_is_well_formed(articles):
    ids = [a["id"] for a in articles]
    assert len(ids) >= 110 and len(set(ids)) == len(ids)
    assert sum(a["format"] == "html" for a in articles) >= 10
    styles = Counter(a["outlet_style"] for a in articles)
    for style in (
        "alarabiya",
        "bbc",
        "france24",
        "cnn",
        "skynews",
        "portal_eg",
        "wp_news",
        "wire_reprint",
        "translated_tabloid",
        "generic_portal",
        "gulf_agency",
    ):
        assert styles[style] >= 5, (style, styles)
    # about 15% of the articles carry no boilerplate at all, and every article keeps some body
    clean = [
        a for a in articles if not a["boilerplate_lines"] and not a["fields"]["dateline"] and not a["fields"]["agency"]
    ]
    assert len(clean) >= 0.12 * len(articles)
    for a in articles:
        assert set(a) == {
            "id",
            "outlet_style",
            "format",
            "raw",
            "title",
            "body_lines",
            "boilerplate_lines",
            "fields",
        }, a["id"]
        assert set(a["fields"]) == set(FIELDS) - {"title"}, a["id"]
        assert a["body_lines"], a["id"]
        # expected lines are written as the cleaner outputs them (display-normalized)
        assert all(line == normalize_display(line) for line in a["body_lines"]), a["id"]
        if a["format"] == "txt":
            # ... from the raw text, where a site's inline tag links ("#إسطنبول") become words
            raw = "\n".join(untag_inline_hashtags(line) for line in normalize_display(a["raw"]).split("\n"))
            assert all(line in raw for line in a["body_lines"]), a["id"]
            raw_lines = a["raw"].replace("\r\n", "\n").split("\n")
            assert all(line in raw_lines for line in a["boilerplate_lines"]), a["id"]


def test_boilerplate_left_in_at_most_one_percent_of_articles(result):
    fig, results = result
    left = [r.id for r in results if r.has_leftover]
    assert fig["boilerplate_left_share"] <= MAX_BOILERPLATE_LEFT_SHARE, f"boilerplate left in {left}"


def test_body_lines_kept(result):
    fig, results = result
    damaged = [r.id for r in results if r.kept < len(r.expected)]
    assert fig["body_retention"] >= MIN_BODY_RETENTION, f"body lines lost in {damaged}"


@pytest.mark.parametrize("metric", sorted(FLOORS))
def test_cleaning_quality_stays_above_floor(result, metric):
    fig, _ = result
    assert fig[metric] >= FLOORS[metric], (
        f"{metric} fell to {fig[metric]} (floor {FLOORS[metric]}); failing: {fig['failing']}"
    )


@pytest.mark.parametrize("name", FIELDS)
def test_field_accuracy_stays_above_floor(result, name):
    fig, results = result
    wrong = [(r.id, r.field_want[name], r.field_got[name]) for r in results if not r.field_ok[name]]
    assert fig["fields"][name] >= FIELD_FLOORS[name], f"{name} accuracy {fig['fields'][name]}: {wrong}"
