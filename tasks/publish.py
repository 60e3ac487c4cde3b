"""Publish stage: write the run's tables as zstd Parquet into the lake and rebuild the DuckDB views.

Each table's file is written under DIR/staging/<run_id>/ first and moved into DIR/lake/<table>/
with an atomic rename, the `runs` row last: a run whose `runs` row exists was published whole.
The DuckDB file holds only views: each build writes a new file and renames it over the old one, so
it never needs the lock of a reader holding the old file (build_views).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import tempfile
import time
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from akhbar.schemas.tables import PUBLISHED, description
from akhbar.tasks.storage import (
    StorageError,
    attach,
    is_remote,
    location,
    move,
    parquet_rows,
    read_parquet,
    remove_tree,
    state_dir,
    text,
    write_parquet,
)

WAREHOUSE_SQL = Path(__file__).resolve().parent.parent / "warehouse"


def lake_dir(data_dir: Path) -> Path:
    """DIR/lake: a local folder, or a prefix on object storage (tasks/storage.py)."""
    return location(data_dir) / "lake"


def warehouse_path(data_dir: Path) -> Path:
    """The warehouse file, always local: in the data dir, or in a remote data dir's state dir."""
    return state_dir(data_dir) / "warehouse.duckdb"


def conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """Select and cast the columns of `schema`, in its order (extra working columns dropped)."""
    cols = []
    for f in schema:
        col = table.column(f.name) if f.name in table.column_names else pa.nulls(table.num_rows, f.type)
        cols.append(col.cast(f.type) if col.type != f.type else col)
    return pa.Table.from_arrays(cols, schema=schema)


def fault(step: str) -> None:
    """Fault injection for the crash tests (tests/e2e/test_reliability.py): with
    AKHBAR_FAULT_KILL_AT=<step> the process is SIGKILLed at that step of the publish, as an OOM
    killer or a power cut would end it."""
    if os.environ.get("AKHBAR_FAULT_KILL_AT") == step:
        os.kill(os.getpid(), signal.SIGKILL)


def ensure_lake(data_dir: Path) -> None:
    """Every table folder holds at least one (possibly empty) file, so every view resolves. A new
    data dir's lake is a symlink to a version under lakes/ from the start, so that a full refresh
    replaces it with one rename (swap_lake), never two."""
    lake = lake_dir(data_dir)
    if is_remote(lake):  # object storage has no symlinks: the lake is a plain prefix (no full refresh there)
        _ensure_folders(lake)
        return
    if not lake.exists() and not lake.is_symlink():
        _ensure_folders(lake.with_name("lakes") / "initial")
        pointer = lake.with_name(f"lake.{os.getpid()}.new")
        pointer.symlink_to(Path("lakes") / "initial")
        os.replace(pointer, lake)
    _ensure_folders(lake)


def _ensure_folders(lake: Path) -> None:
    for name, schema in PUBLISHED.items():
        folder = lake / name
        folder.mkdir(parents=True, exist_ok=True)
        if not any(folder.glob("*.parquet")):
            write_parquet(schema.empty_table(), folder / "_empty.parquet", compression="zstd")


def write_tables(data_dir: Path, run_id: str, tables: dict[str, pa.Table], fresh: bool = False) -> dict[str, int]:
    """Stage then commit each table (empty tables write no file); `runs` goes last. Returns rows
    written per table."""
    staging = state_dir(data_dir) / "staging" / run_id
    staging.mkdir(parents=True, exist_ok=True)
    staged = {}
    for name, table in tables.items():
        if table.num_rows:
            path = staging / f"{name}.parquet"
            pq.write_table(conform(table, PUBLISHED[name]), path, compression="zstd")
            staged[name] = path
    return commit(data_dir, run_id, staged, fresh)


def commit(data_dir: Path, run_id: str, staged: dict[str, Path], fresh: bool = False) -> dict[str, int]:
    """Move the run's staged table files into the lake with atomic renames, the `runs` file last: a
    run whose `runs` row exists was published whole. `fresh` (full refresh): the files go into a new
    lake that replaces the old one whole. Returns rows per table.

    On object storage (no rename) each file is uploaded to its place: an object appears whole or not
    at all, and the `runs` object, uploaded last, is the commit marker the views go by."""
    data_dir = location(data_dir)
    if fresh:
        refuse_remote(data_dir, "a full refresh")
        lake = data_dir / "lakes" / run_id
        _ensure_folders(lake)
    else:
        ensure_lake(data_dir)
        lake = lake_dir(data_dir)
    order = [n for n in staged if n != "runs"] + (["runs"] if "runs" in staged else [])
    rows = {name: parquet_rows(staged[name]) for name in order}
    pause = float(os.environ.get("AKHBAR_FAULT_PAUSE_PUBLISH", "0"))  # fault injection for the crash test
    fault("staged")
    for n, name in enumerate(order):
        if name == "runs":
            fault("before-runs")
        move(staged[name], lake / name / f"run-{run_id}.parquet")
        if n == 0 and len(order) > 2:
            fault("between-renames")
        if pause and name != "runs":
            time.sleep(pause)
            pause = 0
    fault("after-runs")
    if fresh:
        swap_lake(data_dir, lake)
    shutil.rmtree(state_dir(data_dir) / "staging" / run_id, ignore_errors=True)
    return rows


def refuse_remote(data_dir, what: str) -> None:
    """Full refresh, compaction and retention swap a whole lake in with one atomic rename of a symlink;
    object storage has neither."""
    if is_remote(location(data_dir)):
        raise StorageError(f"{what} needs a local data dir (an atomic lake swap); {text(location(data_dir))} is not")


def swap_lake(data_dir: Path, new_lake: Path) -> None:
    """Point DIR/lake at `new_lake` (a folder under DIR/lakes/) with one atomic rename of a symlink:
    a reader finds the old lake or the new one at every instant, never none. The lake it replaced
    is deleted after. (A lake from before this layout, a plain folder, is moved under lakes/ first:
    that one time, two renames.)"""
    lake = lake_dir(data_dir)
    old = lake.resolve() if lake.is_symlink() else None
    if lake.exists() and not lake.is_symlink():
        old = lake.with_name("lakes") / f"before-{new_lake.name}"
        os.replace(lake, old)
        fault("swap-legacy-moved")  # no lake/ for a moment: repair() moves it back
    pointer = lake.with_name("lake.next")
    if pointer.is_symlink() or pointer.exists():
        pointer.unlink()
    pointer.symlink_to(Path("lakes") / new_lake.name)
    fault("swap-pointer-made")
    os.replace(pointer, lake)
    fault("swap-done")
    if old is not None and old != new_lake.resolve():
        shutil.rmtree(old, ignore_errors=True)


def published_run_ids(data_dir: Path) -> set[str]:
    runs = lake_dir(data_dir) / "runs"
    ids: set[str] = set()
    for f in runs.glob("*.parquet"):
        ids.update(read_parquet(f, columns=["run_id"])["run_id"].to_pylist())
    return ids


def repair(data_dir: Path) -> list[Path]:
    """Remove what a run that died mid-publish left behind: its staging folder and any lake file of
    a run with no `runs` row (the views never read those). Returns the removed paths."""
    data_dir = location(data_dir)
    if is_remote(data_dir):
        return _repair_remote(data_dir)
    removed: list[Path] = []
    lake = lake_dir(data_dir)
    legacy_old = lake.with_name("lake.old")
    if legacy_old.exists() and not lake.exists():  # a full refresh of the old layout died between its two renames
        os.replace(legacy_old, lake)
    moved = sorted(lake.with_name("lakes").glob("before-*"))
    if moved and not lake.exists() and not lake.is_symlink():  # swap_lake died after moving a plain lake away
        os.replace(moved[-1], lake)
    current = lake.resolve() if lake.is_symlink() else None
    versions = lake.with_name("lakes")
    for leftover in [legacy_old, lake.with_name("lake.next"), data_dir / "refresh", *data_dir.glob("lake.*.new")] + (
        [v for v in versions.iterdir() if v != current] if versions.exists() else []
    ):
        if leftover.is_symlink():
            leftover.unlink()
            removed.append(leftover)
        elif leftover.exists():  # a refresh that died before its swap, or a replaced lake not yet deleted
            removed.append(leftover)
            shutil.rmtree(leftover)
    staging = data_dir / "staging"
    if staging.exists():
        removed += list(staging.iterdir())
        shutil.rmtree(staging)
    removed += _remove_dead_builds(data_dir)
    return removed + _remove_uncommitted(data_dir)


def _repair_remote(data_dir) -> list:
    """repair() for a data dir on object storage: the run's staging there and in the local state
    dir, and lake files of runs that never wrote their `runs` file."""
    removed = []
    for staging in (data_dir / "staging", state_dir(data_dir) / "staging"):
        if staging.exists():
            removed += list(staging.iterdir())
            remove_tree(staging)
    if state_dir(data_dir).exists():
        removed += _remove_dead_builds(state_dir(data_dir))
    return removed + _remove_uncommitted(data_dir)


def _remove_uncommitted(data_dir) -> list:
    lake = lake_dir(data_dir)
    removed = []
    if not lake.exists():
        return removed
    done = published_run_ids(data_dir)
    for name in PUBLISHED:
        for f in (lake / name).glob("run-*.parquet"):
            if f.stem.removeprefix("run-") not in done:
                f.unlink()
                removed.append(f)
    return removed


def sql_quoted(text: str) -> str:
    """`text` inside an SQL string literal: quotes doubled."""
    return text.replace("'", "''")


def glob_literal(path: str | Path) -> str:
    """A path as DuckDB reads it in a file pattern, matching itself only: its glob characters
    bracketed (`[` -> `[[]`, `*` -> `[*]`, `?` -> `[?]`), so a data dir named `x[1]` or `a*b` is
    that folder, never a pattern over its neighbours. Not SQL-quoted (see parquet_source)."""
    return re.sub(r"([\[*?])", r"[\1]", path if isinstance(path, str) else text(path))


def parquet_source(paths: str | Path | list, union_by_name: bool = False) -> str:
    """`read_parquet(...)` over files (or `folder/*.parquet` patterns) whose own names are taken
    literally: glob characters escaped, quotes doubled."""
    items = paths if isinstance(paths, list) else [paths]
    listed = ", ".join(f"'{sql_quoted(glob_literal(p))}'" for p in items)
    src = f"[{listed}]" if isinstance(paths, list) else listed
    return f"read_parquet({src}{', union_by_name = true' if union_by_name else ''})"


def _remove_dead_builds(data_dir: Path) -> list[Path]:
    """Warehouse files a build_views left half-written when its process died (a live builder's file
    is its own: it renames it in a moment)."""
    removed = []
    for f in data_dir.glob(f".{warehouse_path(data_dir).name}.*.next*"):
        pid = f.name.split(".")[-2] if f.name.endswith(".next") else f.name.split(".")[-3]
        if pid.isdigit() and not _alive(int(pid)):
            f.unlink(missing_ok=True)
            removed.append(f)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def view_sql(sql_file: Path, lake: Path, as_of: str | None = None) -> str:
    """A warehouse/*.sql file with `{lake}` replaced by the lake's absolute path, taken literally
    inside the views' `{lake}/<table>/*.parquet` patterns (glob characters escaped), and `{as_of}` by
    the time-travel bound on the `runs` view (empty: every published run), both quoted for SQL."""
    bound = "" if as_of is None else f"WHERE run_id <= {_quote(as_of)}"
    sql = sql_file.read_text(encoding="utf-8")
    return sql.replace("{lake}", sql_quoted(glob_literal(text(lake)))).replace("{as_of}", bound)


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def create_table_views(con: duckdb.DuckDBPyConnection, lake: Path) -> None:
    """The table views of warehouse/10_tables.sql over `lake`, in `con`: an in-memory DuckDB then
    reads the lake as the warehouse does (published runs only) without locking warehouse.duckdb."""
    attach(con, lake)
    con.execute(view_sql(WAREHOUSE_SQL / "10_tables.sql", lake))


def comment_sql() -> str:
    """`COMMENT ON` statements for every published table's view and its columns, generated from the
    descriptions in schemas/tables.py (the one place they are written)."""
    out = []
    for name, schema in PUBLISHED.items():
        out.append(f"COMMENT ON VIEW {name} IS {_quote(description(schema))};")
        out += [f"COMMENT ON COLUMN {name}.{f.name} IS {_quote(description(f))};" for f in schema]
    return "\n".join(out)


def warehouse_sql(lake: Path, as_of: str | None = None) -> list[str]:
    """Everything warehouse.duckdb holds, as SQL: macros, table views, marts, then the comments."""
    return [view_sql(f, lake, as_of) for f in sorted(WAREHOUSE_SQL.glob("*.sql"))] + [comment_sql()]


def definition_hash() -> str:
    """Fingerprint of the warehouse's definition (SQL files and descriptions), lake path aside: a
    warehouse built by another akhbar version is rebuilt on open."""
    return hashlib.sha256("\n".join(warehouse_sql(Path("/lake"))).encode("utf-8")).hexdigest()[:16]


# DuckDB 2.0 writes storage version 69 by default, which every DuckDB 1.x (CLI, BI drivers) refuses
# to open; the file holds only views and a marker, so the oldest format costs nothing.
STORAGE_VERSION = "v1.0.0"
MARKER = "akhbar_warehouse"  # one row: the lake the views read and the definition they were built from


def build_views(data_dir: Path) -> None:
    """(Re)build warehouse.duckdb: written whole beside the old file, then swapped in with one atomic
    rename. A reader holding the old file (a notebook, a BI tool) keeps reading it and never blocks
    the build, and the next open sees the new one. Views read the lake by absolute path (DuckDB
    resolves relative paths against the reader's working directory, not the database file), so the
    marker records that path and `ensure_warehouse` rebuilds when the data dir has moved."""
    data_dir = location(data_dir)
    ensure_lake(data_dir)
    target = warehouse_path(data_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    fresh = target.with_name(f".{target.name}.{os.getpid()}.next")  # per process: concurrent builds never share it
    try:
        if "?" in str(target):
            _write_warehouse_elsewhere(fresh, lake_dir(data_dir))
        else:
            _write_warehouse(fresh, lake_dir(data_dir))
        # a WAL left by a writer that died belongs to the old file; beside the new one DuckDB would replay it
        target.with_name(target.name + ".wal").unlink(missing_ok=True)
        os.replace(fresh, target)
    finally:
        fresh.unlink(missing_ok=True)
        fresh.with_name(fresh.name + ".wal").unlink(missing_ok=True)


def _write_warehouse(path: Path, lake: Path) -> None:
    path.unlink(missing_ok=True)
    con = attach(duckdb.connect(), lake)  # the views are bound as they are made: the lake must be readable
    try:
        con.execute(f"ATTACH {_quote(str(path))} AS warehouse (STORAGE_VERSION '{STORAGE_VERSION}')")
        con.execute("USE warehouse")
        for sql in warehouse_sql(lake):
            con.execute(sql)
        con.execute(f"CREATE TABLE {MARKER} (lake VARCHAR, definition VARCHAR, built_at TIMESTAMPTZ)")
        con.execute(f"INSERT INTO {MARKER} VALUES (?, ?, now())", [text(lake), definition_hash()])
        con.execute(
            f"COMMENT ON TABLE {MARKER} IS 'The lake these views read and the definition they were built from.'"
        )
        con.execute("CHECKPOINT")
        con.execute("USE memory")
        con.execute("DETACH warehouse")
    finally:
        con.close()


def _write_warehouse_elsewhere(path: Path, lake: Path) -> None:
    """DuckDB (2.0) takes a `?` in a database path for the start of its options and puts the WAL of
    `dir?x/warehouse.duckdb` at `dir.wal?x/...`: it cannot write a database there, though it reads
    one. So the file is written in a temporary folder and copied to `path`."""
    with tempfile.TemporaryDirectory(prefix="akhbar-warehouse-") as tmp:
        work = Path(tmp) / "warehouse.duckdb"
        _write_warehouse(work, lake)
        shutil.copyfile(work, path)


def warehouse_is_current(data_dir: Path) -> bool:
    """The warehouse exists, opens, and its views read this data dir's lake with this definition."""
    db = warehouse_path(data_dir)
    if not db.exists():
        return False
    try:
        con = duckdb.connect(str(db), read_only=True)
    except duckdb.Error:
        return False
    try:
        row = con.execute(f"SELECT lake, definition FROM {MARKER}").fetchone()
    except duckdb.Error:  # built before the marker existed
        return False
    finally:
        con.close()
    return row == (text(lake_dir(data_dir)), definition_hash())


def ensure_warehouse(data_dir: Path) -> bool:
    """Rebuild the warehouse if it is missing, was built for another place (the data dir was moved
    or copied: its views would read the old lake, or nothing) or by another akhbar version. Safe
    beside readers and runs (the build swaps a whole file in). Returns whether it rebuilt."""
    if not lake_dir(data_dir).exists() or warehouse_is_current(data_dir):
        return False
    build_views(data_dir)
    return True


def connect_as_of(data_dir: Path, run_id: str) -> duckdb.DuckDBPyConnection:
    """Time travel: an in-memory DuckDB with the warehouse's views over the lake as it was when run
    `run_id` was published (its rows and every earlier run's; later canonical changes not applied).
    Every table view reads only runs in the `runs` view, so bounding that one view bounds them all."""
    lake = lake_dir(data_dir)
    con = attach(duckdb.connect(), lake)
    try:
        for sql in warehouse_sql(lake, as_of=run_id):
            con.execute(sql)
        # fetchall: DuckDB 2.0 refuses further work on a connection with a result not fetched to its end
        if not con.execute("SELECT count(*) FROM runs WHERE run_id = ?", [run_id]).fetchall()[0][0]:
            raise ValueError(f"no published run {run_id!r} in {lake}")
    except BaseException:
        con.close()
        raise
    return con
