"""Dedup quality on the shared corpus, pinned: labelled real pairs, generated variants of real
articles and the corpus's own same-URL copies, among 2,000 distractors (bench/dedup_eval.py builds
the set; `make bench-dedup` prints the same figures next to datatrove's). The floors sit just
under what akhbar measured with its default settings (see FLOORS); raise them when
dedup gets better, never lower them to make a change pass."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpora" / "ant-2018.jsonl.gz"
sys.path.insert(0, str(REPO))

from bench.dedup_eval import (  # noqa: E402
    LABELS,
    NEAR_KINDS,
    NORMALIZATION_KINDS,
    build_eval_set,
    evaluate_akhbar,
    load_corpus,
    load_labels,
)

pytestmark = pytest.mark.slow

# measured 2026-11-23 with the default DedupSettings (body threshold 0.9; lead check: body Jaccard
# >= 0.3 and lead overlap >= 0.4; 64x2 bands; union-find), whole set: exact 1.000/1.000, near
# 0.993/0.950, overall 0.999/0.990, labelled real pairs 0.947/0.845 (P/R). Before the lead check
# (0.8, 20x6): near 0.984/0.828, labelled 0.750/0.286. Measured again 2026-12-01 with star
# clustering, discriminator slots and the 48 h window: the same figures (no dates in this set).
FLOORS = {
    ("exact", "precision"): 0.99,
    ("exact", "recall"): 0.99,
    ("near", "precision"): 0.99,
    ("near", "recall"): 0.94,
    ("near", "f1"): 0.96,
    ("overall", "precision"): 0.995,
    ("overall", "recall"): 0.985,
    ("overall", "f1"): 0.99,
    ("labelled", "precision"): 0.94,
    ("labelled", "recall"): 0.84,
}
MAX_LABELLED_NEGATIVES_JOINED = 4  # of 70 hard negatives, measured 4 (8 before the lead check)


@pytest.fixture(scope="module")
def result():
    if not CORPUS.exists():
        pytest.fail(f"missing shared corpus: {CORPUS} (tests expect ../shared beside the repo)")
    es = build_eval_set(load_corpus(CORPUS), load_labels(LABELS))
    scores, _ = evaluate_akhbar(es)
    return es, scores, None  # speed: `make bench-dedup`, not a timed test


def test_evaluation_set_is_the_pinned_one(result):
    es, _, _ = result
    counts = es.counts()
    labels = load_labels(LABELS)
    assert sum(e["label"] == "duplicate" for e in labels["pairs"]) >= 60
    assert sum(e["label"] == "distinct" for e in labels["pairs"]) >= 60
    assert counts["docs/source"] == 150 and counts["docs/variant"] == 150 * 11
    assert counts["docs/distractor"] == 2000
    assert counts["positive/exact_copy/exact_copy"] > 1000


@pytest.mark.parametrize("metric", sorted(FLOORS), ids=lambda m: "-".join(m))
def test_dedup_quality_stays_above_floor(result, metric):
    _, scores, _ = result
    method, name = metric
    assert scores[method][name] >= FLOORS[metric], (
        f"{method} {name} fell to {scores[method][name]} (floor {FLOORS[metric]}); "
        f"missed: {scores['missed'][:10]} false: {scores['false_pairs'][:10]}"
    )


def test_hard_negatives_stay_apart(result):
    _, scores, _ = result
    assert scores["labelled_negatives"]["joined"] <= MAX_LABELLED_NEGATIVES_JOINED, scores["false_pairs"]


def test_pure_normalization_variants_are_exact_copies(result):
    """Letter variants, diacritics/tatweel and punctuation: every one found, by content hash."""
    _, scores, _ = result
    for kind in NORMALIZATION_KINDS:
        k = scores["by_kind"][kind]
        assert k["recall"] == 1.0, (kind, k)
        assert k["same_hash"] == k["pairs"], (kind, k)


def test_boilerplate_and_headline_variants_are_exact_copies(result):
    _, scores, _ = result
    for kind, k in scores["by_kind"].items():
        if kind.startswith("boilerplate_") or kind == "headline_changed" or kind == "exact_copy":
            assert k["recall"] == 1.0 and k["same_hash"] == k["pairs"], (kind, k)


def test_near_kinds_are_reported(result):
    _, scores, _ = result
    assert set(NEAR_KINDS) <= set(scores["by_kind"])
    assert not scores["unknown_pairs"], scores["unknown_pairs"]


def test_held_out_half_stays_above_floor():
    """The defaults were chosen on the tuning half (bench/dedup_eval.py --grid); the held-out half,
    deduplicated on its own, measured near 0.991/0.963 and labelled 0.919/0.850 (P/R)."""
    from bench.dedup_eval import evaluate_parts

    es = build_eval_set(load_corpus(CORPUS), load_labels(LABELS))
    from bench.dedup_eval import prepare

    held = evaluate_parts(es, prepare(es))["held"]
    assert held["near"]["precision"] >= 0.985 and held["near"]["recall"] >= 0.955, held["near"]
    assert held["labelled"]["precision"] >= 0.91 and held["labelled"]["recall"] >= 0.84, held["labelled"]


# The labelled egynews2013 pairs (tests/data/dedup_corpus_labels.json, the story samples of
# bench/dedup_eval.py STORY_SAMPLES), their articles deduplicated on their own (bench/dedup_eval.py
# labelled_corpus_scores). Measured 2026-12-01 (afternoon): copies 38/40 found, 0/42 formula pairs
# joined (before the revision window: 32/40; before star clustering and discriminators: 39/40 found,
# 42/42 joined); evening, with the procedural-step slot: the same 38/40 and 0/42 (night: the same).
@pytest.fixture(scope="module")
def corpus_scores():
    from bench.dedup_eval import CORPORA, labelled_corpus_scores

    if not CORPORA["egynews2013"].exists():
        pytest.fail(f"missing shared corpus: {CORPORA['egynews2013']}")
    return labelled_corpus_scores()


def test_formula_series_are_not_copies(corpus_scores):
    """Daily tallies, truck counts, court sessions, numbered flights: 42 labelled pairs, each
    sharing most of its text; none joined (all before: 42). Copies with a count, a weekday or a
    town revised within hours: joined (38 of 40 copies)."""
    c = corpus_scores["copies"]
    assert c["fp"] == 0 and c["tp"] >= 38, (c["fp"], c["tp"], c["wrong"])


# Story level on the labelled articles alone (tasks/stories.py: centroid grouping in time order, the join
# threshold rising with the story's age, figures as story terms, stories open 24 h after their last
# article; the idf is that of these ~1,000 articles), measured 2026-12-02 (seventh pass), P / R (tp, fp, fn):
# old 58 0.947 / 0.973 (36, 2, 1), random 60 0.944 / 0.809 (17, 1, 4), held-out 50 0.926 / 0.862 (25, 2, 4),
# fresh random 59 0.833 / 0.652 (15, 3, 8), fresh2 random 62 0.600 / 0.706 (12, 8, 5), fresh3 random 62
# 0.947 / 0.857 (18, 1, 3), fresh4 random 60 0.833 / 0.714 (15, 3, 6), fresh5 random 60 0.609 / 0.636 (14,
# 9, 8), fresh6 random 60 (read before scoring, for the idle-time choice) 1.000 / 0.680 (17, 0, 8). Each
# floor is the figure with one pair worse (one more different pair joined, or one more same-story pair
# missed): two more fail it. The whole-corpus figures (BENCHMARKS.md, `python bench/dedup_eval.py
# --stories`) are the ones to read.
STORY_FLOORS = {
    "old 58 (tuned on)": (0.92, 0.94),
    "random 60 (tuned on)": (0.89, 0.76),
    "held-out 50 (half/half)": (0.89, 0.82),
    "fresh random 59": (0.78, 0.60),
    "fresh2 random 62": (0.57, 0.64),
    "fresh3 random 62": (0.90, 0.80),
    "fresh4 random 60": (0.78, 0.66),
    "fresh5 random 60": (0.58, 0.59),
    "fresh6 random 60": (0.94, 0.64),
}


@pytest.mark.parametrize("sample", list(STORY_FLOORS))
def test_story_level_stays_above_floor(corpus_scores, sample):
    s, (p, r) = corpus_scores["stories"][sample], STORY_FLOORS[sample]
    assert s["precision"] >= p and s["recall"] >= r, (s["precision"], s["recall"], s["wrong"])
