"""The top functions of a py-spy profile, as text: by self time (the frame on top of the stack; C code
called from Python counts for its Python caller) and by inclusive time (akhbar's own frames).

    py-spy record -r 50 -f raw -o run.raw -- python -m akhbar.cli run --input CORPUS --data-dir DIR --no-progress
    python bench/profile_top.py run.raw [--top 20] [--within _pass]

`--within` keeps the stacks holding a frame whose name contains it (`_pass`: the two per-partition
passes, where the per-article CPU goes; the run's start-up and Prefect's own threads left out).
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


def tally(path: Path, within: str | None) -> tuple[int, Counter, Counter]:
    own, inclusive, total = Counter(), Counter(), 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or (within and within not in stack):
            continue
        n = int(count)
        total += n
        names = frames(stack)
        own[names[-1]] += n
        for name in set(names):
            inclusive[name] += n
    return total, own, inclusive


def report(path: Path, top: int, within: str | None) -> str:
    total, own, inclusive = tally(path, within)
    out = [f"{path.name}: {total} samples" + (f" in stacks through '{within}'" if within else "")]
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
    args = ap.parse_args()
    print(report(args.raw, args.top, args.within))


if __name__ == "__main__":
    main()
