"""A reading of 50 random articles from outlets akhbar was not written for (issue 11): egynews2013's 11
outlets and antjawhara, 4 articles per outlet and 2 more from all of them (seed 21), none of them among the
150 labelled in `tests/data/heldout_labels.json`. Each outlet is cleaned as `bench/heldout_eval.py` cleans it
(rules, then the learned step over that outlet's articles, without record dates).

The verdicts (`tests/data/heldout_reading.jsonl`) are written by reading the raw text against the cleaned
text, one line per article: id, corpus, outlet, verdict ("clean", "boilerplate left", "body lost"), the raw
line numbers that are boilerplate (as in the labels: a number, or [line, "prefix"|"suffix", words] for a
span glued to a paragraph), the boilerplate lines left and body lines lost at the time of reading, and a
short note. No corpus text is kept but for a few quoted words in the notes.

    python bench/heldout_reading.py --print          # the sample: raw lines marked kept / removed, to read
    python bench/heldout_reading.py                  # recount left / lost per article against the verdicts
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.heldout_eval import _key, by_outlet, clean_outlet, load_labels, sample, score_article  # noqa: E402

VERDICTS = REPO / "tests" / "data" / "heldout_reading.jsonl"
SEED, PER_OUTLET, EXTRA = 21, 4, 2
CORPORA = ("egynews2013", "antjawhara")


def draw() -> tuple[dict, list]:
    """The sample: {outlet: records}, and the drawn records in order."""
    labelled = {a["id"] for a in load_labels()["articles"]}
    outlets = by_outlet(list(CORPORA))
    rng = random.Random(SEED)
    drawn, rest = [], []
    for outlet in sorted(outlets):
        pool = [r for r in sample(outlets[outlet], 10**6, SEED) if r.id not in labelled]
        drawn += pool[:PER_OUTLET]
        rest += pool[PER_OUTLET:]
    drawn += rng.sample(sorted(rest, key=lambda r: r.id), EXTRA)
    return outlets, drawn


def cleaned_bodies(outlets: dict, drawn: list) -> dict[str, list[str]]:
    out = {}
    for outlet in sorted({r.outlet for r in drawn}):
        bodies, _ = clean_outlet(outlets[outlet])
        out.update({r.id: bodies.get(r.id, []) for r in drawn if r.outlet == outlet})
    return out


def load_verdicts(path: Path = VERDICTS) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def recount(drawn: list, bodies: dict, verdicts: list[dict]) -> dict[str, dict]:
    """Per verdict: the boilerplate lines left and body lines lost by today's code."""
    records = {r.id: r for r in drawn}
    out = {}
    for v in verdicts:
        r = records[v["id"]]
        label = {"boilerplate": v["boilerplate"], "title_lines": []}
        d = score_article(r, label, bodies.get(r.id))
        out[v["id"]] = {"left": d["left"], "lost": d["lost"]}
    return out


def print_sample(drawn: list, bodies: dict) -> None:
    for r in drawn:
        out = [_key(x) for x in bodies.get(r.id, [])]
        print(f"\n=== {r.id} | {r.outlet}")
        for i, line in enumerate(r.text.split("\n"), 1):
            if not line.strip():
                continue
            k = _key(line)
            mark = (
                "kept" if k and any(k in o for o in out) else "part" if k and any(o and o in k for o in out) else "GONE"
            )
            print(f"{i:3d} {mark:4s} {line.strip()[:220]}")
        print("--- cleaned:")
        for line in bodies.get(r.id, []):
            print("      ", line[:220])


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--print", action="store_true", help="print the sample to read")
    args = ap.parse_args()
    outlets, drawn = draw()
    bodies = cleaned_bodies(outlets, drawn)
    if args.print:
        print_sample(drawn, bodies)
        return 0
    verdicts = load_verdicts()
    now = recount(drawn, bodies, verdicts)
    changed = 0
    for v in verdicts:
        if now[v["id"]] != {"left": v["left"], "lost": v["lost"]}:
            changed += 1
            print(f"- {v['id']}: verdict left {v['left']} lost {v['lost']}; now {now[v['id']]}")
    left = sum(bool(v["left"]) for v in verdicts)
    lost = sum(bool(v["lost"]) for v in verdicts)
    print(
        f"{len(verdicts)} articles read: {left} with boilerplate left, {lost} with body lost; {changed} changed since"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
