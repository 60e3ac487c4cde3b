"""What the warehouse already holds, read straight from the lake's Parquet (no DuckDB file lock):
ids already published or quarantined (a re-ingested record adds no row) and the canonical article of
every content hash (a new copy of an old story joins its cluster)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

import numpy as np

from tasks.dedup import DedupHistory, DedupSettings
from tasks.publish import lake_dir


@dataclass
class History:
    known_ids: set[str] = field(default_factory=set)
    known_quarantine: set[tuple[str, str]] = field(default_factory=set)   # (source_uri, md5 of payload)
    dedup: DedupHistory = field(default_factory=DedupHistory.empty)


def load_history(data_dir: Path, cfg: DedupSettings | None = None) -> History:
    lake = lake_dir(data_dir)
    h = History()
    if not (lake / "articles").exists():
        return h
    con = duckdb.connect()
    try:
        def q(table: str, sql: str):
            if not any((lake / table).glob("*.parquet")):
                return []
            src = f"read_parquet('{(lake / table).as_posix()}/*.parquet', union_by_name = true)"
            return con.execute(sql.format(src=src)).fetchall()

        h.known_ids = {r[0] for r in q("articles", "SELECT article_id FROM {src}")}
        h.known_ids |= {r[0] for r in q("quarantine", "SELECT article_id FROM {src} WHERE article_id IS NOT NULL")}
        h.known_quarantine = {(r[0], r[1]) for r in q("quarantine", "SELECT source_uri, md5(coalesce(raw_payload, '')) FROM {src}")}
        canonical = q("articles", "SELECT content_hash, article_id, cluster_id FROM {src} WHERE is_canonical ORDER BY article_id")
        by_hash = {r[0]: (r[1], r[2]) for r in canonical}
        cfg = cfg or DedupSettings()
        sigs = {}
        if any((lake / "signatures").glob("*.parquet")):
            src = f"read_parquet('{(lake / 'signatures').as_posix()}/*.parquet', union_by_name = true)"
            tbl = con.execute(f"SELECT article_id, signature FROM {src} WHERE minhash_config = ?", [cfg.fingerprint]).to_arrow_table()
            sigs = dict(zip(tbl["article_id"].to_pylist(), tbl["signature"].to_pylist()))
        zero = [0] * cfg.num_perm
        matrix = np.array([sigs.get(aid, zero) for _, aid, _ in canonical], dtype=np.uint32).reshape(len(canonical), cfg.num_perm)
        has = np.array([aid in sigs for _, aid, _ in canonical], dtype=bool)
        h.dedup = DedupHistory(by_hash, [r[1] for r in canonical], [r[2] for r in canonical], matrix, has)
    finally:
        con.close()
    return h
