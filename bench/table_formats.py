"""Table formats compared on akhbar's own data: our lake (run files + `runs` row as commit marker,
tasks/publish.py and tasks/compact.py), DuckLake (DuckDB 1.5 + its extension wheel), Delta Lake
(deltalake) and Iceberg (pyiceberg, SQL catalog on sqlite).

    python bench/table_formats.py ARTICLES.parquet [--repeat 3] [--out DIR]

ARTICLES.parquet: the `articles` file one corpus run published (DIR/lake/articles/run-*.parquet of
`akhbar run --input ../shared/corpora/ant-2018.jsonl.gz`). Each format gets the same two commits:
run 1 = the whole file, run 2 = a tenth of it under new ids and a new run id (a nightly increment).
Then, per format: full read back to Arrow, two DuckDB queries (group by outlet; a text search),
a polars read, time travel to run 1, compaction + retention of replaced files, and two processes
appending at once. Medians of --repeat; prints a markdown table.

Needs packages akhbar does not install, in a separate venv (never akhbar's: DuckDB 2.0 there):
    python3 -m venv /tmp/fmt-venv && /tmp/fmt-venv/bin/pip install "duckdb>=1.5,<1.6" \\
        duckdb-extension-ducklake duckdb-extension-avro duckdb-extension-iceberg deltalake \\
        "pyiceberg[sql-sqlite,pyarrow]" polars pytz
    PYTHONPATH=. /tmp/fmt-venv/bin/python bench/table_formats.py /tmp/corpus/data/lake/articles/run-*.parquet
"""

from __future__ import annotations

import argparse
import glob
import shutil
import site
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

RUN1, RUN2 = "20250101T000000Z-run001", "20250102T000000Z-run002"
QUERIES = {
    "group by outlet": "SELECT outlet, count(*), avg(word_count) FROM t GROUP BY outlet",
    "text search": "SELECT count(*) FROM t WHERE body_norm LIKE '%النفط%'",
}


def runs_of(articles: pa.Table) -> tuple[pa.Table, pa.Table]:
    run1 = articles.set_column(articles.schema.get_field_index("run_id"), "run_id", pa.array([RUN1] * len(articles)))
    tenth = articles.slice(0, len(articles) // 10)
    ids = pc.binary_join_element_wise(tenth["article_id"], pa.scalar("-2"), "")
    run2 = tenth.set_column(tenth.schema.get_field_index("article_id"), "article_id", ids)
    run2 = run2.set_column(run2.schema.get_field_index("run_id"), "run_id", pa.array([RUN2] * len(run2)))
    return run1, run2


def load_extension(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Extensions from their PyPI wheels: LOAD by path (INSTALL would download, and we are offline)."""
    sp = site.getsitepackages()[0]
    con.execute(f"LOAD '{glob.glob(f'{sp}/duckdb_extension_{name}/extensions/*/*.duckdb_extension')[0]}'")


def files(fmt, root: Path) -> list[Path]:
    """The table's files: data and commit metadata (catalog database included)."""
    folders = [root / f for f in getattr(fmt, "footprint", ["."])]
    return [f for d in folders for f in d.rglob("*") if f.is_file()]


# ------------------------------------------------------------------------------------------- formats
# Each: write(root, table, run_id) commits one run; arrow(root, as_of=None) reads it back (as of run 1
# if asked); duck(root) a DuckDB connection with view `t`; polars(root) a polars frame; compact(root)
# merges files and drops replaced ones. Files counted under root after each step.


class Ours:
    name = "akhbar lake (ours)"
    # the articles table and its commit marker (the other 11 tables' folders hold a 1 KB empty file)
    footprint = ("lake/articles", "lake/runs")

    def write(self, root: Path, table: pa.Table, run_id: str) -> None:
        from akhbar.schemas.tables import RUNS
        from akhbar.tasks.publish import write_tables

        runs = pa.Table.from_pylist([{"run_id": run_id, "status": "published"}], schema=RUNS)
        write_tables(root, run_id, {"articles": table, "runs": runs})

    def duck(self, root: Path, as_of: str | None = None) -> duckdb.DuckDBPyConnection:
        from akhbar.tasks.publish import connect_as_of, create_table_views, lake_dir

        con = connect_as_of(root, as_of) if as_of else duckdb.connect()
        if not as_of:
            create_table_views(con, lake_dir(root))
        con.execute("CREATE TEMP VIEW t AS SELECT * FROM articles")  # the read contract: through the views
        return con

    def arrow(self, root: Path, as_of: str | None = None) -> pa.Table:
        return self.duck(root, as_of).execute("SELECT * FROM t").to_arrow_table()

    def polars(self, root: Path):
        import polars as pl

        # a direct reader following the read contract: files of committed runs only
        runs = pl.read_parquet(f"{root}/lake/runs/*.parquet")["run_id"]
        return (
            pl.scan_parquet(f"{root}/lake/articles/*.parquet").filter(pl.col("run_id").is_in(runs.implode())).collect()
        )

    def compact(self, root: Path) -> None:
        from akhbar.tasks.compact import compact

        compact(root)


class DuckLake:
    name = "DuckLake (DuckDB 1.5)"

    def _con(self, root: Path) -> duckdb.DuckDBPyConnection:
        con = duckdb.connect()
        load_extension(con, "ducklake")
        con.execute(f"ATTACH 'ducklake:{root}/meta.ducklake' AS dl (DATA_PATH '{root}/files/')")
        con.execute("CALL dl.set_option('parquet_compression', 'zstd')")  # as our lake and Iceberg write
        return con

    def write(self, root: Path, table: pa.Table, run_id: str) -> None:
        root.mkdir(parents=True, exist_ok=True)
        con = self._con(root)
        con.register("src", table)
        if run_id == RUN1:
            con.execute("CREATE TABLE dl.articles AS SELECT * FROM src")
        else:
            con.execute("INSERT INTO dl.articles SELECT * FROM src")
        con.close()

    def duck(self, root: Path, as_of: str | None = None) -> duckdb.DuckDBPyConnection:
        con = self._con(root)
        at = " AT (VERSION => 1)" if as_of else ""  # snapshot 1 = the CREATE TABLE AS of run 1
        con.execute(f"CREATE TEMP VIEW t AS SELECT * FROM dl.articles{at}")
        return con

    def arrow(self, root: Path, as_of: str | None = None) -> pa.Table:
        return self.duck(root, as_of).execute("SELECT * FROM t").to_arrow_table()

    def polars(self, root: Path):
        return None  # no polars reader of the DuckLake catalog; only through DuckDB

    def compact(self, root: Path) -> None:
        con = self._con(root)
        con.execute("CALL ducklake_merge_adjacent_files('dl')")
        con.execute("CALL ducklake_expire_snapshots('dl', older_than => now())")
        con.execute("CALL ducklake_cleanup_old_files('dl', cleanup_all => true)")
        con.close()


class Delta:
    name = "Delta Lake (deltalake)"

    def write(self, root: Path, table: pa.Table, run_id: str) -> None:
        from deltalake import WriterProperties, write_deltalake

        write_deltalake(str(root), table, mode="append", writer_properties=WriterProperties(compression="ZSTD"))

    def _table(self, root: Path, as_of: str | None = None):
        from deltalake import DeltaTable

        return DeltaTable(str(root), version=0 if as_of else None)  # version 0 = run 1's commit

    def duck(self, root: Path, as_of: str | None = None) -> duckdb.DuckDBPyConnection:
        con = duckdb.connect()
        if as_of:  # time travel goes through deltalake; DuckDB's delta_scan reads the latest version
            con.register("t", self._table(root, as_of).to_pyarrow_dataset())
        else:
            load_extension(con, "delta")
            con.execute(f"CREATE TEMP VIEW t AS SELECT * FROM delta_scan('{root}')")
        return con

    def arrow(self, root: Path, as_of: str | None = None) -> pa.Table:
        return self._table(root, as_of).to_pyarrow_table()

    def polars(self, root: Path):
        import polars as pl

        return pl.read_delta(str(root))

    def compact(self, root: Path) -> None:
        dt = self._table(root)
        from deltalake import WriterProperties

        dt.optimize.compact(writer_properties=WriterProperties(compression="ZSTD"))
        dt.vacuum(retention_hours=0, enforce_retention_duration=False, dry_run=False)


class Iceberg:
    name = "Iceberg (pyiceberg, sqlite catalog)"

    def _catalog(self, root: Path):
        from pyiceberg.catalog.sql import SqlCatalog

        root.mkdir(parents=True, exist_ok=True)
        return SqlCatalog("bench", uri=f"sqlite:///{root}/catalog.db", warehouse=f"file://{root}/warehouse")

    def write(self, root: Path, table: pa.Table, run_id: str) -> None:
        cat = self._catalog(root)
        if run_id == RUN1:
            cat.create_namespace_if_not_exists("akhbar")
            cat.create_table("akhbar.articles", schema=table.schema)
        cat.load_table("akhbar.articles").append(table)

    def _scan(self, root: Path, as_of: str | None = None):
        t = self._catalog(root).load_table("akhbar.articles")
        snap = t.snapshots()[0].snapshot_id if as_of else None
        return t.scan(snapshot_id=snap)

    def duck(self, root: Path, as_of: str | None = None) -> duckdb.DuckDBPyConnection:
        # DuckDB's iceberg extension does not know pyiceberg's SQL catalog: it reads the table's
        # metadata file, which the catalog names
        t = self._catalog(root).load_table("akhbar.articles")
        con = duckdb.connect()
        load_extension(con, "avro")  # the iceberg extension's own dependency, also a wheel
        load_extension(con, "iceberg")
        snap = f", version => '{t.snapshots()[0].snapshot_id}'" if as_of else ""
        con.execute(f"CREATE TEMP VIEW t AS SELECT * FROM iceberg_scan('{t.metadata_location}'{snap})")
        return con

    def arrow(self, root: Path, as_of: str | None = None) -> pa.Table:
        return self._scan(root, as_of).to_arrow()

    def polars(self, root: Path):
        import polars as pl

        return pl.scan_iceberg(self._catalog(root).load_table("akhbar.articles")).collect()

    def compact(self, root: Path) -> None:
        raise NotImplementedError("pyiceberg has no data file compaction (only expire_snapshots)")


FORMATS = {"ours": Ours, "ducklake": DuckLake, "delta": Delta, "iceberg": Iceberg}


# ------------------------------------------------------------------------------------ measurements


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def measure(fmt, run1: pa.Table, run2: pa.Table, repeat: int, out: Path) -> dict:
    rows: dict[str, list] = {}
    for i in range(repeat):
        root = out / f"{type(fmt).__name__.lower()}-{i}"
        shutil.rmtree(root, ignore_errors=True)
        m = {
            "write run 1 (s)": timed(lambda: fmt.write(root, run1, RUN1)),
            "append run 2 (s)": timed(lambda: fmt.write(root, run2, RUN2)),
        }
        m["files"] = len(files(fmt, root))
        m["MB on disk"] = sum(f.stat().st_size for f in files(fmt, root)) / 1e6
        m["read all (s)"] = timed(lambda: fmt.arrow(root))
        n = fmt.arrow(root).num_rows
        assert n == len(run1) + len(run2), (fmt.name, n)
        con = fmt.duck(root)
        for q, sql in QUERIES.items():
            con.execute(sql).fetchall()  # warm
            m[f"DuckDB {q} (s)"] = timed(lambda sql=sql: con.execute(sql).fetchall())
        con.close()
        try:
            m["polars read (s)"] = timed(lambda: fmt.polars(root))
            if fmt.polars(root) is None:
                m["polars read (s)"] = None
        except Exception as exc:  # a reader that cannot: reported, not fatal
            m["polars read (s)"] = f"fails: {type(exc).__name__}"
        m["time travel to run 1"] = "ok" if fmt.arrow(root, as_of=RUN1).num_rows == len(run1) else "WRONG"
        try:
            m["compact + drop old files (s)"] = timed(lambda: fmt.compact(root))
            assert fmt.arrow(root).num_rows == n
            m["files after compaction"] = len(files(fmt, root))
        except NotImplementedError:
            m["compact + drop old files (s)"], m["files after compaction"] = "not offered", "-"
        for k, v in m.items():
            rows.setdefault(k, []).append(v)
    return {k: (statistics.median(v) if all(isinstance(x, int | float) for x in v) else v[0]) for k, v in rows.items()}


def concurrent_appends(key: str, run2: pa.Table, out: Path) -> str:
    """Two processes append a small run each at the same instant after run 1: both must land."""
    root = out / f"{key}-concurrent"
    shutil.rmtree(root, ignore_errors=True)
    small = out / "small.parquet"
    pq.write_table(run2.slice(0, 100), small)
    FORMATS[key]().write(
        root,
        run2.slice(0, 100).set_column(run2.schema.get_field_index("run_id"), "run_id", pa.array([RUN1] * 100)),
        RUN1,
    )
    procs = [
        subprocess.Popen(
            [sys.executable, __file__, "--child", key, str(root), str(small), f"2025010{n}T000000Z-conc{n}"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in (3, 4)
    ]
    results = [(p.wait(timeout=300), p.stderr.read().strip().splitlines()[-1:] or [""]) for p in procs]
    ok = sum(1 for rc, _ in results if rc == 0)
    rows = FORMATS[key]().arrow(root).num_rows
    errors = "; ".join(err[0][:90] for rc, err in results if rc != 0)
    return f"{ok}/2 landed, {rows} rows (want {100 + 100 * ok})" + (f"; {errors}" if errors else "")


def child(key: str, root: str, small: str, run_id: str) -> None:
    table = pq.read_table(small)
    table = table.set_column(table.schema.get_field_index("run_id"), "run_id", pa.array([run_id] * len(table)))
    ids = pc.binary_join_element_wise(table["article_id"], pa.scalar(run_id[-1]), "")
    table = table.set_column(table.schema.get_field_index("article_id"), "article_id", ids)
    if key == "ours":  # akhbar's writer takes the run lock: a second writer waits its turn
        from akhbar.tasks.lock import RunLock

        with RunLock(root, run_id, wait_seconds=120):
            FORMATS[key]().write(Path(root), table, run_id)
    else:
        FORMATS[key]().write(Path(root), table, run_id)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(*sys.argv[2:6])
        return
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("articles", type=Path)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--formats", default=",".join(FORMATS))
    args = ap.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="akhbar-formats-"))
    run1, run2 = runs_of(pq.read_table(args.articles))
    print(
        f"articles: {len(run1)} rows in run 1, {len(run2)} in run 2; {args.articles.stat().st_size / 1e6:.1f} MB zstd Parquet"
    )
    print(f"duckdb {duckdb.__version__}, pyarrow {pa.__version__}; medians of {args.repeat}\n")
    results = {}
    for key in args.formats.split(","):
        results[key] = measure(FORMATS[key](), run1, run2, args.repeat, out)
        results[key]["two writers at once"] = concurrent_appends(key, run2, out)
        print(f"  {FORMATS[key].name}: done", file=sys.stderr)
    keys = list(results)
    print("| measure | " + " | ".join(FORMATS[k].name for k in keys) + " |")
    print("| --- |" + " --- |" * len(keys))
    for metric in results[keys[0]]:
        cells = []
        for k in keys:
            v = results[k].get(metric)
            cells.append("n/a" if v is None else f"{v:.2f}" if isinstance(v, float) else str(v))
        print(f"| {metric} | " + " | ".join(cells) + " |")
    shutil.rmtree(out, ignore_errors=True) if args.out is None else None


if __name__ == "__main__":
    main()
