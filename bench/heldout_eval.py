"""Cleaning on outlets the rules were not written for: leave-one-outlet-out over the shared corpora
(egynews2013's 11 Egyptian outlets, antjawhara, optionally ant-2018's 5), scored against labels
written by reading (`tests/data/heldout_labels.json`).

Each outlet is cleaned on its own, the way a new outlet's first nights would be: every article by
`tasks.clean.clean_text` (the reviewed rules), then the learned step over that outlet's articles only
(`tasks.learned.line_rows` / `decide` / `remove_learned`, no history), with the records' dates
dropped (``--dates`` keeps them): the unseen archives that motivated this came without usable dates,
so the learned step must work on story and file counts alone. The learned step never sees another
outlet's lines, so every outlet is held out from it by construction; the rules are general patterns
(their examples are written for this repo), and the outlets read while writing them are listed in
TUNED.

Labels (no corpus text in the file): per sampled article, the raw text's line numbers (1-based, as
`text.split("\\n")`) that are boilerplate, with a short note of the kind; lines glued to a paragraph
are given as [line, "prefix"|"suffix", words]: that many words at the start or end of the line are
boilerplate, the rest body. Every other non-blank line is body, except the title line of records whose
text opens with their title (`title_line`).

Figures per outlet:
* residual boilerplate: share of labelled articles with a boilerplate line (or glued span) left in the body
* body lines kept: share of labelled body lines found in the cleaned body

    python bench/heldout_eval.py                     # table of figures (all labelled outlets)
    python bench/heldout_eval.py --show ID           # one labelled article: raw lines, labels, what was kept
    python bench/heldout_eval.py --sample OUTLET --n 10 --seed 11   # print a sample to label (line numbers)
    python bench/heldout_eval.py --removed OUTLET --n 40             # learned removals in an outlet, to read
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pyarrow as pa

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from akhbar.tasks.arabic import normalize_display, normalize_search  # noqa: E402
from akhbar.tasks.clean import article_fields, clean_text, default_rules  # noqa: E402
from akhbar.tasks.dates import parse_date  # noqa: E402
from akhbar.tasks.learned import decide, line_rows, remove_learned  # noqa: E402
from akhbar.tasks.templates import decide_templates, edge_rows, remove_templates  # noqa: E402

from akhbar.settings import LearnedSettings  # noqa: E402

SHARED = REPO.parent / "shared" / "corpora"
CORPORA = {
    "egynews2013": SHARED / "egynews2013.jsonl.gz",
    "antjawhara": SHARED / "antjawhara.jsonl.gz",
    "ant-2018": SHARED / "ant-2018.jsonl.gz",
}
LABELS = REPO / "tests" / "data" / "heldout_labels.json"
# Outlets whose articles were read while the generic rules were written (the rest were only read to label).
TUNED = ("almasryalyoum", "ElWatanNews", "El.Dostor.News", "fjp", "masrawy")
SAMPLE_MIN_LINES, SAMPLE_MAX_LINES, SAMPLE_MAX_CHARS = 4, 18, 3000


@dataclass
class Record:
    id: str
    outlet: str
    title: str | None
    text: str
    published: str | None
    source: str  # the input file or crawl batch the record came from (a "night")
    title_line: bool  # the text's first line is the title


def read_corpus(name: str) -> list[Record]:
    out = []
    with gzip.open(CORPORA[name], "rt", encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            outlet = r.get("outlet") or r.get("source") or name
            source = f"{name}/{outlet}/{r.get('crawl_batch') or (r.get('published') or '')[:10]}"
            out.append(
                Record(
                    r["id"],
                    outlet,
                    r.get("title"),
                    r.get("text") or "",
                    r.get("published"),
                    source,
                    title_line=name == "egynews2013",
                )
            )
    return out


def by_outlet(names: list[str]) -> dict[str, list[Record]]:
    """Each outlet's records of the named corpora (read once per process: the evaluations and their
    tests read the same corpora several times)."""
    return _by_outlet(tuple(sorted(names)))  # an outlet is in one corpus: its records keep their order


@lru_cache(maxsize=4)
def _by_outlet(names: tuple[str, ...]) -> dict[str, list[Record]]:
    out: dict[str, list[Record]] = defaultdict(list)
    for name in names:
        for r in read_corpus(name):
            out[r.outlet].append(r)
    return out


def clean_outlet(
    records: list[Record], dates: bool = False, cfg: LearnedSettings | None = None, fields: dict | None = None
):
    """Rules then the learned step over one outlet's articles. Returns {id: cleaned body lines} and the
    learned step's boilerplate rows; `fields`, if given, gets {id: (author, dateline)} as published.
    With the default settings an outlet's records (the same list, from `by_outlet`) are cleaned once
    per process."""
    if cfg is None:
        bodies, removed, got = _clean_outlet_once(id(records), records, dates)
        if fields is not None:
            fields.update(got)
        return bodies, removed
    return _clean_outlet(records, dates, cfg, fields)


_cleaned: dict[tuple[int, bool], tuple] = {}


def _clean_outlet_once(key: int, records: list[Record], dates: bool) -> tuple:
    if (key, dates) not in _cleaned:
        got: dict = {}
        _cleaned[(key, dates)] = (*_clean_outlet(records, dates, None, got), got)
    return _cleaned[(key, dates)]


def _clean_outlet(records: list[Record], dates: bool, cfg: LearnedSettings | None, fields: dict | None):
    cfg = cfg or LearnedSettings()
    rules = default_rules()
    rows = []
    for r in records:
        c = clean_text(r.text, title=r.title, rules=rules)
        if not c.body.strip():
            continue
        rows.append(
            {
                "article_id": r.id,
                "outlet": r.outlet,
                "title": c.title,
                # as the clean stage merges them; the learned step reads (and may fill) the author
                **{k: v for k, v in article_fields(c).items() if k in ("author", "dateline")},
                "body": c.body,
                "published_at": parse_date(r.published) if dates and r.published else None,
                "source_uri": r.source,
            }
        )
    schema = pa.schema(
        [
            ("article_id", pa.string()),
            ("outlet", pa.string()),
            ("title", pa.string()),
            ("author", pa.string()),
            ("dateline", pa.string()),
            ("body", pa.string()),
            ("published_at", pa.timestamp("us", tz="UTC")),
            ("source_uri", pa.string()),
        ]
    )
    table = pa.Table.from_pylist(rows, schema=schema)
    # the three steps as the streaming run calls them: observe (per batch), decide (over everything), apply
    run = line_rows(table, cfg, "heldout")
    edges = edge_rows(table, cfg, "heldout")
    learned = decide(run.table, cfg)
    articles, removed, _ = remove_learned(table, run, learned, "heldout", cfg)
    articles, by_template, _ = remove_templates(articles, decide_templates(edges, cfg), "heldout", cfg)
    removed = pa.concat_tables([removed, by_template])
    ids = articles["article_id"].to_pylist()
    bodies = {a: (b or "").split("\n") for a, b in zip(ids, articles["body"].to_pylist())}
    if fields is not None:
        datelines = dict(zip(table["article_id"].to_pylist(), table["dateline"].to_pylist()))
        fields.update({a: (author, datelines[a]) for a, author in zip(ids, articles["author"].to_pylist())})
    return bodies, removed


def sample(records: list[Record], n: int, seed: int) -> list[Record]:
    """Articles of moderate length (readable line by line), seeded."""
    ok = [
        r
        for r in records
        if SAMPLE_MIN_LINES <= sum(1 for x in r.text.split("\n") if x.strip()) <= SAMPLE_MAX_LINES
        and len(r.text) <= SAMPLE_MAX_CHARS
    ]
    return random.Random(seed).sample(ok, min(n, len(ok)))


def print_raw(r: Record) -> None:
    print(f"\n=== {r.id} | {r.outlet} | title: {r.title}")
    for i, line in enumerate(r.text.split("\n"), 1):
        if line.strip():
            shown = line.strip() if line.strip().isprintable() else repr(line.strip())
            print(f"{i:3d}: {shown}")


# ----------------------------------------------------------------------------- scoring


def _key(text: str) -> str:
    return normalize_search(normalize_display(text)).strip()


def _present(part: str, out: list[str]) -> bool:
    """A piece of raw text is in the output: equal to an output line, or (4 words or more) glued to the start
    or the end of one. The same words in the middle of a paragraph are the paragraph's own (a caption
    "فضيلة الإمام الأكبر د. أحمد الطيب" above a lead "جدد فضيلة الإمام الأكبر د.أحمد الطيب ...")."""
    k = _key(part)
    if not k:
        return False
    return any(k == o or (len(k.split()) >= 4 and (o.startswith(k) or o.endswith(k))) for o in out)


def _body_kept(part: str, out: list[str]) -> bool:
    """A body line survives: found whole in an output line, or its middle (the cleaner may trim a glued
    credit or a dateline at its edges) is."""
    k = _key(part)
    if not k:
        return True
    if any(k in o for o in out):
        return True
    words = k.split()
    if len(words) >= 6:
        core = " ".join(words[len(words) // 5 : len(words) - len(words) // 5])
        return any(core in o for o in out)
    return False


def score_article(r: Record, label: dict, body: list[str] | None) -> dict:
    """(boilerplate items, kept), (body lines, kept) for one labelled article."""
    out = [_key(x) for x in (body or [])]
    raw = r.text.split("\n")
    bp_lines, glued = {}, {}
    for item in label["boilerplate"]:
        if isinstance(item, list):
            glued[item[0]] = (item[1], item[2])
        else:
            bp_lines[item] = True
    titles = set(label.get("title_lines", []))
    bp_left, body_total, body_kept, lost, left = 0, 0, 0, [], []
    for no, line in enumerate(raw, 1):
        if not line.strip() or (r.title_line and no == 1) or no in titles or not _key(line):
            continue
        if no in bp_lines:
            if _present(line, out):
                bp_left += 1
                left.append(no)
            continue
        if no in glued:
            side, n = glued[no]
            words = line.split()
            bp, rest = (words[:n], words[n:]) if side == "prefix" else (words[-n:], words[:-n])
            body_total += 1
            k_rest, k_bp = _key(" ".join(rest)), _key(" ".join(bp))
            kept_line = next((o for o in out if k_rest and (k_rest in o or _body_kept(" ".join(rest), [o]))), None)
            if kept_line is not None:
                body_kept += 1
                if k_bp and (kept_line.startswith(k_bp) if side == "prefix" else kept_line.endswith(k_bp)):
                    bp_left += 1
                    left.append(no)
            else:
                lost.append(no)
            continue
        body_total += 1
        if _body_kept(line, out):
            body_kept += 1
        else:
            lost.append(no)
    return {"bp_left": bp_left, "body": body_total, "body_kept": body_kept, "lost": lost, "left": left}


def load_labels(path: Path = LABELS) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def evaluate(labels: dict, dates: bool = False) -> dict[str, dict]:
    """Per outlet: labelled articles, with boilerplate left, body lines, kept; and the article details."""
    wanted = {a["id"] for a in labels["articles"]}
    names = sorted({a["corpus"] for a in labels["articles"]})
    outlets = by_outlet(names)
    label_of = {a["id"]: a for a in labels["articles"]}
    per: dict[str, dict] = {}
    for outlet, records in sorted(outlets.items()):
        mine = [r for r in records if r.id in wanted]
        if not mine:
            continue
        bodies, _ = clean_outlet(records, dates)
        s = {"articles": 0, "with_left": 0, "body": 0, "body_kept": 0, "details": {}}
        for r in mine:
            d = score_article(r, label_of[r.id], bodies.get(r.id))
            s["articles"] += 1
            s["with_left"] += d["bp_left"] > 0
            s["body"] += d["body"]
            s["body_kept"] += d["body_kept"]
            s["details"][r.id] = d
        per[outlet] = s
    return per


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sample", help="print a seeded sample of this outlet's articles to label")
    ap.add_argument("--n", type=int, default=10)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--show", help="one labelled article: raw lines, labels and the cleaned body")
    ap.add_argument("--removed", help="print the learned step's removals in this outlet")
    ap.add_argument("--dates", action="store_true", help="keep the records' dates (default: dropped, the unseen case)")
    args = ap.parse_args()

    if args.sample:
        corpus = (
            "antjawhara"
            if args.sample == "Jawhara FM"
            else "ant-2018"
            if args.sample in ("alarabia", "BBC", "CNN", "france24", "skynews")
            else "egynews2013"
        )
        records = by_outlet([corpus])[args.sample]
        for r in sample(records, args.n, args.seed):
            print_raw(r)
        return 0
    if args.removed:
        corpus = "antjawhara" if args.removed == "Jawhara FM" else "egynews2013"
        records = by_outlet([corpus])[args.removed]
        _, removed = clean_outlet(records, args.dates)
        rows = removed.to_pylist()
        print(f"{len(rows)} learned removals in {len({x['article_id'] for x in rows})} of {len(records)} articles")
        for x in random.Random(args.seed).sample(rows, min(args.n, len(rows))):
            print(f"- {x['rule']} {x['article_id']}: {x['text'][:140]}")
        return 0
    labels = load_labels()
    if args.show:
        label = next(a for a in labels["articles"] if a["id"] == args.show)
        records = by_outlet([label["corpus"]])
        outlet = next(o for o, rs in records.items() if any(r.id == args.show for r in rs))
        bodies, _ = clean_outlet(records[outlet], args.dates)
        r = next(r for r in records[outlet] if r.id == args.show)
        print_raw(r)
        print("labels:", label["boilerplate"], "|", label.get("note"))
        print("--- cleaned:")
        for line in bodies.get(r.id, []):
            print("   ", line)
        print(score_article(r, label, bodies.get(r.id)))
        return 0

    per = evaluate(labels, args.dates)
    print(
        f"Held-out cleaning, {'with' if args.dates else 'without'} record dates; labels: {LABELS.relative_to(REPO)}\n"
    )
    print("| outlet | tuned on | articles | with boilerplate left | residual | body lines | kept | body kept |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    tot = defaultdict(int)
    for outlet, s in per.items():
        for k in ("articles", "with_left", "body", "body_kept"):
            tot[k] += s[k]
        print(
            f"| {outlet} | {'yes' if outlet in TUNED else 'no'} | {s['articles']} | {s['with_left']} | "
            f"{s['with_left'] / s['articles']:.3f} | {s['body']} | {s['body_kept']} | {s['body_kept'] / max(1, s['body']):.4f} |"
        )
    print(
        f"| all | | {tot['articles']} | {tot['with_left']} | {tot['with_left'] / max(1, tot['articles']):.3f} | "
        f"{tot['body']} | {tot['body_kept']} | {tot['body_kept'] / max(1, tot['body']):.4f} |"
    )
    print("\nArticles with boilerplate left (raw line numbers) or body lines lost:")
    for outlet, s in per.items():
        for a, d in s["details"].items():
            if d["left"] or d["lost"]:
                print(f"- {outlet} {a}: left {d['left']} lost {d['lost']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
