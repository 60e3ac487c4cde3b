"""Exact dedup: hash equality after normalization, canonical choice, and history across nights."""
from __future__ import annotations

from datetime import datetime, timezone

import pyarrow as pa

from tasks.dedup import exact_dedup
from tasks.normalize import content_hash, normalize_batch
from tasks.arabic import normalize_search


def table(rows):
    return pa.Table.from_pylist(rows)


def art(aid, body, published=None):
    return {"article_id": aid, "body": body, "published_at": published}


BODY = "أعلنت الحكومة اليوم عن خطة جديدة لدعم المزارعين في المناطق الريفية."
VARIANT = "اعلنت الحكومـــة اليوم عن خطة جديدة لدعم المزارعين في المناطق الريفيه!!"


def test_hash_ignores_diacritics_letter_variants_punctuation_tatweel():
    assert content_hash(normalize_search(BODY)) == content_hash(normalize_search(VARIANT))
    assert content_hash(normalize_search(BODY)) != content_hash(normalize_search(BODY + " وأضافت"))


def test_canonical_is_earliest_then_longest_then_smallest_id():
    d1 = datetime(2024, 1, 2, tzinfo=timezone.utc)
    d0 = datetime(2024, 1, 1, tzinfo=timezone.utc)
    t = normalize_batch(table([art("c", BODY, d1), art("b", VARIANT, d0), art("a", BODY, None), art("z", "خبر آخر مختلف تماما.", None)]))
    out, dups = exact_dedup(t, {}, "r1")
    rows = {r["article_id"]: r for r in out.to_pylist()}
    assert rows["b"]["is_canonical"] and not rows["a"]["is_canonical"] and not rows["c"]["is_canonical"]
    assert rows["a"]["cluster_id"] == rows["c"]["cluster_id"] == "b"
    assert rows["z"]["is_canonical"] and rows["z"]["cluster_id"] == "z"
    assert sorted((d["article_id"], d["canonical_id"], d["method"]) for d in dups.to_pylist()) == [("a", "b", "exact"), ("c", "b", "exact")]

    # without dates: longest body wins, then the smallest id
    t = normalize_batch(table([art("y", BODY), art("x", BODY)]))
    out, _ = exact_dedup(t, {}, "r1")
    assert [r["article_id"] for r in out.to_pylist() if r["is_canonical"]] == ["x"]


def test_copy_of_a_story_already_in_the_warehouse_joins_its_cluster():
    t = normalize_batch(table([art("new", VARIANT)]))
    h = t["content_hash"][0].as_py()
    out, dups = exact_dedup(t, {h: ("old", "cluster-old")}, "r2")
    r = out.to_pylist()[0]
    assert (r["is_canonical"], r["cluster_id"]) == (False, "cluster-old")
    assert dups.to_pylist()[0]["canonical_id"] == "old"
