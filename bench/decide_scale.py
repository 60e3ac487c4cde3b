"""The learned decision alone over a backfill's lines, at a given DuckDB memory limit.

    python bench/decide_scale.py [--stories 1000000] [--memory 512MB]

Stages `--stories` stories of ten lines each (a title, nine body lines, the last a sign-off that 50
texts share, five outlets) as the run's `lines` files, 250,000 stories a file, and runs
`tasks.learned.decide` over them with `DECIDE_MEMORY` set to `--memory`: it prints the seconds and
the sign-offs learned per outlet, or the error. A 1M-article backfill has ~10M lines: 1M stories.
Not part of `make test`; BENCHMARKS.md, "Scale", quotes it.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
STORIES_A_FILE = 250_000
OUTLETS = np.array(["wakala-a", "wakala-b", "wakala-c", "wakala-d", "wakala-e"])


def lines_table(story: np.ndarray, line_no: np.ndarray, line_hash: np.ndarray, outlet, line_count: int) -> pa.Table:
    """Staged `lines` rows (LINES + seq) of stories in one run: what the learned decision reads."""
    from akhbar.schemas.tables import LINES

    return pa.table(
        {
            "outlet": pa.array(outlet),
            "line_hash": line_hash,
            "story_hash": story,
            "published_day": pa.nulls(len(story), pa.date32()),
            "line_no": line_no,
            "line_count": np.full(len(story), line_count, dtype=np.int32),
            "run_id": pa.array(["r1"] * len(story)),
            "in_link_run": np.zeros(len(story), dtype=bool),
            "source": pa.array([f"night-{i % 7}.jsonl" for i in range(len(story))]),
            "seq": story,
        }
    ).cast(pa.schema([*LINES, pa.field("seq", pa.int64())]))


def stage_lines(stories: int, folder: Path) -> list[Path]:
    rng = np.random.default_rng(1)
    files = []
    for k, first in enumerate(range(0, stories, STORIES_A_FILE)):
        story = np.repeat(np.arange(first, min(first + STORIES_A_FILE, stories)), 10)
        line_no = np.tile(np.arange(-1, 9, dtype=np.int32), len(story) // 10)
        line_hash = rng.integers(0, 2**62, len(story))
        line_hash[line_no == 8] = story[line_no == 8] % 50  # the sign-offs
        files.append(folder / "lines" / f"p{k:05d}.parquet")
        pq.write_table(lines_table(story, line_no, line_hash, OUTLETS[story % len(OUTLETS)], 9), files[-1])
    return files


def main() -> None:
    import akhbar.tasks.learned as learned

    from akhbar.settings import LearnedSettings

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stories", type=int, default=1_000_000)
    ap.add_argument("--memory", default=learned.DECIDE_MEMORY)
    args = ap.parse_args()
    learned.DECIDE_MEMORY = args.memory
    with tempfile.TemporaryDirectory() as d:
        (Path(d) / "lines").mkdir()
        files = stage_lines(args.stories, Path(d))
        t = time.perf_counter()
        try:
            result = learned.decide(files, LearnedSettings())
        except Exception as e:  # noqa: BLE001 - the figure is whether it fails, and how
            print(
                f"{args.stories * 10:,} lines at {args.memory}: FAILED ({type(e).__name__}: {' '.join(str(e).split())[:160]})"
            )
            return
        wall = time.perf_counter() - t
    learned_counts = {outlet: len(hashes) for outlet, hashes in sorted(result.repeated.items())}
    print(f"{args.stories * 10:,} lines at {args.memory}: {wall:.1f} s; sign-offs learned {learned_counts}")


if __name__ == "__main__":
    main()
