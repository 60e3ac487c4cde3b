"""Dedup stage: exact copies by content hash of the search-normalized body, within the batch and
against every article already in the warehouse. One canonical article per cluster: earliest
published, then longest body, then smallest article_id."""
from __future__ import annotations

from datetime import datetime, timezone

import pyarrow as pa

from schemas.tables import DUPLICATES
from tasks.base import run_logger, stage_task

_FAR_FUTURE = datetime.max.replace(tzinfo=timezone.utc)


def canonical_order(row: dict) -> tuple:
    return (row["published_at"] or _FAR_FUTURE, -(row["word_count"] or 0), row["article_id"])


def exact_dedup(articles: pa.Table, history: dict[str, tuple[str, str]], run_id: str) -> tuple[pa.Table, pa.Table]:
    """Set cluster_id and is_canonical on `articles` and list its duplicates.

    `history` maps content_hash -> (canonical article_id, cluster_id) of articles already published:
    a new copy of a published story joins that story's cluster as a duplicate.
    """
    rows = articles.to_pylist()
    groups: dict[str, list[dict]] = {}
    for r in rows:
        groups.setdefault(r["content_hash"], []).append(r)
    dups = []
    for h, members in groups.items():
        if h in history:
            canonical_id, cluster_id = history[h]
            canon = None
        else:
            canon = min(members, key=canonical_order)
            canonical_id, cluster_id = canon["article_id"], canon["article_id"]
        for r in members:
            r["cluster_id"] = cluster_id
            r["is_canonical"] = r is canon
            if r is not canon:
                dups.append({"article_id": r["article_id"], "canonical_id": canonical_id, "similarity": 1.0,
                             "method": "exact", "run_id": run_id})
    cols = {name: [r.get(name) for r in rows] for name in ("cluster_id", "is_canonical")}
    out = articles
    for name, typ in (("cluster_id", pa.string()), ("is_canonical", pa.bool_())):
        if name in out.column_names:
            out = out.drop_columns([name])
        out = out.append_column(name, pa.array(cols[name], typ))
    return out, pa.Table.from_pylist(dups, schema=DUPLICATES)


@stage_task(name="dedup")
def dedup(articles: pa.Table, history: dict[str, tuple[str, str]], run_id: str) -> tuple[pa.Table, pa.Table]:
    out, dups = exact_dedup(articles, history, run_id)
    run_logger().info("dedup: %d articles, %d exact duplicates (%d clusters already in the warehouse)",
                      out.num_rows, dups.num_rows, sum(1 for h in set(out["content_hash"].to_pylist()) if h in history))
    return out, dups
