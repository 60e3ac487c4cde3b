"""CPU of applying learned boilerplate alone (the learned stage of pass 2), per article, on the first N
records of a corpus: pass 1 and the run's own decision first (not timed), then `apply_stage` on each
staged partition in CPU seconds, with the lines it removed and an md5 of what it produced (articles,
spans, quarantine), to compare two checkouts' outputs. Does the step cost the same per article at 5k
and at 20k?

    python bench/learned_apply.py CORPUS N
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import itertools
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def first_records(corpus: Path, n: int, out: Path) -> Path:
    with gzip.open(corpus, "rb") as f, gzip.open(out, "wb", compresslevel=1) as g:
        for raw in itertools.islice(f, n):
            g.write(raw)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", type=Path)
    ap.add_argument("n", type=int)
    args = ap.parse_args()
    from akhbar.flows import pipeline as p
    from akhbar.tasks.dedup import DedupSettings
    from akhbar.tasks.history import History
    from akhbar.tasks.learned import apply_stage
    from akhbar.tasks.ledger import RunLedger
    from akhbar.tasks.read import discover_files
    from akhbar.tasks.storage import read_parquet

    from akhbar.settings import get_settings

    p.warm_stages()  # the gazetteer's tables are built once per process, not by the step
    with tempfile.TemporaryDirectory() as d:
        ctx = p.RunContext("learned-apply", Path(d) / "w", get_settings(data_dir=Path(d) / "w"), DedupSettings())
        ledger = RunLedger(ctx.staging)
        files, _ = discover_files([first_records(args.corpus, args.n, Path(d) / "in.jsonl.gz")])
        parts = p.read_step(files, ctx, History(), ledger)
        for name in parts:
            ledger.merge(p.first_pass(name, ctx))
        learned = p.decide_step(ctx)
        cpu, articles, removed, digest = 0.0, 0, 0, hashlib.md5()
        for name in parts:
            observed = read_parquet(ctx.staging.path("observed", name))
            started = time.process_time()
            out = apply_stage(observed, learned, ctx.settings.learned, "learned-apply")
            cpu += time.process_time() - started
            articles, removed = articles + observed.num_rows, removed + out.removed.num_rows
            for table in (
                out.kept.select(["article_id", "body"]),
                out.removed,
                out.quarantined.drop_columns(["quarantined_at"]),
            ):
                digest.update(repr(table.to_pylist()).encode())
    print(
        f"{args.corpus.name}, first {args.n:,}: apply {cpu:.2f} s CPU for {articles:,} articles = "
        f"{1e3 * cpu / articles:.3f} ms an article; {removed / articles:.2f} lines removed an article; "
        f"outputs md5 {digest.hexdigest()}"
    )


if __name__ == "__main__":
    main()
