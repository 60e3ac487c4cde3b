"""Draw the sample of cleaned corpus articles a person reads (issue 3: "a person reading 50 random
cleaned articles finds no boilerplate and no lost body text") and print each one as the reader
sees it: every raw line, marked kept (`  `) or removed (`--` with the rule). The verdicts go to
`tests/data/cleaning_review.json`; `tests/e2e/test_corpus.py` checks that those articles still
come out as they were read (same body hash).

    python bench/cleaning_review.py --n 50 --seed review-2026-11-23            # print the first reading's sample
    python bench/cleaning_review.py --n 50 --seed review-2026-11-23-second     # the second reading's
    python bench/cleaning_review.py --n 50 --seed review-2026-11-23 --hashes   # ids and body hashes
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sys
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from akhbar.flows.pipeline import run_in_memory, scratch_context  # noqa: E402
from akhbar.tasks.arabic import normalize_display  # noqa: E402
from akhbar.tasks.clean import untag_inline_hashtags  # noqa: E402

from akhbar.settings import LearnedSettings  # noqa: E402
from bench.learned_eval import extract_corpus  # noqa: E402


def body_hash(body: str) -> str:
    return hashlib.sha256(body.encode()).hexdigest()[:16]


def cleaned_corpus(corpus: str):
    """The corpus through the pipeline's stage list (rows that fail the row checks included: a
    reading looks at every cleaned article)."""
    records = extract_corpus(corpus)
    run = run_in_memory(records, scratch_context(learned=LearnedSettings()))
    return records, run.articles, run.boilerplate.to_pylist()


def sample_ids(articles, n: int, seed: str) -> list[str]:
    ids = sorted(articles["article_id"].to_pylist())
    return sorted(random.Random(seed).sample(ids, n))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default=str(REPO.parent / "shared" / "corpora" / "ant-2018.jsonl.gz"))
    ap.add_argument("--n", type=int, default=50)
    ap.add_argument("--seed", default="review-2026-11-23")
    ap.add_argument("--hashes", action="store_true")
    ap.add_argument("--only", nargs="*", help="print only these article ids")
    args = ap.parse_args()
    extracted, articles, removed = cleaned_corpus(args.corpus)
    ids = sample_ids(articles, args.n, args.seed)
    rows = {r["article_id"]: r for r in articles.to_pylist() if r["article_id"] in set(ids)}
    if args.hashes:
        for a in ids:
            print(a, rows[a]["outlet"], body_hash(rows[a]["body"]))
        return 0
    texts = dict(zip(extracted["article_id"].to_pylist(), extracted["content"].to_pylist()))
    gone = defaultdict(list)
    for r in removed:
        if r["article_id"] in rows:
            gone[r["article_id"]].append(r)
    for a in args.only or ids:
        row = rows[a]
        kept = set(row["body"].split("\n"))
        print(f"\n### {a} | {row['outlet']} | title: {row['title']}")
        print(
            f"    author={row['author']} date={row['published_at']} agency={row['agency']} dateline={row['dateline']} "
            f"credit={row['source_credit']} keywords={row['keywords']}"
        )
        for line in normalize_display(texts[a] or "").split("\n"):
            line = line.strip()
            if not line:
                continue
            if untag_inline_hashtags(line) in kept:  # kept (tag links turned back into words)
                print("     ", untag_inline_hashtags(line)[:150])
            else:
                rules = [r["rule"] for r in gone[a] if line in r["text"] or r["text"] in line]
                print("  --", (rules[0] if rules else "?"), "|", line[:140])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
