"""The run's one clustering at a backfill's size: dedup (`cluster_run`) and the story grouping
(`group_stories`) over N fingerprint rows, in a process of their own, CPU and peak RSS after each.

    python bench/dedup_scale.py [--n 1000000] [--copies 0.02] [--days 365]

The fingerprint table is what the whole-run process reads (tasks/dedup.py FINGERPRINTS, staged as
files of 2,000 rows, a partition's): ids, outlets, titles (drawn from the shared corpus's real titles),
publication times over `--days`, word counts, content hashes and the fingerprints, plus
`story_terms` when the schema has it. Rows are distinct bodies (random fingerprints: no two share a
band key) except a `--copies` share, each a copy of an earlier row published within a day (its
fingerprint, another content hash): what dedup must find, and what makes clusters. A first process
writes the files; a second, fresh one reads them as `cluster_step` does (`read_fingerprints`, lead
hashes spilled) and measures, so the figures hold only the clustering.

Not part of `make test`; BENCHMARKS.md, "Scale", quotes it.
"""

from __future__ import annotations

import argparse
import gzip
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
CORPUS = REPO.parent / "shared" / "corpora" / "ant-2018.jsonl.gz"


def real_titles(limit: int = 40_000) -> list[str]:
    with gzip.open(CORPUS, "rt", encoding="utf-8") as f:
        return [t for t in (json.loads(line).get("title") for _, line in zip(range(limit), f)) if t]


def write_inputs(n: int, copies: float, days: int, out: Path, rows: int = 2_000) -> None:
    """N rows of the fingerprint table, as staged Parquet files of `rows` rows each."""
    from akhbar.schemas.tables import FINGERPRINTS
    from akhbar.tasks.dedup import DedupSettings, fingerprint_table

    cfg = DedupSettings()
    rng = np.random.default_rng(7)
    width = cfg.num_perm + cfg.head_len + cfg.slots
    when = 1514764800 + rng.integers(0, days * 86400, n)
    copy = np.flatnonzero(rng.random(n) < copies)
    copy = copy[copy > 0]
    original = (rng.random(len(copy)) * copy).astype(np.int64)  # an earlier row
    when[copy] = when[original] + rng.integers(0, 86400, len(copy))
    seeds = np.arange(n, dtype=np.int64)
    seeds[copy] = original  # a copy's fingerprint is made from its original's seed
    titles = pa.array(real_titles())
    for start in range(0, n, rows):
        k = np.arange(start, min(start + rows, n))
        sig = np.stack([np.random.default_rng(int(s)).integers(0, 2**32, width, dtype=np.uint32) for s in seeds[k]])
        columns = {
            "article_id": pa.array([f"scale-{i:07d}" for i in k]),
            "outlet": pa.array(rng.choice(["alarabiya", "bbc", "cnn", "france24", "skynews"], len(k))),
            "title": titles.take(pa.array(rng.integers(0, len(titles), len(k)))),
            "published_at": pa.array(when[k] * 1_000_000, pa.timestamp("us", tz="UTC")),
            "word_count": pa.array(rng.integers(80, 900, len(k)), pa.int32()),
            "content_hash": pa.array([f"{i:064x}" for i in k]),
            "story_hash": pa.array(rng.integers(0, 2**62, len(k))),
        }
        if "story_terms" in FINGERPRINTS.names:  # ~50 hashed terms an article, drawn from a Zipf vocabulary
            terms = (rng.zipf(1.3, size=len(k) * 50) % 200_000).astype(np.uint32)
            offsets = pa.array(np.arange(0, len(k) * 50 + 1, 50, dtype=np.int32))
            columns["story_terms"] = pa.ListArray.from_arrays(offsets, pa.array(terms))
        pq.write_table(fingerprint_table(pa.table(columns), sig), out / f"fingerprints-{start // rows:05d}.parquet")


def rss_parts() -> str:
    """RssAnon / RssFile now (MB): what the peak is made of."""
    parts = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(("RssAnon:", "RssFile:")):
            parts[line.split(":")[0]] = int(line.split()[1]) // 1024
    return f"anon {parts.get('RssAnon', 0)} / file {parts.get('RssFile', 0)} MB"


def peak_mb() -> float:
    """This process's peak RSS (VmHWM: ru_maxrss would carry the writer's peak over the exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(scratch: Path) -> dict:
    """Read the inputs as the whole-run process does, then cluster; CPU and peak RSS after each."""
    from akhbar.tasks.dedup import DedupHistory, DedupSettings, cluster_run, read_fingerprints

    try:
        from akhbar.tasks.stories import group_stories
    except ImportError:
        from akhbar.tasks.dedup import group_stories
    cfg = DedupSettings()
    out = {"imports_mb": peak_mb()}
    files = sorted(scratch.glob("fingerprints-*.parquet"))
    try:  # as cluster_step reads them
        table, sig = read_fingerprints(files, cfg, spill=scratch / "lead_hashes.npy")
    except TypeError:  # a checkout from before the lead hashes were spilled (a baseline)
        table, sig = read_fingerprints(files)
    out["inputs_mb"], out["inputs_rss"] = peak_mb(), rss_parts()
    t = time.process_time()
    clustered, dups, _ = cluster_run(table, sig, DedupHistory.empty(cfg), "scale", cfg)
    out["dedup_cpu_s"], out["dedup_mb"], out["duplicates"] = time.process_time() - t, peak_mb(), dups.num_rows
    out["dedup_rss"] = rss_parts()
    sig = sig.without_signatures() if hasattr(sig, "without_signatures") else sig  # as cluster_step does
    t = time.process_time()
    stories = group_stories(clustered, sig, cfg)
    out["stories_cpu_s"], out["stories_mb"] = time.process_time() - t, peak_mb()
    out["stories_rss"] = rss_parts()
    out["stories"] = len(set(stories.to_pylist() if hasattr(stories, "to_pylist") else stories))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--copies", type=float, default=0.02)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # the second process
    args = ap.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return
    with tempfile.TemporaryDirectory() as d:
        write_inputs(args.n, args.copies, args.days, Path(d))
        done = subprocess.run(
            [sys.executable, __file__, "--measure", d], capture_output=True, text=True, check=True, cwd=REPO
        )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    print({k: v for k, v in result.items() if k.endswith("_rss")})
    print(f"\n## The run's clustering over {args.n:,} fingerprint rows ({args.copies:.0%} copies, {args.days} days)\n")
    print("| figure | value |\n| --- | ---: |")
    for name, key, unit in (
        ("peak RSS after imports", "imports_mb", "MB"),
        ("peak RSS with the table and matrix read", "inputs_mb", "MB"),
        ("dedup: CPU", "dedup_cpu_s", "s"),
        ("dedup: peak RSS", "dedup_mb", "MB"),
        ("stories: CPU", "stories_cpu_s", "s"),
        ("stories: peak RSS", "stories_mb", "MB"),
        ("duplicates found", "duplicates", ""),
        ("stories", "stories", ""),
    ):
        value = result[key]
        print(f"| {name} | {value:,.1f} {unit} |" if isinstance(value, float) else f"| {name} | {value:,} |")


if __name__ == "__main__":
    main()
