"""A digest of everything a run published, to prove that a change made the pipeline faster without
changing what it publishes: run it on the data dirs of two runs over the same input and diff.

    python bench/output_digest.py DIR [DIR ...]

Per published table: its row count and one md5 over its rows (each row cast to text and hashed, the
row hashes sorted, so file and row order do not matter); for `articles`, one md5 per column too, in
article_id order (a difference then names the column). What differs between two runs of the same
code is left out: run ids, timestamps, and from the `runs` row's counts the timings and paths.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import duckdb

# Columns that differ between two runs of the same code over the same input.
VOLATILE = {"run_id", "quarantined_at", "flow_run_id", "started_at", "finished_at", "parameters", "mtime_ns"}
# Keys of the `runs` row's counts that are timings, memory peaks or paths.
VOLATILE_COUNTS = ("seconds", "steps", "stages", "peaks", "run_id", "data_docs")
TABLES = (
    "articles",
    "boilerplate",
    "duplicates",
    "quarantine",
    "stories",
    "signatures",
    "lines",
    "edges",
    "canonical_changes",
    "validation_results",
    "skipped",
    "manifest",
)


def _source(lake: Path, table: str) -> str | None:
    files = sorted((lake / table).glob("*.parquet"))
    return "read_parquet([" + ", ".join(f"'{f}'" for f in files) + "], union_by_name=true)" if files else None


def table_digest(con: duckdb.DuckDBPyConnection, source: str) -> tuple[int, str, list[str]]:
    columns = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall() if r[0] not in VOLATILE]
    quoted = ", ".join(f'"{c}"' for c in columns)
    rows, digest = con.execute(
        f"""SELECT count(*), md5(coalesce(string_agg(h, ',' ORDER BY h), ''))
            FROM (SELECT md5(CAST(ROW({quoted}) AS VARCHAR)) AS h FROM {source})"""
    ).fetchall()[0]
    return rows, digest, columns


def column_digests(con: duckdb.DuckDBPyConnection, source: str, columns: list[str], key: str) -> dict[str, str]:
    out = {}
    for c in columns:
        out[c] = con.execute(
            f"""SELECT md5(coalesce(string_agg(coalesce(CAST("{c}" AS VARCHAR), '<null>'), chr(31)
                ORDER BY "{key}"), '')) FROM {source}"""
        ).fetchall()[0][0]
    return out


def runs_counts(con: duckdb.DuckDBPyConnection, source: str) -> dict:
    """The published run's counters, timings and paths left out."""
    counts = json.loads(con.execute(f"SELECT counts FROM {source} ORDER BY started_at").fetchall()[-1][0])
    return {k: v for k, v in sorted(counts.items()) if not any(word in k for word in VOLATILE_COUNTS)}


def digest(data_dir: Path) -> list[str]:
    lake = data_dir / "lake"
    con = duckdb.connect()
    out = []
    for table in TABLES:
        source = _source(lake, table)
        if source is None:
            out.append(f"{table}: no rows")
            continue
        rows, d, columns = table_digest(con, source)
        out.append(f"{table}: {rows} rows {d}")
        if table == "articles":
            out += [f"  articles.{c}: {h}" for c, h in column_digests(con, source, columns, "article_id").items()]
    source = _source(lake, "runs")
    if source is not None:
        counts = runs_counts(con, source)
        out.append(f"runs.counts: {json.dumps(counts, sort_keys=True)}")
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("data_dirs", nargs="+", type=Path)
    args = ap.parse_args()
    digests = [digest(d) for d in args.data_dirs]
    for d, lines in zip(args.data_dirs, digests):
        print(f"== {d}")
        print("\n".join(lines))
    if len(digests) > 1:
        same = all(lines == digests[0] for lines in digests[1:])
        print("IDENTICAL" if same else "DIFFERENT")
        return 0 if same else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
