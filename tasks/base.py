"""What every stage shares: the one result shape, quarantine rows built from a batch's own columns,
and a logger that works both inside a Prefect run and in plain unit tests.

A stage is a pure function `stage(batch, ctx) -> StageResult`: it takes an Arrow batch of records
(at most `batch_size` rows, one phase of `schemas.tables`' record) and returns the records it kept
(the next phase), the spans it removed from them (BOILERPLATE rows), the records it could not go on
with (QUARANTINE rows, raw payload included) and its counters. Nothing else passes between stages.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache, partial

import pyarrow as pa
import pyarrow.compute as pc
from akhbar.schemas.tables import BOILERPLATE, QUARANTINE
from prefect import task
from prefect.cache_policies import NONE

stage_task = partial(task, cache_policy=NONE, persist_result=False)


@dataclass
class StageResult:
    kept: pa.Table
    removed: pa.Table = field(default_factory=BOILERPLATE.empty_table)
    quarantined: pa.Table = field(default_factory=QUARANTINE.empty_table)
    counts: Counter = field(default_factory=Counter)
    tables: dict[str, pa.Table] = field(default_factory=dict)  # a stage's own side tables (lines, fingerprints)


def run_logger() -> logging.Logger | logging.LoggerAdapter:
    try:
        from prefect import get_run_logger

        return get_run_logger()
    except Exception:  # outside a flow/task run context
        return logging.getLogger("akhbar")


@lru_cache(maxsize=1)
def payload_bound() -> int:
    """Bytes of a payload quarantine keeps (Settings.max_payload_bytes, AKHBAR_MAX_PAYLOAD_BYTES)."""
    from akhbar.settings import Settings

    return Settings().max_payload_bytes


def bounded_payload(
    payload: str | None, size: int | None = None, sha256: str | None = None
) -> tuple[str | None, int | None, str | None]:
    """(kept payload, whole size, whole sha256): the payload cut to payload_bound() bytes on a
    character boundary. `size`/`sha256` given (read kept only the start of a record) are kept."""
    if payload is None:
        return None, size, sha256
    data = payload.encode("utf-8", "surrogatepass")
    if size is None or sha256 is None:
        size, sha256 = len(data), hashlib.sha256(data).hexdigest()
    bound = payload_bound()
    if len(data) > bound:
        payload = data[:bound].decode("utf-8", "ignore")
    return payload, size, sha256


def quarantine_row(row: dict, run_id: str, stage: str, reason: str) -> dict:
    """One `quarantine` row for a record that cannot go on, with its raw payload kept (bounded)."""
    payload, size, sha256 = bounded_payload(row.get("raw_payload"), row.get("payload_bytes"), row.get("payload_sha256"))
    return {
        "source_uri": row.get("source_uri"),
        "source_id": row.get("source_id"),
        "article_id": row.get("article_id"),
        "stage": stage,
        "reason": reason,
        "raw_payload": payload,
        "run_id": run_id,
        "quarantined_at": datetime.now(timezone.utc),
        "payload_bytes": size,
        "payload_sha256": sha256,
    }


def quarantine_rows(batch: pa.Table, positions: list[int], reasons: list[str], run_id: str, stage: str) -> pa.Table:
    """QUARANTINE rows for the records at `positions` of `batch`, from the batch's own columns
    (source, ids and raw payload travel with every record)."""
    if not positions:
        return QUARANTINE.empty_table()
    hit = batch.take(pa.array(positions, pa.int64()))
    n = hit.num_rows

    def col(name: str) -> pa.Array:
        return hit[name].combine_chunks() if name in hit.column_names else pa.nulls(n, pa.string())

    payloads, sizes, hashes = zip(*(bounded_payload(p) for p in col("raw_payload").to_pylist()))
    return pa.Table.from_arrays(
        [
            col("source_uri"),
            col("source_id"),
            col("article_id"),
            pa.array([stage] * n, pa.string()),
            pa.array(reasons, pa.string()),
            pa.array(payloads, pa.string()),
            pa.array([run_id] * n, pa.string()),
            pa.array([datetime.now(timezone.utc)] * n, QUARANTINE.field("quarantined_at").type),
            pa.array(sizes, pa.int64()),
            pa.array(hashes, pa.string()),
        ],
        schema=QUARANTINE,
    )


def drop_positions(batch: pa.Table, positions: list[int]) -> pa.Table:
    """`batch` without the rows at `positions`."""
    if not positions:
        return batch
    return batch.filter(
        pc.invert(pc.is_in(pa.array(range(batch.num_rows), pa.int64()), pa.array(positions, pa.int64())))
    )


def boilerplate_rows(
    article_ids: list[str], rules: list[str], categories: list[str], texts: list[str], run_id: str
) -> pa.Table:
    """BOILERPLATE rows from parallel lists (one per removed span)."""
    n = len(article_ids)
    return pa.Table.from_arrays(
        [
            pa.array(article_ids, pa.string()),
            pa.array(rules, pa.string()),
            pa.array(categories, pa.string()),
            pa.array(texts, pa.string()),
            pa.array([run_id] * n, pa.string()),
        ],
        schema=BOILERPLATE,
    )
