"""CPU seconds per stage and per step of the pipeline's own functions (no Prefect) in one process, and a
digest of every table the two passes and the clustering stage: what a speed-up of the stages must leave
unchanged, measured in CPU time so that a busy machine does not blur it.

    python bench/stage_cpu.py CODE_DIR [--input PATH]

CODE_DIR: the checkout to measure (a `git worktree` of a baseline, or this one). The ledger's stage
clock is switched to `time.process_time` for the measurement (in a run it is the wall clock).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import time
import types
from pathlib import Path

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpora" / "ant-2018.jsonl.gz"


def digest(table) -> str:
    """md5 over the table's rows (each row's repr hashed, the hashes sorted), run-dependent columns out."""
    table = table.drop_columns([c for c in ("quarantined_at",) if c in table.column_names])
    rows = sorted(hashlib.md5(repr(r).encode()).hexdigest() for r in table.to_pylist())
    return hashlib.md5("".join(rows).encode()).hexdigest()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("code", type=Path)
    ap.add_argument("--input", type=Path, default=CORPUS)
    args = ap.parse_args()
    sys.path.insert(0, str(args.code.resolve()))
    import akhbar.tasks.ledger as ledger_module
    import pyarrow as pa
    import pyarrow.parquet as pq
    from akhbar.flows import pipeline as p
    from akhbar.tasks.dedup import DedupSettings
    from akhbar.tasks.history import History
    from akhbar.tasks.ledger import RunLedger
    from akhbar.tasks.read import discover_files

    from akhbar.settings import get_settings

    ledger_module.time = types.SimpleNamespace(perf_counter=time.process_time)  # stage CPU, not wall
    with tempfile.TemporaryDirectory() as d:
        ctx = p.RunContext("stage-cpu", Path(d), get_settings(data_dir=d), DedupSettings())
        ledger, history = RunLedger(ctx.staging), History()
        files, _ = discover_files([args.input])
        clock = [time.process_time()]
        steps = {}

        def step(name: str) -> None:
            now = time.process_time()
            steps[name], clock[0] = now - clock[0], now

        parts = p.read_step(files, ctx, history, ledger)
        step("read")
        for name in parts:
            ledger.merge(p.first_pass(name, ctx))
        step("pass 1")
        learned = p.decide_step(ctx)
        step("decide")
        for name in parts:
            ledger.merge(p.second_pass(name, ctx, learned))
        step("pass 2")
        ledger.merge(p.cluster_step(ctx, history).counted)
        step("dedup")
        print("steps CPU s", {k: round(v, 2) for k, v in steps.items()}, "total", round(sum(steps.values()), 2))
        stages = ledger.stage_seconds()
        print("stages CPU s", {k: round(v, 2) for k, v in stages.items()}, "sum", round(sum(stages.values()), 2))
        root = ctx.staging.root
        for kind in sorted(x.name for x in root.iterdir() if x.is_dir()):
            staged = sorted((root / kind).glob("*.parquet"))
            if staged:
                table = pa.concat_tables([pq.read_table(f) for f in staged], promote_options="permissive")
                print(f"{kind}: {table.num_rows} rows {digest(table)}")


if __name__ == "__main__":
    main()
