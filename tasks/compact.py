"""Lake maintenance: compaction (merge the per-run files of a table) and retention (drop whole old
runs). Both write a new lake version under DIR/lakes/ and swap it in with tasks/publish.swap_lake's
one atomic rename, as a full refresh does: a reader sees the lake before or after, never a mix (no
row twice, none missing). The caller holds the run lock (tasks/lock.py): no run commits meanwhile.

Files of runs left as they were are hard links into the new version (no copy). Rows keep their
run_id, so time travel by run id (publish.connect_as_of) answers the same after compaction.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
from akhbar.schemas.tables import PUBLISHED
from akhbar.tasks.publish import _ensure_folders, conform, lake_dir, published_run_ids, refuse_remote, swap_lake

BASE_PREFIX = "base-"  # a compacted file: rows of many runs, named after the newest run it holds
RUN_PREFIX = "run-"  # one run's file, as commit() wrote it


@dataclass
class Rewrite:
    """What a maintenance step did: files per table before and after, runs merged and dropped."""

    files_before: dict[str, int] = field(default_factory=dict)
    files_after: dict[str, int] = field(default_factory=dict)
    merged: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)


def compact(data_dir: Path, keep_runs: int = 0) -> Rewrite:
    """Merge every table's files of all runs but the newest `keep_runs` into one base file per
    table (the newest runs keep their own files: cheap to inspect or drop one by one)."""
    refuse_remote(data_dir, "compaction")
    return _rewrite(Path(data_dir).resolve(), into_base=set(_older_than_newest(data_dir, keep_runs)), drop=set())


def retain(data_dir: Path, keep_runs: int) -> Rewrite:
    """Drop whole runs older than the newest `keep_runs`: their rows in every table and their `runs`
    rows leave in one swap. Their landing files leave the manifest with them, so a landing area
    that still holds those files publishes them again on the next run (retention is for landing
    areas that age out too)."""
    if keep_runs < 1:
        raise ValueError("retention keeps at least the newest run")
    refuse_remote(data_dir, "retention")
    return _rewrite(Path(data_dir).resolve(), into_base=set(), drop=set(_older_than_newest(data_dir, keep_runs)))


def _older_than_newest(data_dir: Path, keep: int) -> list[str]:
    """Published runs but the newest `keep` (run ids sort by time)."""
    runs = sorted(published_run_ids(data_dir))
    return runs[: max(0, len(runs) - keep)]


def _rewrite(data_dir: Path, into_base: set[str], drop: set[str]) -> Rewrite:
    lake = lake_dir(data_dir)
    committed = published_run_ids(data_dir)
    version = lake.with_name("lakes") / f"{datetime.now(timezone.utc):%Y%m%dT%H%M%S%fZ}-maintenance"
    out = Rewrite(merged=sorted(into_base & committed), dropped=sorted(drop & committed))
    for name, schema in PUBLISHED.items():
        files = sorted((lake / name).glob("*.parquet"))
        out.files_before[name] = len(files)
        target = version / name
        target.mkdir(parents=True)
        to_merge = []
        for f in files:
            run = f.stem.removeprefix(RUN_PREFIX) if f.name.startswith(RUN_PREFIX) else None
            if run is None:  # a base file (or _empty.parquet): rewritten without dropped runs' rows
                to_merge.append(f)
            elif run in into_base:
                to_merge.append(f)
            elif run in committed and run not in drop:
                _link(f, target / f.name)
            # else: a dropped run, or the file of a run that never committed (repair's leftovers)
        if to_merge:
            _merge(to_merge, schema, target, keep=(committed - drop))
        out.files_after[name] = len(list(target.glob("*.parquet")))
    _ensure_folders(version)  # a table left with no rows gets its empty file, so every view resolves
    swap_lake(data_dir, version)
    return out


def _merge(files: list[Path], schema: pa.Schema, target: Path, keep: set[str]) -> None:
    """Stream the rows of runs in `keep` from `files` (oldest first) into one zstd base file, in
    bounded memory. Files written before a column existed read it as null (the dataset's schema)."""
    keep_filter = ds.field("run_id").isin(pa.array(sorted(keep), pa.string()))
    tmp = target / ".base.parquet.tmp"
    newest = ""
    with pq.ParquetWriter(tmp, schema, compression="zstd") as writer:
        for f in files:
            for batch in ds.dataset(f, schema=schema, format="parquet").to_batches(filter=keep_filter):
                if batch.num_rows:
                    table = conform(pa.Table.from_batches([batch]), schema)
                    writer.write_table(table)
                    newest = max(newest, max(r for r in table["run_id"].to_pylist() if r is not None))
    if newest:
        os.replace(tmp, target / f"{BASE_PREFIX}{newest}.parquet")
    else:
        tmp.unlink()


def _link(src: Path, dst: Path) -> None:
    try:
        os.link(src, dst)
    except OSError:  # a file system without hard links
        shutil.copy2(src, dst)
