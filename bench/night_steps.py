"""What a night's own steps cost against a warehouse, and whether that grows with it: the steps of
flows/nightly.py called in order in this process (no Prefect, no Great Expectations, one worker), on a
copy of the warehouse (the night is committed to it), wall and CPU seconds per step.

    cp -a WAREHOUSE /tmp/copy && python bench/night_steps.py /tmp/copy NIGHT_FILE

Run it on copies of warehouses of two sizes with the same night: a step whose CPU grows with the
warehouse reads more of the history than the night needs.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


class Clock:
    """Wall and CPU seconds since the last step."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, float, float]] = []
        self.last = (time.perf_counter(), time.process_time())

    def step(self, name: str) -> None:
        now = (time.perf_counter(), time.process_time())
        self.rows.append((name, now[0] - self.last[0], now[1] - self.last[1]))
        self.last = now


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("warehouse", type=Path, help="a copy: the night is published into it")
    ap.add_argument("night", type=Path)
    args = ap.parse_args()
    from akhbar.flows import pipeline as p
    from akhbar.tasks.dedup import DedupSettings
    from akhbar.tasks.history import load_history
    from akhbar.tasks.ledger import RunLedger
    from akhbar.tasks.publish import build_views, commit, repair
    from akhbar.tasks.read import discover

    from akhbar.settings import get_settings

    p.warm_stages()  # set-ups once per process, not the night's work
    data = args.warehouse
    clock = Clock()
    ctx = p.RunContext(
        p.new_run_id(datetime.now(timezone.utc)), data, get_settings(data_dir=data, workers=1), DedupSettings()
    )
    ledger = RunLedger(ctx.staging)
    repair(data)
    history = load_history(data)
    clock.step("repair + load history")
    files, skipped, manifest = discover.fn([str(args.night)], ctx.run_id, history.manifest)
    parts = p.read_step(files, ctx, history, ledger)
    clock.step("read (known ids)")
    for name in parts:
        ledger.merge(p.first_pass(name, ctx))
    clock.step("pass 1")
    learned = p.decide_step(ctx)
    clock.step("decision (lines/edges history)")
    for name in parts:
        ledger.merge(p.second_pass(name, ctx, learned))
    clock.step("pass 2")
    clusters = p.cluster_step(ctx, history)
    ledger.merge(clusters.counted)
    clock.step("dedup (canonicals from history)")
    staged = p.assemble(ctx, clusters, manifest, skipped, ledger.records_by_file)
    commit(data, ctx.run_id, staged)
    build_views(data)
    clock.step("assemble + commit + views")
    for name, wall, cpu in clock.rows:
        print(f"{name:34s} wall {wall:6.2f} s  CPU {cpu:6.2f} s")
    print(f"{'total':34s} wall {sum(r[1] for r in clock.rows):6.2f} s  CPU {sum(r[2] for r in clock.rows):6.2f} s")


if __name__ == "__main__":
    main()
