"""CPU of the row suite (Great Expectations) on one partition of staged articles, and of its marker
regex alone (what `ExpectColumnValuesToNotMatchRegex` runs: Python's `re.search` over each body).

    python bench/row_checks.py [--input PATH]

The partition is the input's first, through both passes as a run makes it (no Prefect).
"""

from __future__ import annotations

import argparse
import re
import tempfile
import time
from pathlib import Path

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpora" / "ant-2018.jsonl.gz"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--input", type=Path, default=CORPUS)
    args = ap.parse_args()
    from akhbar.flows import pipeline as p
    from akhbar.tasks.clean import marker_regex
    from akhbar.tasks.dedup import DedupSettings
    from akhbar.tasks.history import History
    from akhbar.tasks.ledger import RunLedger
    from akhbar.tasks.read import discover_files
    from akhbar.tasks.storage import read_parquet

    from akhbar.settings import get_settings

    with tempfile.TemporaryDirectory() as d:
        ctx = p.RunContext("row-checks", Path(d), get_settings(data_dir=d), DedupSettings())
        files, _ = discover_files([args.input])
        name = p.read_step(files, ctx, History(), RunLedger(ctx.staging))[0]
        p.first_pass(name, ctx)
        p.second_pass(name, ctx, p.decide_step(ctx))
        batch = read_parquet(ctx.staging.path("articles", name))
        checker = p._row_checker(ctx.settings)
        checker.check(batch, "warm")  # the checkpoint is built on the first partition
        started = time.process_time()
        checker.check(batch, "timed")
        suite = time.process_time() - started
        marker = re.compile(marker_regex())
        started = time.process_time()
        hits = sum(1 for body in batch["body"].to_pylist() if marker.search(body))
        regex = time.process_time() - started
    n = batch.num_rows
    print(f"{n} articles: row suite {suite:.2f} s CPU, of it the marker regex alone {regex:.2f} s ({hits} hits)")
    print(f"per article: {suite / n * 1e6:.0f} µs, marker regex {regex / n * 1e6:.0f} µs")


if __name__ == "__main__":
    main()
