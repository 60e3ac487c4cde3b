"""Credits, bylines and datelines on real outlets akhbar was not tuned on: a fixed sample of articles
that carry a credit line, what akhbar reads from each, and the verdicts of a reading.

The sample: for every outlet of `egynews2013` (bylines inside the text) and `antjawhara`, the
articles whose first body lines hold a credit-shaped line (a byline verb, a wire agency, a short
"x - y" / "x: y" line, or a line of at most four words under the title), drawn with a fixed seed.
Verdicts and the expected author/dateline/agency are kept in `tests/data/credit_review.json`
(ids and short names only, no article text); `tests/unit/test_credit_review.py` checks them.

    python bench/credit_review.py                 # per-outlet share correct against the verdict file
    python bench/credit_review.py --show          # every sampled article: head lines and what akhbar read
    python bench/credit_review.py --show --repo /work/main   # the same with another checkout's cleaner
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import sys
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CORPORA = REPO.parent / "shared" / "corpora"
REVIEW = REPO / "tests" / "data" / "credit_review.json"
PER_OUTLET = {"egynews2013": 5, "antjawhara": 5}
SEED = 11
FIELDS = ("author", "dateline", "agency")

_CREDIT_SHAPE = re.compile(
    r"^(?:كتب|كتبت|إعداد|اعداد|ترجمة|بقلم|تحرير)\b|أ\s*\.?\s*ش\s*\.?\s*أ|رويترز|[اأ]\s*ف\s*ب|الأناضول|د\s*ب\s*أ|وكالات"
    r"|^\S+(?:\s+\S+){0,2}\s*[-–—ـ_:]\s*\S+(?:\s+\S+){0,3}\s*:?$"
)


def head_lines(record: dict) -> list[str]:
    lines = [ln.strip() for ln in (record.get("text") or "").replace("\r", "").split("\n") if ln.strip()]
    if lines and lines[0] == (record.get("title") or "").strip():
        lines = lines[1:]
    return lines[:3]


def has_credit(record: dict) -> bool:
    lines = head_lines(record)
    short = [ln for ln in lines[:2] if len(ln.split()) <= 10]
    return any(_CREDIT_SHAPE.search(ln) for ln in short) or bool(lines and 2 <= len(lines[0].split()) <= 4)


def sample(corpora: Path = CORPORA) -> list[dict]:
    """The fixed sample, in order: (corpus, outlet) groups sorted, articles drawn with SEED."""
    out = []
    for corpus, n in PER_OUTLET.items():
        groups: dict[str, list[dict]] = defaultdict(list)
        with gzip.open(corpora / f"{corpus}.jsonl.gz", "rt", encoding="utf-8") as fh:
            for line in fh:
                record = json.loads(line)
                if has_credit(record):
                    groups[record["outlet"]].append(record)
        rng = random.Random(SEED)
        for outlet in sorted(groups):
            for record in rng.sample(groups[outlet], min(n, len(groups[outlet]))):
                out.append({**record, "corpus": corpus})
    return out


def read_credit(record: dict) -> dict:
    """What akhbar reads: the cleaner on the text, the record's own credit and outlet merged in."""
    from akhbar.tasks.clean import article_fields, clean_text

    outlet = record.get("outlet_name") or record.get("outlet")
    try:
        c = clean_text(record["text"] or "", title=record.get("title"), outlet=outlet)
        fields = article_fields(c, record.get("published"), record.get("author") or None, outlet=outlet)
    except TypeError:  # an older cleaner without the outlet argument
        c = clean_text(record["text"] or "", title=record.get("title"))
        fields = article_fields(c, record.get("published"), record.get("author") or None)
    return {f: fields[f] for f in FIELDS}


def _same(a: str | None, b: str | None) -> bool:
    from akhbar.tasks.arabic import normalize_search

    return normalize_search(a or "") == normalize_search(b or "")


def judge(records: list[dict], review: dict) -> dict[str, list[bool]]:
    """Per outlet, whether akhbar's author/dateline/agency equal the expectation of the reading."""
    expected = {e["id"]: e for e in review["articles"]}
    per_outlet: dict[str, list[bool]] = defaultdict(list)
    for record in records:
        e = expected.get(record["id"])
        if e is None:
            continue
        got = read_credit(record)
        per_outlet[record["outlet"]].append(all(_same(got[f], e[f]) for f in FIELDS))
    return per_outlet


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--show", action="store_true")
    ap.add_argument("--repo", default=str(REPO), help="checkout whose cleaner is measured")
    args = ap.parse_args(argv)
    sys.path.insert(0, args.repo)
    records = sample()
    if args.show:
        for record in records:
            got = read_credit(record)
            print(f"{record['id']} [{record['outlet']}]")
            for ln in head_lines(record):
                print("   |", ln[:90])
            print("   ->", json.dumps(got, ensure_ascii=False))
        return 0
    review = json.loads(REVIEW.read_text(encoding="utf-8"))
    per_outlet = judge(records, review)
    total = [ok for oks in per_outlet.values() for ok in oks]
    print(f"credits read right: {sum(total)}/{len(total)} = {sum(total) / max(1, len(total)):.3f}")
    for outlet, oks in sorted(per_outlet.items()):
        print(f"  {outlet:24} {sum(oks):2d}/{len(oks):2d}  {sum(oks) / len(oks):.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
