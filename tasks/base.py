"""What every stage task shares: no input hashing or result persistence (batches are large Arrow
tables kept in memory), and a logger that works both inside a Prefect run and in plain unit tests."""
from __future__ import annotations

import logging
from functools import partial

from prefect import task
from prefect.cache_policies import NONE

stage_task = partial(task, cache_policy=NONE, persist_result=False)


def run_logger() -> logging.Logger | logging.LoggerAdapter:
    try:
        from prefect import get_run_logger

        return get_run_logger()
    except Exception:  # outside a flow/task run context
        return logging.getLogger("akhbar")


def quarantine_row(row: dict, run_id: str, stage: str, reason: str) -> dict:
    """One `quarantine` row for a record that cannot go on, with its raw payload kept."""
    from datetime import datetime, timezone

    return {
        "source_uri": row.get("source_uri"),
        "source_id": row.get("source_id"),
        "article_id": row.get("article_id"),
        "stage": stage,
        "reason": reason,
        "raw_payload": row.get("raw_payload"),
        "run_id": run_id,
        "quarantined_at": datetime.now(timezone.utc),
    }
