"""The top functions of a py-spy profile, as text: by self time (the frame on top of the stack; C code
called from Python counts for its Python caller) and by inclusive time (akhbar's own frames).

    py-spy record -r 50 -f raw -o run.raw -- python -m akhbar.cli run --input CORPUS --data-dir DIR --no-progress
    python bench/profile_top.py run.raw [--top 20] [--within _pass]

`--within` keeps the stacks holding a frame whose name contains it (`_pass`: the two per-partition
passes, where the per-article CPU goes; the run's start-up and Prefect's own threads left out).

A whole run's process tree (`py-spy record --subprocesses`, or attached with `--pid PID --subprocesses`)
is reported process by process with `--by-process` (its seconds too, given the sampling `--rate`):
the partition workers, the checking process, the whole-run process, the run's own and Prefect's API.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

_LINE = re.compile(r":\d+\)$")


def frames(stack: str) -> list[str]:
    """A collapsed stack's frames, the line numbers dropped (a function counts once)."""
    return [_LINE.sub(")", f.strip()) for f in stack.split(";")]


def stacks(path: Path, within: str | None):
    """(process, frames below it, samples) per collapsed stack; process is "" without --subprocesses."""
    with path.open(encoding="utf-8") as f:
        for line in f:
            stack, _, count = line.rstrip("\n").rpartition(" ")
            if not stack or (within and within not in stack):
                continue
            names = frames(stack)
            at = max((i for i, name in enumerate(names) if name.startswith("process ")), default=-1)
            yield (_process(names[at]) if at >= 0 else ""), names[at + 1 :] or names, int(count)


def _process(frame: str) -> str:
    """'process 123:"python -m akhbar.cli run ..."' -> 'pid 123: <the command's last 70 characters>'."""
    pid, _, command = frame.removeprefix("process ").partition(":")
    return f"pid {pid}: ...{command.strip(chr(34))[-70:]}"


def tally(path: Path, within: str | None, process: str | None = None) -> tuple[int, Counter, Counter]:
    own, inclusive, total = Counter(), Counter(), 0
    for proc, names, n in stacks(path, within):
        if process is not None and proc != process:
            continue
        total += n
        own[names[-1]] += n
        for name in set(names):
            inclusive[name] += n
    return total, own, inclusive


def report(path: Path, top: int, within: str | None, process: str | None = None, rate: float | None = None) -> str:
    total, own, inclusive = tally(path, within, process)
    seconds = f" ({total / rate:,.0f} s at {rate:g} Hz)" if rate else ""
    out = [f"{process or path.name}: {total} samples{seconds}" + (f" in stacks through '{within}'" if within else "")]
    out.append(f"top {top} by self time:")
    out += [f"  {n:6d} {100 * n / total:5.1f}%  {name}" for name, n in own.most_common(top)]
    ours = [(name, n) for name, n in inclusive.most_common() if "tasks/" in name or "flows/" in name]
    out.append(f"top {top} of akhbar's functions by inclusive time:")
    out += [f"  {n:6d} {100 * n / total:5.1f}%  {name}" for name, n in ours[:top]]
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("raw", type=Path, help="py-spy raw (collapsed stacks) output")
    ap.add_argument("--top", type=int, default=20)
    ap.add_argument("--within", default=None, help="only stacks through a frame whose name holds this")
    ap.add_argument("--by-process", action="store_true", help="one report per process (py-spy --subprocesses)")
    ap.add_argument("--rate", type=float, default=None, help="the sampling rate (-r), to give seconds")
    ap.add_argument(
        "--min-seconds", type=float, default=5.0, help="with --by-process and --rate: smaller processes left out"
    )
    args = ap.parse_args()
    if not args.by_process:
        print(report(args.raw, args.top, args.within, rate=args.rate))
        return
    sizes = Counter()
    for proc, _, n in stacks(args.raw, args.within):
        sizes[proc] += n
    for proc, n in sizes.most_common():
        if args.rate and n / args.rate < args.min_seconds:
            continue
        print(report(args.raw, args.top, args.within, proc, args.rate) + "\n")


if __name__ == "__main__":
    main()
