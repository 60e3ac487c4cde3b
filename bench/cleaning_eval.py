"""Cleaning quality on a hand-labelled evaluation set (`tests/data/cleaning_eval.jsonl`).

The set holds articles written for akhbar (original text, no corpus or seed sentences) in the
habits of the shared seeds, the corpus's five outlets and generic Arabic news sites, each with
its raw text (or HTML page), the exact clean body lines expected, the raw lines that are
boilerplate, the expected title and the fields cleaning should find (date, keywords, source
credit, agency, dateline, author).

Every article goes through the real cleaner: `clean_text(raw, title=None)` for text; for HTML
first `extract_html(raw)`, then `clean_text(extract.text, title=extract.title)`, with the page's
own date, author and keywords merged in as the extract stage does (the page's value first).

Figures (all lines compared after `normalize_display`, which is what the cleaner outputs):

* body retention      expected body lines found in the output / expected body lines
* boilerplate recall  boilerplate lines not found in the output / boilerplate lines
* precision           output lines that are expected body lines / output lines
* boilerplate left    share of articles with an output line that is not body: neither an expected
                      body line nor a piece of one (a damaged body line counts against retention,
                      not here)
* exact body          share of articles whose output body is exactly the expected lines, in order
* field accuracy      per field, share of articles where the field equals the expectation
                      (null expected means the cleaner must not invent one)

    python bench/cleaning_eval.py                  # table of figures
    python bench/cleaning_eval.py --verbose        # and every failing article with a diff
    python bench/cleaning_eval.py --id ce-012 --verbose
    python bench/cleaning_eval.py --json bench/out/cleaning_eval.json
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

EVAL_SET = REPO / "tests" / "data" / "cleaning_eval.jsonl"
FIELDS = ("title", "published_date", "keywords", "source_credit", "agency", "dateline", "author")


def load_eval(path: str | Path = EVAL_SET) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


@dataclass
class Output:
    lines: list[str]
    fields: dict


@dataclass
class ArticleResult:
    id: str
    style: str
    format: str
    expected: list[str]
    output: list[str]
    kept: int  # expected body lines found in the output
    body_out: int  # output lines that are expected body lines
    boilerplate: int  # boilerplate lines listed
    boilerplate_gone: int
    leftover: list[str]  # output lines that are not body
    field_ok: dict[str, bool]
    field_got: dict = field(default_factory=dict)
    field_want: dict = field(default_factory=dict)

    @property
    def exact(self) -> bool:
        return self.output == self.expected

    @property
    def has_leftover(self) -> bool:
        return bool(self.leftover)

    @property
    def ok(self) -> bool:
        return self.exact and all(self.field_ok.values())


# ----------------------------------------------------------------------------- running


def run_article(article: dict, rules=None) -> Output:
    """The cleaner's output for one article, as the pipeline would store it."""
    from akhbar.tasks.clean import article_fields, clean_text

    if article["format"] == "html":
        from akhbar.tasks.html import extract_html

        page = extract_html(article["raw"])
        c = clean_text(page.text, title=page.title, rules=rules)
        fields = article_fields(c, page.published, page.author, page.keywords)
    else:
        c = clean_text(article["raw"], title=None, rules=rules)
        fields = article_fields(c)
    published = fields.pop("published_at")
    fields["published_date"] = published.date().isoformat() if published else None
    return Output(lines=[ln for ln in c.body.split("\n") if ln.strip()], fields=fields)


def _norm_value(v):
    from akhbar.tasks.arabic import normalize_display

    if v is None:
        return None
    if isinstance(v, list):
        out = []
        for x in v:
            x = " ".join(normalize_display(x).split())
            if x and x not in out:
                out.append(x)
        return out
    v = " ".join(normalize_display(str(v)).split())
    return v or None


def score_article(article: dict, out: Output) -> ArticleResult:
    from akhbar.tasks.arabic import normalize_display

    expected = [normalize_display(x) for x in article["body_lines"]]
    output = [normalize_display(x) for x in out.lines]
    want = Counter(expected)
    have = Counter(output)
    kept = sum(min(n, have[line]) for line, n in want.items())
    body_out = sum(min(n, want[line]) for line, n in have.items())
    expected_set = set(expected)
    leftover = [ln for ln in output if ln not in expected_set and not any(ln in e for e in expected)]
    bp_total = bp_gone = 0
    for raw_line in article.get("boilerplate_lines", []):
        bp = normalize_display(raw_line)
        if not bp:
            continue
        bp_total += 1
        present = any(ln == bp or (bp in ln and ln not in expected_set) for ln in output)
        bp_gone += not present
    wants = {"title": article.get("title"), **article["fields"]}
    field_ok, got, exp = {}, {}, {}
    for f in FIELDS:
        w, g = _norm_value(wants.get(f)), _norm_value(out.fields.get(f))
        if f == "keywords":
            w, g = w or [], g or []
        field_ok[f] = w == g
        got[f], exp[f] = g, w
    return ArticleResult(
        id=article["id"],
        style=article["outlet_style"],
        format=article["format"],
        expected=expected,
        output=output,
        kept=kept,
        body_out=body_out,
        boilerplate=bp_total,
        boilerplate_gone=bp_gone,
        leftover=leftover,
        field_ok=field_ok,
        field_got=got,
        field_want=exp,
    )


def _ratio(a: int | float, b: int | float) -> float:
    return round(a / b, 4) if b else 1.0


def figures(results: list[ArticleResult]) -> dict:
    n = len(results)
    exp = sum(len(r.expected) for r in results)
    out = sum(len(r.output) for r in results)
    bp = sum(r.boilerplate for r in results)
    fig = {
        "articles": n,
        "expected_body_lines": exp,
        "output_lines": out,
        "boilerplate_lines": bp,
        "body_retention": _ratio(sum(r.kept for r in results), exp),
        "boilerplate_recall": _ratio(sum(r.boilerplate_gone for r in results), bp),
        "precision": _ratio(sum(r.body_out for r in results), out),
        "boilerplate_left_share": _ratio(sum(r.has_leftover for r in results), n),
        "exact_body_share": _ratio(sum(r.exact for r in results), n),
        "fields": {f: _ratio(sum(r.field_ok[f] for r in results), n) for f in FIELDS},
        "articles_all_ok": sum(r.ok for r in results),
    }
    return fig


def evaluate(articles: list[dict], rules=None) -> tuple[dict, list[ArticleResult]]:
    results = [score_article(a, run_article(a, rules)) for a in articles]
    fig = figures(results)
    by_style: dict[str, list[ArticleResult]] = defaultdict(list)
    for r in results:
        by_style[r.style].append(r)
    fig["by_style"] = {s: {k: v for k, v in figures(rs).items() if k != "fields"} for s, rs in sorted(by_style.items())}
    fig["failing"] = [r.id for r in results if not r.ok]
    return fig, results


# ----------------------------------------------------------------------------- report


def print_table(fig: dict) -> None:
    print(
        f"cleaning evaluation: {fig['articles']} articles, {fig['expected_body_lines']} expected body lines, "
        f"{fig['boilerplate_lines']} boilerplate lines"
    )
    rows = [
        ("body lines kept", fig["body_retention"]),
        ("boilerplate lines removed (recall)", fig["boilerplate_recall"]),
        ("output lines that are body (precision)", fig["precision"]),
        ("articles with boilerplate left", fig["boilerplate_left_share"]),
        ("articles with exactly the expected body", fig["exact_body_share"]),
    ] + [(f"field {f}", v) for f, v in fig["fields"].items()]
    width = max(len(r[0]) for r in rows)
    for name, v in rows:
        print(f"  {name:<{width}}  {v:6.3f}")
    print(f"  {'articles fully right':<{width}}  {fig['articles_all_ok']:>3} / {fig['articles']}")
    print()
    head = f"  {'style':<22} {'n':>3} {'kept':>6} {'recall':>6} {'prec':>6} {'left':>6} {'exact':>6}"
    print(head)
    for s, f in fig["by_style"].items():
        print(
            f"  {s:<22} {f['articles']:>3} {f['body_retention']:6.3f} {f['boilerplate_recall']:6.3f} "
            f"{f['precision']:6.3f} {f['boilerplate_left_share']:6.3f} {f['exact_body_share']:6.3f}"
        )


def print_failure(r: ArticleResult) -> None:
    print(f"\n=== {r.id} ({r.style}, {r.format})")
    if not r.exact:
        for line in difflib.unified_diff(r.expected, r.output, "expected", "cleaned", lineterm="", n=1):
            print("  " + line)
    if r.leftover:
        print("  boilerplate left:", *(f"\n    | {ln}" for ln in r.leftover))
    for f, ok in r.field_ok.items():
        if not ok:
            print(f"  field {f}: expected {r.field_want[f]!r}, got {r.field_got[f]!r}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--eval", default=str(EVAL_SET), help="evaluation set (JSON lines)")
    ap.add_argument("--verbose", "-v", action="store_true", help="print every failing article with a diff")
    ap.add_argument("--id", action="append", help="only these article ids (repeatable)")
    ap.add_argument("--json", metavar="PATH", help="write the figures as JSON")
    args = ap.parse_args(argv)

    articles = load_eval(args.eval)
    if args.id:
        articles = [a for a in articles if a["id"] in set(args.id)]
    fig, results = evaluate(articles)
    print_table(fig)
    if args.verbose:
        for r in results:
            if not r.ok:
                print_failure(r)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(fig, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
