"""A bigger corpus made from the shared one: N articles remixed from its real lines, deterministic
from a seed, for memory and speed benchmarks at sizes the shared corpus does not reach.

    python bench/generate.py --n 126100 --out /tmp/ant-x4-g2.jsonl.gz [--near-rate 0.02] [--seed 1]

Each generated article takes an outlet's real article as its frame: its short first and last lines
stay where they were (that is where scraped boilerplate sits: credits, read-also labels, sign-offs,
disclaimers), and its paragraphs are new ones made of the same outlet's real sentences: the opening
sentences of one of its paragraphs followed by the closing sentences of another (`paragraph`). Every
outlet keeps its own boilerplate and style, and no two generated bodies share a paragraph unless one
is an injected near copy. (Before, whole real paragraphs were drawn: at N articles each recurred in
~N/31,525 times as many stories, so the larger the corpus the more of its paragraphs learned
boilerplate rightly removed as recurring lines: 0.93 lines an article at 20k, 3.57 at 100k; the
learned step's cost grew with them.) Files made by that generator are not reused: their names carry
GENERATOR. Dates are spread over
`--days` days. With `--near-rate`, that share of articles are near copies of an earlier generated
article (one line dropped, one sentence trimmed): the truth is written beside the output as
`<out>.truth.jsonl` (copy id -> original id) for dedup recall at scale.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "ant-2018.jsonl.gz"
EDGE = 2  # lines kept in place at each end of the frame article, when they are short
SHORT_WORDS = 12  # a line this short at an edge is the outlet's furniture; longer ones are paragraphs
GENERATOR = 2  # in the names of the files bench scripts generate: a new way of generating makes new files
_SENTENCE_END = re.compile(r"(?<=[.!؟?])\s+")


def load(corpus: Path) -> dict[str, list[dict]]:
    """The corpus's records with text, by outlet."""
    by_outlet: dict[str, list[dict]] = defaultdict(list)
    with gzip.open(corpus, "rt", encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            if rec.get("text"):
                rec["lines"] = [ln for ln in rec["text"].split("\n") if ln.strip()]
                by_outlet[rec["source"]].append(rec)
    return by_outlet


def _edge(lines: list[str]) -> bool:
    """A short line: where scraped boilerplate sits (credits, labels, sign-offs), not a paragraph."""
    return len(lines) > 0 and all(len(ln.split()) <= SHORT_WORDS for ln in lines)


def remix(frame: dict, donors: list[dict], rng: random.Random) -> list[str]:
    """The frame's short edge lines (its boilerplate) around paragraphs drawn from other articles
    of its outlet: the same outlet's furniture, a body no article had."""
    lines = frame["lines"]
    head = [ln for ln in lines[:EDGE] if _edge([ln])]
    tail = [ln for ln in lines[-EDGE:] if _edge([ln])] if len(lines) > 2 * EDGE else []
    middle_len = max(len(lines) - len(head) - len(tail), 1)
    middle: list[str] = []
    while len(middle) < middle_len:
        made = paragraph(donors, rng)
        if made is not None:
            middle.append(made)
    return head + middle + tail


def paragraph(donors: list[dict], rng: random.Random) -> str | None:
    """A paragraph no article had, of the outlet's own sentences: the first sentences of one of its
    paragraphs and the last ones of another (None when a draw is a short line: furniture, not prose)."""
    first, second = (rng.choice(rng.choice(donors)["lines"]) for _ in range(2))
    if _edge([first]) or _edge([second]):
        return None
    opening, closing = _SENTENCE_END.split(first), _SENTENCE_END.split(second)
    return " ".join(opening[: rng.randint(1, len(opening))] + closing[rng.randrange(len(closing)) :])


def near_copy(lines: list[str], rng: random.Random) -> list[str]:
    """Another outlet's take on the same text: one line dropped, one line's last sentence trimmed."""
    out = list(lines)
    if len(out) > 3:
        out.pop(rng.randrange(1, len(out) - 1))
    i = rng.randrange(len(out))
    cut = out[i].rsplit("،", 1)[0]
    out[i] = cut if len(cut) > 20 else out[i]
    return out


def generate(
    corpus: Path,
    n: int,
    out: Path,
    seed: int = 1,
    days: int = 365,
    near_rate: float = 0.0,
    start: datetime = datetime(2018, 1, 1, tzinfo=timezone.utc),
) -> dict:
    """N articles published over `days` days from `start` (a backfill: a year; a night: one day)."""
    rng = random.Random(seed)
    by_outlet = load(corpus)
    outlets = sorted(by_outlet)
    weights = [len(by_outlet[o]) for o in outlets]
    made: list[list] = []  # recent originals a copy may take: [id, lines, outlet, published]
    truth = out.with_name(out.name + ".truth.jsonl")
    copies = 0
    with gzip.open(out, "wt", encoding="utf-8", compresslevel=1) as f, truth.open("w", encoding="utf-8") as t:
        for k in range(n):
            outlet = rng.choices(outlets, weights)[0]
            frame = rng.choice(by_outlet[outlet])
            doc_id = f"gen{seed}-{k}"
            if made and rng.random() < near_rate:
                original_id, original, _, when = rng.choice(made)
                lines = near_copy(original, rng)
                # a copy runs within a day of its original (dedup compares copies within 48 hours)
                published = when + timedelta(seconds=rng.randrange(86400))
                t.write(json.dumps({"id": doc_id, "original": original_id}) + "\n")
                copies += 1
            else:
                lines = remix(frame, by_outlet[outlet], rng)
                entry = [doc_id, lines, outlet, None]
                made.append(entry)
                if len(made) > 5000:
                    made.pop(rng.randrange(len(made)))
                # drawn after the pool's draw, as before copies had dates: the same seed makes the same corpus
                published = entry[3] = start + timedelta(days=rng.randrange(days), seconds=rng.randrange(86400))
            f.write(
                json.dumps(
                    {
                        "id": doc_id,
                        "url": f"{frame.get('url') or ''}?g={k}",
                        "source": outlet,
                        "category": frame.get("category"),
                        "title": frame.get("title"),
                        "published": format_datetime(published),
                        "author": frame.get("author"),
                        "text": "\n".join(lines),
                    },
                    ensure_ascii=False,
                )
                + "\n"
            )
    return {"articles": n, "near_copies": copies, "out": str(out), "truth": str(truth)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=SHARED)
    ap.add_argument("--n", type=int, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--near-rate", type=float, default=0.0)
    args = ap.parse_args()
    print(json.dumps(generate(args.corpus, args.n, args.out, args.seed, args.days, args.near_rate)))


if __name__ == "__main__":
    main()
