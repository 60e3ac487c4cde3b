"""`make bench-scale`: akhbar at sizes a backfill reaches, and the nightly cost on top of them.

    python bench/scale.py [--n 100000] [--night 0.01] [--workers 2] [--near-rate 0.02] [--profile RAW]

1. A corpus of N articles generated from the shared one (bench/generate.py, seed 1, near copies
   injected at --near-rate with their originals recorded), published over 2018, and a night of
   N x --night new articles (seed 2) published on one day, 1 January 2019, made once under bench/out/.
2. The floor beside it (bench/floor.py on the same file: gunzip + JSON + the rules' regexes + hash
   + zstd Parquet, one core, no orchestration).
3. `akhbar run` of the N articles into an empty data dir (AKHBAR_WORKERS=--workers): wall,
   articles/s, MB/s (decompressed input), CPU seconds of all its processes, peak RSS (largest process, all processes), wall per step
   and CPU seconds per stage (the run's own counters, from its `runs` row).
4. The night on top of that warehouse: its wall, and its share of the full run's.
5. Dedup recall on the injected copies: the share of copies published in their original's cluster.

Prints markdown and writes bench/out/scale-<N>.json. Not part of `make test`.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
OUT = REPO / "bench" / "out"


def corpus(n: int, seed: int, near_rate: float) -> Path:
    """N articles over the year 2018 (the backfill)."""
    from bench.generate import GENERATOR, SHARED, generate

    path = OUT / f"gen{GENERATOR}-n{n}-s{seed}-c{near_rate}.jsonl.gz"
    if not path.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        generate(SHARED, n, path, seed=seed, near_rate=near_rate)
    return path


def night_corpus(n: int, seed: int, near_rate: float) -> Path:
    """N articles published on one day, the day after the backfill's year: a night's scrape."""
    from bench.generate import GENERATOR, SHARED, generate

    path = OUT / f"gen{GENERATOR}-n{n}-s{seed}-c{near_rate}-night.jsonl.gz"
    if not path.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        generate(
            SHARED, n, path, seed=seed, days=1, near_rate=near_rate, start=datetime(2019, 1, 1, tzinfo=timezone.utc)
        )
    return path


# A backfill lands as many files, each within the run's bounds on one landing file (max_file_bytes
# 2 GiB, max_decompressed_bytes 4 GiB: the 1M corpus is one 2.5 GB file, 6 GB unpacked).
SHARD_ROWS = 100_000


def landing_shards(path: Path, rows: int = SHARD_ROWS) -> Path:
    """The corpus file as a landing folder of files of `rows` records each (made once, beside it);
    the file itself when it is no bigger than that."""
    with gzip.open(path, "rt", encoding="utf-8") as f:
        if sum(1 for _ in zip(range(rows + 1), f)) <= rows:
            return path
    folder = path.with_name(path.name.removesuffix(".jsonl.gz") + f"-shards{rows}")
    done = folder.with_name(folder.name + ".done")  # beside the folder: inside, a run would list it as skipped
    if done.exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for k in itertools.count():
            lines = list(itertools.islice(f, rows))
            if not lines:
                break
            with gzip.open(folder / f"part-{k:03d}.jsonl.gz", "wt", encoding="utf-8", compresslevel=1) as out:
                out.writelines(lines)
    done.write_text("")
    return folder


def decompressed_mb(path: Path) -> float:
    size = 0
    with gzip.open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            size += len(chunk)
    return size / 1e6


def run_row(data: Path) -> dict:
    """The latest run's counts (its `runs` row), read straight from the lake's Parquet."""
    import duckdb

    counts = duckdb.sql(
        f"SELECT counts FROM read_parquet('{data}/lake/runs/*.parquet') ORDER BY run_id DESC LIMIT 1"
    ).fetchall()[0][0]
    return json.loads(counts)


def recall(data: Path, truth: Path) -> tuple[int, int]:
    """(copies published in their original's cluster, copies injected)."""
    import duckdb

    if not truth.stat().st_size:
        return 0, 0
    con = duckdb.connect()
    con.execute(f"CREATE VIEW articles AS SELECT * FROM read_parquet('{data}/lake/articles/*.parquet')")
    found, total = con.execute(
        f"""SELECT count(*) FILTER (WHERE c.cluster_id = o.cluster_id), count(*)
            FROM read_json('{truth}', columns = {{id: 'VARCHAR', original: 'VARCHAR'}}) t
            LEFT JOIN articles c ON c.source_id = t.id LEFT JOIN articles o ON o.source_id = t.original"""
    ).fetchall()[0]
    return found, total


def main() -> None:
    from bench.floor import floor_once
    from bench.run import whole_run

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--night", type=float, default=0.01)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--near-rate", type=float, default=0.02)
    ap.add_argument(
        "--floor",
        metavar="WALL,CPU",
        help="the floor's seconds as measured earlier on the same file (`python bench/floor.py --corpus FILE`), "
        "instead of measuring it again (at 1M it takes ~6 min of one core)",
    )
    ap.add_argument(
        "--profile",
        type=Path,
        metavar="RAW",
        help="attach py-spy to the full run's process tree and write its raw stacks here "
        "(`python bench/profile_top.py RAW --by-process --rate 10`)",
    )
    args = ap.parse_args()

    full, night = corpus(args.n, 1, args.near_rate), night_corpus(max(int(args.n * args.night), 1), 2, args.near_rate)
    mb = decompressed_mb(full)
    floor_s, floor_cpu = map(float, args.floor.split(",")) if args.floor else floor_once(full)[:2]
    with tempfile.TemporaryDirectory() as d:
        data = Path(d) / "warehouse"
        first = whole_run(landing_shards(full), REPO, args.workers, data_dir=data, profile=args.profile)
        if first["articles"] != args.n:  # a file skipped (over a bound) must not pass for a fast run
            raise SystemExit(f"the full run read {first['articles']:,} records of {args.n:,}: see its skipped table")
        first["counts"] = run_row(data)
        copies = recall(data, full.with_name(full.name + ".truth.jsonl"))
        then = whole_run(night, REPO, args.workers, data_dir=data)
        then["counts"] = run_row(data)
    result = {
        "n": args.n,
        "workers": args.workers,
        "floor_s": floor_s,
        "floor_cpu_s": floor_cpu,
        "input_mb": mb,
        "full": first,
        "night": then,
        "copies_found": copies,
    }
    (OUT / f"scale-{args.n}.json").write_text(json.dumps(result, indent=2, default=str))

    print(f"\n## {args.n:,} generated articles ({mb:,.0f} MB of JSON), AKHBAR_WORKERS={args.workers}\n")
    print("| figure | value |\n| --- | ---: |")
    rows = [
        ("full run: wall", f"{first['wall_s']:.1f} s"),
        ("full run: articles/s", f"{args.n / first['wall_s']:,.0f}"),
        ("full run: MB/s (decompressed JSON)", f"{mb / first['wall_s']:.1f}"),
        ("full run: peak RSS, largest process", f"{first['peak_rss_mb']:,.0f} MB"),
        ("full run: peak RSS, all processes", f"{first['tree_peak_mb']:,.0f} MB"),
        ("full run: CPU, all processes", f"{first['cpu_s']:.1f} s"),
        ("floor (one core, no orchestration): wall / CPU", f"{floor_s:.1f} / {floor_cpu:.1f} s"),
        ("full run / floor: wall / CPU", f"{first['wall_s'] / floor_s:.1f}x / {first['cpu_s'] / floor_cpu:.1f}x"),
        (f"night of {then['articles']:,} on top: wall / CPU", f"{then['wall_s']:.1f} / {then['cpu_s']:.1f} s"),
        (
            "night / full run: wall / CPU",
            f"{then['wall_s'] / first['wall_s']:.1%} / {then['cpu_s'] / first['cpu_s']:.1%}",
        ),
        ("night: peak RSS, all processes", f"{then['tree_peak_mb']:,.0f} MB"),
        ("injected copies found in their original's cluster", f"{copies[0]:,} / {copies[1]:,}"),
    ]
    for name, value in rows:
        print(f"| {name} | {value} |")
    for key, title in (
        ("steps", "wall per step (s)"),
        ("peaks", "the run's process's peak RSS at the end of each step (MB)"),
        ("stages", "CPU per stage, summed over partitions (s)"),
    ):
        if key in first["counts"]:
            print(f"\n{title}: " + ", ".join(f"{k} {v:.1f}" for k, v in first["counts"][key].items()))


if __name__ == "__main__":
    main()
