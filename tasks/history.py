"""What the warehouse already holds, read from the lake's Parquet through the same view definitions
the warehouse uses (in an in-memory DuckDB, so the warehouse file is never locked).

A night's cost must follow the night, not the warehouse, so nothing here loads the whole history:
the files already read (small: one row per landing file) are loaded once; whether a record is
already published or quarantined is asked per partition, by a join of its ids against the lake's;
the canonical articles a night's bodies may copy are found by joining the night's content hashes
and LSH band keys to the stored ones, and only those canonicals are loaded (their hash,
publication time, MinHash signature, lead hashes and discriminator slots)."""

from __future__ import annotations

import hashlib
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from akhbar.tasks.dedup import DedupHistory, DedupSettings, band_keys
from akhbar.tasks.publish import create_table_views, ensure_lake, lake_dir


def quarantine_key(source_uri: str, raw_payload: str | None, payload_sha256: str | None = None) -> str:
    """What makes a quarantined record the same record on another night: its whole payload's sha256
    (the kept payload may be only its start), else its payload (rows from before payloads were
    bounded), or its path when it has none. `_quarantine_keys` computes the same in SQL."""
    if payload_sha256 and raw_payload:
        return f"sha256:{payload_sha256}"
    return hashlib.md5(raw_payload.encode()).hexdigest() if raw_payload else f"uri:{source_uri}"


@dataclass
class History:
    manifest: dict[str, tuple[int, int, str]] = field(default_factory=dict)  # path -> (size, mtime_ns, sha256)
    skipped: set[tuple[str, str, int | None]] = field(default_factory=set)  # (path, reason, size) already listed
    lake: Path | None = None  # where the rest is asked on demand (None: nothing published yet, or a full refresh)

    def known(self, ids: pa.Array) -> np.ndarray:
        """Which of `ids` the warehouse already published or quarantined."""
        if self.lake is None:
            return np.zeros(len(ids), dtype=bool)
        with _lake_connection(self.lake) as con:
            con.register("batch", pa.table({"article_id": ids}))
            found = con.sql(
                "SELECT article_id FROM batch SEMI JOIN (SELECT article_id FROM articles UNION ALL "
                "SELECT article_id FROM quarantine WHERE article_id IS NOT NULL) USING (article_id)"
            ).to_arrow_table()["article_id"]
        return pc.is_in(ids, value_set=found).to_numpy(zero_copy_only=False)

    def known_quarantined(self, keys: list[str]) -> np.ndarray:
        """Which quarantine keys (`quarantine_key`) the warehouse already quarantined."""
        if self.lake is None:
            return np.zeros(len(keys), dtype=bool)
        with _lake_connection(self.lake) as con:
            con.register("batch", pa.table({"k": pa.array(keys, pa.string())}))
            found = con.sql(f"SELECT k FROM batch SEMI JOIN ({_quarantine_keys(con)}) USING (k)").to_arrow_table()["k"]
        return pc.is_in(pa.array(keys, pa.string()), value_set=found).to_numpy(zero_copy_only=False)

    def canonicals_for(
        self, hashes: pa.Array, body: np.ndarray, cfg: DedupSettings, when: np.ndarray | None = None
    ) -> DedupHistory:
        """The canonical articles the night's bodies may be copies of: those with one of `hashes`
        (exact copies) or sharing an LSH band key with a row of `body` published within the near
        window of that row (`when`: epoch seconds, NaN unknown; None: every row undated)."""
        if self.lake is None:
            return DedupHistory.empty(cfg)
        return load_canonicals(self.lake, hashes, band_keys(body, cfg), cfg, when)


def _quarantine_keys(con: duckdb.DuckDBPyConnection) -> str:
    """What makes a quarantined record the same record on another night, in SQL (`quarantine_key`).
    payload_sha256 is in rows written since payloads are bounded; a lake of older files has no such
    column (its view would not resolve it)."""
    columns = {r[0] for r in con.execute("DESCRIBE quarantine").fetchall()}
    sha = "WHEN payload_sha256 IS NOT NULL THEN 'sha256:' || payload_sha256 " if "payload_sha256" in columns else ""
    return (
        f"SELECT CASE WHEN coalesce(raw_payload, '') = '' THEN 'uri:' || source_uri {sha}"
        "ELSE md5(raw_payload) END AS k FROM quarantine"
    )


@contextmanager
def _lake_connection(lake: Path):
    con = duckdb.connect()
    try:
        create_table_views(con, lake)
        yield con
    finally:
        con.close()


def load_history(data_dir: Path) -> History:
    """What a night needs of the warehouse before it reads: the files already read and the paths
    already listed as skipped. The rest is asked of the lake as the night goes (`History.lake`)."""
    lake = lake_dir(data_dir)
    if not (lake / "articles").exists():
        return History()
    ensure_lake(data_dir)
    h = History(lake=lake)
    with _lake_connection(lake) as con:
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
    return h


def load_canonicals(
    lake: Path, hashes: pa.Array, keys: np.ndarray, cfg: DedupSettings, when: np.ndarray | None = None
) -> DedupHistory:
    """The lake's current canonicals with a content hash in `hashes` or a band key (band b, key)
    equal to keys[i, b] for some i whose publication time (`when[i]`, epoch seconds) is within the
    near window of the canonical's, with what dedup compares: signature, lead hashes, slots.

    Dedup never joins a near copy published more than `near_window_hours` from its canonical, so a
    canonical further from every night body that shares a band key with it cannot be one: not loaded.
    Undated articles (NaN, or `when` None) are held to no window, as in dedup. This keeps the load
    proportional to the night on a year of history whose articles share phrasing (band keys of two
    rows collide on texts of Jaccard 0.1 with probability 0.47).

    The stored band keys are used only when they were made the way `cfg` makes them (checked on a
    stored row); otherwise every canonical with a signature is a candidate, as before band keys."""
    when = np.full(len(keys), np.nan) if when is None else np.asarray(when, dtype=np.float64)
    night = pa.table(
        {
            "band": pa.array(np.tile(np.arange(1, keys.shape[1] + 1, dtype=np.int64), len(keys))),
            "key": pa.array(keys.ravel()),
            "t": pa.array(np.repeat(when, keys.shape[1]), mask=np.repeat(np.isnan(when), keys.shape[1])),
        }
    )
    window = cfg.near_window_hours * 3600
    # a coarse range first (every night body dated): the stored rows outside it are never unnested
    dated = len(when) and not np.isnan(when).any()
    lo, hi = (float(when.min()) - window, float(when.max()) + window) if dated else (-np.inf, np.inf)
    with _lake_connection(lake) as con:
        con.register("night_keys", night)
        con.register("night_hashes", pa.table({"content_hash": hashes}))
        columns = {r[0] for r in con.execute("DESCRIBE signatures").fetchall()}
        by_keys = _stored_keys_agree(con, cfg)
        candidates = (
            """SELECT s.article_id FROM (
                   SELECT article_id, unnest(band_keys) AS key, generate_subscripts(band_keys, 1) AS band,
                          epoch(published_at) AS t
                   FROM signatures JOIN (SELECT article_id, published_at FROM articles) USING (article_id)
                   WHERE minhash_config = $cfg
                     AND (published_at IS NULL OR epoch(published_at) BETWEEN $lo AND $hi)) s
               SEMI JOIN night_keys n ON s.band = n.band AND s.key = n.key
                    AND (s.t IS NULL OR n.t IS NULL OR abs(s.t - n.t) <= $window)"""
            if by_keys
            else "SELECT article_id FROM signatures WHERE minhash_config = $cfg"
        )
        # lead hashes and discriminator slots: only in rows written since each was added (a lake of
        # older files has no such column); a canonical without them is matched on its body alone.
        # lead_config is "<lead fingerprint>+<slot fingerprint>": each part must match to compare.
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
        params.update({"lo": lo, "hi": hi, "window": window} if by_keys else {})
        params.update({"lead_cfg": cfg.lead_fingerprint} if "lead" in columns else {})
        params.update({"slot_cfg": cfg.slot_fingerprint} if "slots" in columns else {})
        canonical = con.sql(
            f"""
            WITH wanted AS ({candidates} UNION SELECT article_id FROM articles SEMI JOIN night_hashes USING (content_hash))
            SELECT a.content_hash, a.article_id, a.cluster_id, a.published_at, s.signature, s.lead, s.slots
            FROM articles a SEMI JOIN wanted USING (article_id)
            LEFT JOIN (SELECT article_id, signature, {lead_sql} AS lead, {slots_sql} AS slots
                       FROM signatures WHERE minhash_config = $cfg) s USING (article_id)
            WHERE a.is_canonical ORDER BY a.article_id""",
            params=params,
        ).to_arrow_table()
    return _dedup_history(canonical, cfg)


def _stored_keys_agree(con: duckdb.DuckDBPyConnection, cfg: DedupSettings) -> bool:
    """Whether the lake's band keys were made with `cfg`'s bands and rows: one stored row's keys,
    made again from its signature, are the stored ones."""
    rows = con.execute(
        "SELECT signature, band_keys FROM signatures WHERE minhash_config = $cfg AND band_keys IS NOT NULL LIMIT 1",
        {"cfg": cfg.fingerprint},
    ).fetchall()
    if not rows:
        return True  # no stored signature of this config: nothing to find either way
    row = rows[0]
    made = band_keys(np.array([row[0]], dtype=np.uint32), cfg)[0]
    return len(row[1]) == len(made) and [int(k) for k in row[1]] == made.tolist()


def _dedup_history(canonical: pa.Table, cfg: DedupSettings) -> DedupHistory:
    ids = canonical["article_id"].to_pylist()
    sigs = canonical["signature"].to_pylist()
    zero = [0] * cfg.num_perm
    return DedupHistory(
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
        leads=_padded(canonical["lead"].to_pylist(), cfg.head_len),
        slots=_padded(canonical["slots"].to_pylist(), cfg.slots),
    )


def _padded(rows: list, width: int) -> np.ndarray:
    """Rows of uint32 hashes (None: none stored) as a zero-padded (len(rows), width) matrix."""
    out = np.zeros((len(rows), width), dtype=np.uint32)
    for i, row in enumerate(rows):
        if row:
            out[i, : min(len(row), width)] = row[:width]
    return out
