"""The readings of random held-out articles (issue 11): verdicts written by reading each article's raw
text against its cleaned text (tests/data/heldout_reading.jsonl, 50 articles; _2.jsonl, 64, and _3.jsonl, 80,
with credits). The pipeline's output on those articles
must still leave exactly the boilerplate lines and lose exactly the body lines the verdicts record, so a
regression (or a fix that was not re-read) shows here."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest import SHARED, need

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from bench.heldout_reading import VERDICTS, cleaned_bodies, draw, load_verdicts, recount  # noqa: E402

# one group: the held-out tests clean the same outlets, once per process (bench/heldout_eval.py)
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("heldout")]


def test_the_verdicts_file_holds_50_read_articles():
    verdicts = load_verdicts(VERDICTS)
    assert len(verdicts) == 50 and len({v["id"] for v in verdicts}) == 50
    for v in verdicts:
        assert set(v) == {"id", "corpus", "outlet", "verdict", "boilerplate", "left", "lost", "note"}
        assert v["verdict"] in ("clean", "boilerplate left", "body lost")
        assert v["corpus"] in ("egynews2013", "antjawhara")
        assert len(v["note"]) <= 120  # a short note, no corpus text beyond a few words
        assert set(v["left"]) <= {x if isinstance(x, int) else x[0] for x in v["boilerplate"]}
    outlets = {v["outlet"] for v in verdicts}
    assert len(outlets) == 12  # every egynews2013 outlet and Jawhara FM


def test_the_pipeline_still_matches_the_verdicts():
    need(SHARED / "corpora" / "egynews2013.jsonl.gz")
    need(SHARED / "corpora" / "antjawhara.jsonl.gz")
    verdicts = load_verdicts(VERDICTS)
    outlets, drawn = draw()
    assert {r.id for r in drawn} == {v["id"] for v in verdicts}  # the seeded draw is the one read
    now = recount(drawn, cleaned_bodies(outlets, drawn), verdicts)
    changed = {
        v["id"]: (v["left"], v["lost"], now[v["id"]])
        for v in verdicts
        if {k: now[v["id"]][k] for k in ("left", "lost")} != {"left": v["left"], "lost": v["lost"]}
    }
    assert not changed
    assert sum(bool(v["lost"]) for v in verdicts) == 0  # no body line lost in the 50


# The second reading (tests/data/heldout_reading_2.jsonl, seed 31): drawn and read after the third pass's
# mechanism was final, nothing changed after. outlet: (articles, with boilerplate left, body lines lost,
# credits right). Read on 2026-12-01: Al-Ahram (5, 1, 0, 4), Tahrir (5, 0, 0, 4), El-Fagr (6, 0, 0, 5), FJP
# (5, 0, 0, 4); the fourth pass was tuned on those four misses (SECOND_FIXED) and fixed them, so these
# figures are no longer held out.
SECOND_FIXED = {
    "egynews2013-Alahram.Newspaper-3781a986-284b-449b-b78a-45cb48f4dcd5",  # closing "more articles by <writer>"
    "egynews2013-Tahrir.News.Official-bd05084b-2f0c-47a7-8522-564bdd9b4ae2",  # op-ed title naming its writer
    "egynews2013-fjp-43fedd46-5c3b-4058-9501-312b9581f278",  # op-ed title naming its writer
    "egynews2013-elfagr-f288f787-3e8d-4eae-9467-255c53eaf984",  # two reporters joined by a dash
}
SECOND_FIGURES = {
    "Alahram.Newspaper": (5, 0, 0, 5),
    "El.Dostor.News": (6, 0, 0, 6),
    "ElWatanNews": (6, 0, 0, 6),
    "Jawhara FM": (5, 0, 0, 5),
    "Tahrir.News.Official": (5, 0, 0, 5),
    "akhbarelyomgate": (5, 0, 0, 5),
    "almasryalyoum": (5, 0, 0, 5),
    "elfagr": (6, 0, 0, 6),
    "fjp": (5, 0, 0, 5),
    "masrawy": (6, 0, 0, 6),
    "officialyoum77": (5, 0, 0, 5),
    "shorouknews": (5, 0, 0, 5),
}


def test_the_second_reading_holds_64_fresh_articles_with_credits():
    from bench.heldout_reading import SECOND, _ids_in

    verdicts = load_verdicts(SECOND.verdicts)
    assert len(verdicts) == 64 and len({v["id"] for v in verdicts}) == 64
    seen = set().union(*(_ids_in(p) for p in SECOND.excluded))
    assert not seen & {v["id"] for v in verdicts}  # none of them read before
    for v in verdicts:
        assert set(v) == {
            "id",
            "corpus",
            "outlet",
            "verdict",
            "boilerplate",
            "left",
            "lost",
            "author",
            "dateline",
            "credit",
            "note",
        }
        assert v["verdict"] == ("boilerplate left" if v["left"] else "body lost" if v["lost"] else "clean")
        assert v["credit"] in ("right", "wrong") and len(v["note"]) <= 120
    assert {v["outlet"] for v in verdicts} == set(SECOND_FIGURES)


def reread_with_credits(reading) -> tuple[dict, dict, int]:
    """A credits reading recounted on the pipeline's output now: the articles whose boilerplate left,
    body lost or credit verdict changed (id -> the recount); the per-outlet figures, `figures`' pooled
    rows too, as (articles, with boilerplate left, body lines lost, credits right); the body lines read."""
    from bench.heldout_reading import figures

    need(SHARED / "corpora" / "egynews2013.jsonl.gz")
    need(SHARED / "corpora" / "antjawhara.jsonl.gz")
    verdicts = load_verdicts(reading.verdicts)
    outlets, drawn = draw(reading)
    assert [r.id for r in drawn] == [v["id"] for v in verdicts]  # the seeded draw is the one read
    fields: dict = {}
    now = recount(drawn, cleaned_bodies(outlets, drawn, fields), verdicts, fields)
    read = ("left", "lost", "credit")
    changed = {v["id"]: now[v["id"]] for v in verdicts if {k: now[v["id"]][k] for k in read} != {k: v[k] for k in read}}
    per = figures(verdicts, now)
    tally = {o: (s["articles"], s["with_left"], s["lost"], s["credit_right"]) for o, s in per.items()}
    return changed, tally, per["all"]["body"]


def test_the_pipeline_still_matches_the_second_reading():
    from bench.heldout_reading import SECOND

    changed, tally, body = reread_with_credits(SECOND)
    # only the four misses the fourth pass fixed changed, each to clean with its credit right
    assert set(changed) == SECOND_FIXED
    assert all(not c["left"] and not c["lost"] and c["credit"] == "right" for c in changed.values())
    assert {o: tally[o] for o in SECOND_FIGURES} == SECOND_FIGURES
    assert tally["all"][2] == 0 and body >= 250


# The third reading (tests/data/heldout_reading_3.jsonl, seed 41, 80 articles): drawn and read after the fourth
# pass's mechanisms were final, nothing changed after. outlet: (articles, with boilerplate left, body lines
# lost, credits right), as read on 2026-12-01. The fourth pass was tuned on Al-Ahram, Tahrir, FJP and El-Fagr
# articles of the second reading (bench/heldout_reading.py TUNED_THIS_PASS); the figures over the other
# outlets, and over the outlets no pass of issue 11 was tuned on (TUNED_EVER), are pinned too.
THIRD_FIGURES = {
    "Alahram.Newspaper": (6, 0, 0, 6),
    "El.Dostor.News": (6, 0, 0, 6),
    "ElWatanNews": (6, 0, 0, 6),
    "Jawhara FM": (6, 0, 0, 6),
    "Tahrir.News.Official": (7, 0, 0, 7),
    "akhbarelyomgate": (7, 0, 0, 7),
    "almasryalyoum": (7, 0, 0, 7),
    "elfagr": (9, 0, 0, 9),
    "fjp": (6, 0, 0, 6),
    "masrawy": (6, 0, 0, 5),
    "officialyoum77": (7, 0, 0, 7),
    "shorouknews": (7, 0, 0, 7),
}
THIRD_POOLED = {
    "all": (80, 0, 0, 79),
    "held out of this pass": (52, 0, 0, 51),
    "held out of all passes": (20, 0, 0, 20),
}


def test_the_third_reading_holds_80_fresh_articles_with_credits():
    from bench.heldout_reading import THIRD, _ids_in

    verdicts = load_verdicts(THIRD.verdicts)
    assert len(verdicts) == 80 and len({v["id"] for v in verdicts}) == 80
    seen = set().union(*(_ids_in(p) for p in THIRD.excluded))
    assert not seen & {v["id"] for v in verdicts}  # none of them read before, in any reading or label file
    second = load_verdicts(THIRD.excluded[2])
    for v in verdicts:
        assert list(v) == list(second[0])  # the second reading's shape, field for field
        assert v["verdict"] == ("boilerplate left" if v["left"] else "body lost" if v["lost"] else "clean")
        assert v["credit"] in ("right", "wrong") and len(v["note"]) <= 120
    assert {v["outlet"] for v in verdicts} == set(THIRD_FIGURES)


def test_the_pipeline_still_matches_the_third_reading():
    from bench.heldout_reading import THIRD

    changed, tally, body = reread_with_credits(THIRD)
    assert not changed
    assert {o: tally[o] for o in THIRD_FIGURES} == THIRD_FIGURES
    assert {o: tally[o] for o in THIRD_POOLED} == THIRD_POOLED
    assert body >= 300
