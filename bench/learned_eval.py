"""Learned boilerplate on the shared corpus (ANT 2018, 31,525 articles): what it removes with the
default settings, whether it finds the corpus's known boilerplate without being told, and how long
it takes.

1. **As shipped**: the corpus cleaned by every rule, then the learned step (one night, no history).
   Lines removed per outlet and rule, the top lines per outlet, and a seeded random sample of
   removed lines to read.
2. **Rules held out**: the rules written for this corpus's own boilerplate (Al Arabiya's opinion
   disclaimer, the BBC app notice, "*نقلاً عن …" credits, France 24 agency lines, CNN's
   verification and partner notes) are switched off, and the learned step runs on what the other
   rules leave. Recall: the share of the lines those rules remove that the learned step removes.
   Everything else it removes is listed for reading (the precision check).
3. **Time**: median of `--repeat` runs of the learned step on the cleaned corpus.

    python bench/learned_eval.py                      # all three, sample of 25 lines
    python bench/learned_eval.py --sample 50 --seed 3
    python bench/learned_eval.py --runs 40 --seed 6   # also 40 articles' link-run / lone-link removals in context
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from akhbar.flows.pipeline import run_in_memory, scratch_context  # noqa: E402
from akhbar.tasks.arabic import normalize_search  # noqa: E402
from akhbar.tasks.clean import RuleSet, default_rules  # noqa: E402
from akhbar.tasks.read import discover_files, read_landing  # noqa: E402

from akhbar.settings import LearnedSettings  # noqa: E402

# Rules written after reading this corpus: held out in part 2.
CORPUS_RULES = (
    "disclaimer.opinion",
    "share.app_notice",
    "source.quoted_from",
    "agency.credit_line",
    "disclaimer.cannot_verify",
    "disclaimer.partner",
)


def outlets_of(table) -> dict[str, str]:
    return dict(zip(table["article_id"].to_pylist(), table["outlet"].to_pylist()))


def extract_corpus(corpus: str):
    """The corpus's raw records (the pipeline's RECORD rows)."""
    files, _ = discover_files([corpus])
    records, _ = read_landing(files, "bench")
    return records


def held_out(records, cfg: LearnedSettings) -> dict:
    """The corpus's own rules switched off: how many of the lines they remove does the learned step
    remove, per rule, and what else does it remove (outlet, rule, text) -> count. Both runs are the
    pipeline's own stage list (flows/pipeline.py: run_in_memory)."""
    held = RuleSet(tuple(r for r in default_rules().rules if r.id not in CORPUS_RULES))
    without = run_in_memory(records, scratch_context(learned=cfg), rules=held, removals_only=True)
    shipped = run_in_memory(records, scratch_context(learned=cfg), removals_only=True)
    learned = [r for r in without.boilerplate.to_pylist() if r["rule"].startswith("learned.")]
    got = Counter((r["article_id"], normalize_search(r["text"])) for r in learned)
    target = Counter()
    per_rule, found_rule = Counter(), Counter()
    for r in shipped.boilerplate.to_pylist():
        if r["rule"] in CORPUS_RULES:
            for line in r["text"].split("\n"):
                key = (r["article_id"], normalize_search(line))
                target[key] += 1
                per_rule[r["rule"]] += 1
                found_rule[r["rule"]] += key in got
    found = sum(min(n, got[k]) for k, n in target.items())
    outlet = outlets_of(records)
    others = Counter(
        (outlet[r["article_id"]], r["rule"], r["text"])
        for r in learned
        if (r["article_id"], normalize_search(r["text"])) not in target
    )
    return {
        "lines": sum(target.values()),
        "found": found,
        "recall": found / max(1, sum(target.values())),
        "per_rule": per_rule,
        "found_rule": found_rule,
        "others": others,
    }


def print_link_runs(cleaned, removed: list[dict], n: int, seed: int) -> None:
    """A seeded sample of articles with learned.link_run or learned.lone_link removals, each shown with
    the lines around it (`--` removed), to read for lost body text."""
    gone: dict[str, set[str]] = {}
    for r in removed:
        if r["rule"] in ("learned.link_run", "learned.lone_link"):
            gone.setdefault(r["article_id"], set()).add(r["text"])
    bodies = dict(zip(cleaned["article_id"].to_pylist(), cleaned["body"].to_pylist()))
    ids = sorted(gone)
    print(f"\n{min(n, len(ids))} of the {len(ids)} articles with learned.link_run / lone_link removals (seed {seed}):")
    for a in random.Random(seed).sample(ids, min(n, len(ids))):
        lines = bodies[a].split("\n")
        hit = [i for i, line in enumerate(lines) if line in gone[a]]
        print(f"\n# {a}")
        for i in range(max(0, hit[0] - 1), min(len(lines), hit[-1] + 2)):
            print("   ", "--" if i in hit else "  ", lines[i][:110])


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default=str(REPO.parent / "shared" / "corpora" / "ant-2018.jsonl.gz"))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--sample", type=int, default=25)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--runs", type=int, default=0, help="print this many articles' link-run and lone-link removals in context"
    )
    args = ap.parse_args()
    cfg = LearnedSettings()

    records = extract_corpus(args.corpus)
    outlet = outlets_of(records)

    # 1. as shipped: the pipeline's stage list; the learned step's time is its observe and apply stages
    # plus the decision (the ledger's stage counters)
    times = []
    for _ in range(args.repeat):
        result = run_in_memory(records, scratch_context(learned=cfg))
        times.append(result.counts["seconds_observe"] + result.counts["seconds_learned"] + result.decide_seconds)
    rows = [r for r in result.boilerplate.to_pylist() if r["rule"].startswith("learned.")]
    left_empty = sum(1 for r in result.quarantine.to_pylist() if "learned lines" in (r["reason"] or ""))
    cleaned = result.observed
    print(
        f"## As shipped: {len(rows)} lines removed from {len({r['article_id'] for r in rows})} of {records.num_rows} articles, "
        f"{left_empty} articles left empty"
    )
    print("\n| outlet | rule | lines removed | articles |\n|---|---|---:|---:|")
    per = Counter((outlet[r["article_id"]], r["rule"]) for r in rows)
    arts = {k: len({r["article_id"] for r in rows if (outlet[r["article_id"]], r["rule"]) == k}) for k in per}
    for (o, rule), n in sorted(per.items()):
        print(f"| {o} | {rule} | {n} | {arts[(o, rule)]} |")
    print("\nTemplate lines (learned.repeated):\n")
    for (o, text), n in Counter(
        (outlet[r["article_id"]], r["text"]) for r in rows if r["rule"] == "learned.repeated"
    ).most_common(10):
        print(f"- {o}, {n} articles: {text[:110]}")
    print(
        "\nRuns of headlines between paragraphs, per outlet (this run): lines in runs, of them known titles;"
        " taken for links where the share reaches link_min_share:\n"
    )
    for o, (n, known) in sorted(result.learned.link_outlets.items()):
        print(f"- {o}: {known} of {n} ({known / n:.2f})")
    if args.runs:
        print_link_runs(cleaned, rows, args.runs, args.seed)
    rng = random.Random(args.seed)
    print(f"\nRandom sample of {args.sample} removed lines (seed {args.seed}):\n")
    for r in sorted(rng.sample(rows, min(args.sample, len(rows))), key=lambda r: (outlet[r["article_id"]], r["rule"])):
        print(f"- {outlet[r['article_id']]} `{r['rule']}` {r['article_id']}: {r['text'][:120]}")

    # 2. corpus rules held out
    h = held_out(records, cfg)
    print(
        f"\n## Corpus rules held out: the learned step removes {h['found']} of the {h['lines']} lines they remove "
        f"(recall {h['recall']:.3f})\n"
    )
    print("| held-out rule | lines it removes | learned removes too |\n|---|---:|---:|")
    for rule in CORPUS_RULES:
        print(f"| {rule} | {h['per_rule'][rule]} | {h['found_rule'][rule]} |")
    others = h["others"]
    print(
        f"\nRemoved beyond the held-out rules: {sum(others.values())} lines "
        f"({sum(n for (o, rule, t), n in others.items() if rule == 'learned.leaked_lead')} in news boxes); the template lines:\n"
    )
    for (o, rule, text), n in others.most_common():
        if rule == "learned.repeated":
            print(f"- {o}, {n}x: {text[:110]}")

    print(
        f"\n## Time: learned step (observe + decide + apply) on {records.num_rows} records: median {statistics.median(times):.2f} s "
        f"over {len(times)} runs ({', '.join(f'{t:.2f}' for t in times)})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
