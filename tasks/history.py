"""What the warehouse already holds, read straight from the lake's Parquet (no DuckDB file lock):
ids already published or quarantined (a re-ingested record adds no row) and the canonical article of
every content hash (a new copy of an old story joins its cluster)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from tasks.publish import lake_dir


@dataclass
class History:
    known_ids: set[str] = field(default_factory=set)
    known_quarantine: set[tuple[str, str]] = field(default_factory=set)   # (source_uri, md5 of payload)
    canonical_by_hash: dict[str, tuple[str, str]] = field(default_factory=dict)


def load_history(data_dir: Path) -> History:
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
        h.canonical_by_hash = {r[0]: (r[1], r[2]) for r in q("articles", "SELECT content_hash, article_id, cluster_id FROM {src} WHERE is_canonical")}
    finally:
        con.close()
    return h
