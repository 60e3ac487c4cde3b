"""What the warehouse already holds, read from the lake's Parquet through the same view definitions
the warehouse uses (in an in-memory DuckDB, so the warehouse file is never locked): ids already
published or quarantined (a re-ingested record adds no row), and each story's current canonical
article with its hash, publication time, MinHash signature and lead hashes (new copies join its
cluster)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np

from tasks.dedup import DedupHistory, DedupSettings
from tasks.publish import create_table_views, ensure_lake, lake_dir


def quarantine_key(source_uri: str, raw_payload: str | None, payload_sha256: str | None = None) -> str:
    """What makes a quarantined record the same record on another night: its whole payload's sha256
    (the kept payload may be only its start), else its payload (rows from before payloads were
    bounded), or its path when it has none. The SQL in `load_history` computes the same."""
    if payload_sha256 and raw_payload:
        return f"sha256:{payload_sha256}"
    return hashlib.md5(raw_payload.encode()).hexdigest() if raw_payload else f"uri:{source_uri}"


@dataclass
class History:
    known_ids: set[str] = field(default_factory=set)
    known_quarantine: set[str] = field(default_factory=set)  # quarantine_key() of every quarantined record
    dedup: DedupHistory = field(default_factory=DedupHistory.empty)
    manifest: dict[str, tuple[int, int, str]] = field(default_factory=dict)  # path -> (size, mtime_ns, sha256)
    skipped: set[tuple[str, str, int | None]] = field(default_factory=set)  # (path, reason, size) already listed


def load_history(data_dir: Path, cfg: DedupSettings | None = None) -> History:
    lake = lake_dir(data_dir)
    if not (lake / "articles").exists():
        return History()
    cfg = cfg or DedupSettings()
    ensure_lake(data_dir)
    con = duckdb.connect()
    try:
        create_table_views(con, lake)
        h = History()
        h.known_ids = {
            r[0]
            for r in con.execute(
                "SELECT article_id FROM articles UNION SELECT article_id FROM quarantine WHERE article_id IS NOT NULL"
            ).fetchall()
        }
        # payload_sha256: in rows written since payloads are bounded (older files have no such column)
        quarantine_columns = {r[0] for r in con.execute("DESCRIBE quarantine").fetchall()}
        sha_sql = (
            "WHEN payload_sha256 IS NOT NULL THEN 'sha256:' || payload_sha256"
            if "payload_sha256" in quarantine_columns
            else ""
        )
        h.known_quarantine = {
            r[0]
            for r in con.execute(
                "SELECT CASE WHEN coalesce(raw_payload, '') = '' THEN 'uri:' || source_uri "
                f"{sha_sql} ELSE md5(raw_payload) END FROM quarantine"
            ).fetchall()
        }
        # lead hashes and discriminator slots: only in rows written since each was added (a lake of
        # older files has no such column); a canonical without them is matched on its body alone.
        # lead_config is "<lead fingerprint>+<slot fingerprint>": each part must match to compare.
        columns = {r[0] for r in con.execute("DESCRIBE signatures").fetchall()}
        lead_sql = (
            "CASE WHEN split_part(lead_config, '+', 1) = $lead_cfg THEN lead END"
            if "lead" in columns
            else "NULL::UINTEGER[]"
        )
        slots_sql = (
            "CASE WHEN split_part(lead_config, '+', 2) = $slot_cfg THEN slots END"
            if "slots" in columns
            else "NULL::UINTEGER[]"
        )
        params = {"cfg": cfg.fingerprint}
        params.update({"lead_cfg": cfg.lead_fingerprint} if "lead" in columns else {})
        params.update({"slot_cfg": cfg.slot_fingerprint} if "slots" in columns else {})
        canonical = con.sql(
            f"""
            SELECT a.content_hash, a.article_id, a.cluster_id, a.published_at, s.signature, s.lead, s.slots
            FROM articles a
            LEFT JOIN (SELECT article_id, signature, {lead_sql} AS lead, {slots_sql} AS slots
                       FROM signatures WHERE minhash_config = $cfg) s USING (article_id)
            WHERE a.is_canonical ORDER BY a.article_id""",
            params=params,
        ).to_arrow_table()
        if "skipped" in {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}:
            h.skipped = {
                (r[0], r[1], r[2]) for r in con.execute("SELECT DISTINCT path, reason, size FROM skipped").fetchall()
            }
        h.manifest = {
            r[0]: (r[1], r[2], r[3])
            for r in con.execute(
                "SELECT path, arg_max(size, run_id), arg_max(mtime_ns, run_id), arg_max(content_hash, run_id) FROM manifest GROUP BY path"
            ).fetchall()
        }
    finally:
        con.close()
    ids = canonical["article_id"].to_pylist()
    sigs = canonical["signature"].to_pylist()
    zero = [0] * cfg.num_perm
    leads = _padded(canonical["lead"].to_pylist(), cfg.head_len)
    slots = _padded(canonical["slots"].to_pylist(), cfg.slots)
    h.dedup = DedupHistory(
        canonical_by_hash=dict(
            zip(canonical["content_hash"].to_pylist(), zip(ids, canonical["cluster_id"].to_pylist()))
        ),
        ids=ids,
        clusters=canonical["cluster_id"].to_pylist(),
        signatures=np.array([s if s is not None else zero for s in sigs], dtype=np.uint32).reshape(
            len(ids), cfg.num_perm
        ),
        has_signature=np.array([s is not None for s in sigs], dtype=bool),
        published=canonical["published_at"].to_pylist(),
        leads=leads,
        slots=slots,
    )
    return h


def _padded(rows: list, width: int) -> np.ndarray:
    """Rows of uint32 hashes (None: none stored) as a zero-padded (len(rows), width) matrix."""
    out = np.zeros((len(rows), width), dtype=np.uint32)
    for i, row in enumerate(rows):
        if row:
            out[i, : min(len(row), width)] = row[:width]
    return out
