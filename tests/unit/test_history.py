"""The warehouse's history as a night asks for it: ids already in the lake by a join against the
night's ids, and only the canonicals the night's bodies may copy (same content hash, or a shared
LSH band key), never the whole lake."""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import pyarrow as pa
from akhbar.schemas.tables import PUBLISHED, RUNS
from akhbar.tasks.dedup import DedupSettings, fingerprints, signature_table, split_fingerprints
from akhbar.tasks.history import History, load_history
from akhbar.tasks.publish import write_tables

CFG = DedupSettings()
WORDS = "سقط المطر على المدينة وخرج الناس إلى الشوارع بعد أسبوع من الحر الشديد في كل الأحياء".split()


def story(seed: int, n: int = 120) -> str:
    rng = np.random.default_rng(seed)
    return " ".join(rng.choice(WORDS, n))


MARCH_1 = datetime(2025, 3, 1, tzinfo=timezone.utc)


def publish(data, run_id: str, bodies: dict[str, str], dates: dict[str, datetime | None] | None = None) -> None:
    """One published run of canonical articles (id -> body, published 1 March 2025 unless `dates`
    says otherwise), with their signatures."""
    sig = fingerprints(list(bodies.values()), CFG)
    when = MARCH_1
    dates = dates or {}
    articles = pa.Table.from_pylist(
        [
            {
                "article_id": a,
                "content_hash": f"hash-{a}",
                "cluster_id": a,
                "is_canonical": True,
                "published_at": dates.get(a, when),
                "run_id": run_id,
            }
            for a in bodies
        ]
    )
    runs = pa.Table.from_pylist([{"run_id": run_id, "started_at": when, "status": "published"}], schema=RUNS)
    signatures = signature_table(articles, sig, run_id, CFG)
    write_tables(data, run_id, {"articles": articles, "signatures": signatures, "runs": runs})


def test_a_night_loads_only_the_canonicals_its_bodies_may_copy(tmp_path):
    bodies = {"a": story(1), "b": story(2), "c": story(3)}
    publish(tmp_path, "r1", bodies)
    history = load_history(tmp_path)
    assert history.lake is not None  # asked of on demand: nothing but the manifest loaded up front

    night = [bodies["b"] + " وأضاف المتحدث", story(9)]  # a near copy of b, and a new story
    body, _, _ = split_fingerprints(fingerprints(night, CFG), CFG)
    found = history.canonicals_for(pa.array(["hash-c", "hash-new"]), body, CFG)  # c: an exact copy by hash
    assert sorted(found.ids) == ["b", "c"]
    assert found.signatures.shape == (2, CFG.num_perm) and found.has_signature.all()
    assert found.canonical_by_hash["hash-c"] == ("c", "c")


def test_a_canonical_outside_every_night_bodys_near_window_is_not_loaded(tmp_path):
    b = story(2)
    copies = {"b-then": b, "b-now": b + " ثم", "b-undated": b + " ولكن"}
    far = datetime(2024, 3, 1, tzinfo=timezone.utc)  # a year before the night: never a near copy
    publish(tmp_path, "r1", copies, {"b-then": far, "b-undated": None})
    night = [b + " وأضاف المتحدث"]  # shares band keys with all three
    body, _, _ = split_fingerprints(fingerprints(night, CFG), CFG)
    history = load_history(tmp_path)
    dated = history.canonicals_for(pa.array(["none"]), body, CFG, np.array([MARCH_1.timestamp() + 3600]))
    assert sorted(dated.ids) == ["b-now", "b-undated"]  # an undated canonical is held to no window
    undated = history.canonicals_for(pa.array(["none"]), body, CFG, np.array([np.nan]))
    assert sorted(undated.ids) == ["b-now", "b-then", "b-undated"]
    by_hash = history.canonicals_for(pa.array(["hash-b-then"]), body, CFG, np.array([MARCH_1.timestamp()]))
    assert "b-then" in by_hash.ids  # an exact copy is held to no window either


def test_known_ids_are_asked_of_the_lake(tmp_path):
    publish(tmp_path, "r1", {"a": story(1), "b": story(2)})
    history = load_history(tmp_path)
    assert history.known(pa.array(["b", "x", "a"])).tolist() == [True, False, True]
    assert not History().known(pa.array(["a"])).any()  # an empty warehouse knows nothing


def test_band_keys_of_another_banding_are_not_trusted(tmp_path):
    bodies = {"a": story(1), "b": story(2)}
    publish(tmp_path, "r1", bodies)
    other = DedupSettings(bands=32, rows=4)  # same signatures, other bands: stored keys do not apply
    body, _, _ = split_fingerprints(fingerprints([story(9)], other), other)
    found = load_history(tmp_path).canonicals_for(pa.array(["none"]), body, other)
    assert sorted(found.ids) == ["a", "b"]  # every signed canonical is a candidate then
    assert PUBLISHED["signatures"].field("band_keys")  # the column the join reads
