"""HTML extraction against pages with gold main text (../shared/corpora/html-gold): akhbar vs trafilatura.

For every NNN.html with NNN.gold.txt: token precision, recall and F1 (bags of words, both sides
display-normalized) of
  * akhbar: extract_html(page) then clean_text(text, title=page title), what the pipeline publishes;
  * trafilatura.extract(page) with its defaults (bench-only dependency: `pip install .[bench]`).
Gold lines inside a run of 5 or more lines with no Arabic letter are a video-player widget the
magic-html annotators kept (README of html-gold): the main figures leave them out, and the widget
tokens each extractor kept are shown apart. Title and date are checked against the gold's
`gold_title` / `gold_published` where the page has them.

    python bench/html_eval.py
    python bench/html_eval.py --json bench/out/html_eval.json
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
GOLD = REPO.parent / "shared" / "corpora" / "html-gold"
WIDGET_RUN = 5
_ARABIC = re.compile(r"[\u0621-\u064A]")


def tokens(text: str) -> Counter:
    from akhbar.tasks.arabic import normalize_display

    return Counter(re.findall(r"\w+", normalize_display(text or "")))


def split_gold(gold: str) -> tuple[str, str]:
    """(main gold text, widget lines): runs of WIDGET_RUN+ lines without an Arabic letter are widget."""
    lines = gold.split("\n")
    widget = [False] * len(lines)
    i = 0
    while i < len(lines):
        j = i
        while j < len(lines) and not _ARABIC.search(lines[j]):
            j += 1
        if j - i >= WIDGET_RUN:
            widget[i:j] = [True] * (j - i)
        i = max(j, i + 1)
    return ("\n".join(l for l, w in zip(lines, widget) if not w), "\n".join(l for l, w in zip(lines, widget) if w))


def prf(pred: Counter, gold: Counter) -> tuple[float, float, float]:
    overlap = sum((pred & gold).values())
    p = overlap / max(1, sum(pred.values()))
    r = overlap / max(1, sum(gold.values()))
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def akhbar(raw: bytes) -> dict:
    from akhbar.tasks.clean import clean_text
    from akhbar.tasks.html import extract_html

    page = extract_html(raw)
    c = clean_text(page.text, title=page.title)
    return {"text": c.body, "title": page.title, "published": page.published}


def trafilatura_out(raw: bytes) -> dict:
    import trafilatura

    html = raw.decode("utf-8", "replace")
    doc = trafilatura.bare_extraction(html, with_metadata=True)
    meta = doc.as_dict() if hasattr(doc, "as_dict") else (doc or {})
    return {"text": trafilatura.extract(html) or "", "title": meta.get("title"), "published": meta.get("date")}


def evaluate(gold_dir: Path = GOLD, with_trafilatura: bool = True) -> list[dict]:
    from akhbar.tasks.dates import parse_date

    rows = []
    for page in sorted(gold_dir.glob("*.html")):
        stem = page.with_suffix("")
        gold = Path(f"{stem}.gold.txt").read_text(encoding="utf-8")
        meta_path = Path(f"{stem}.meta.json")
        meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.exists() else {}
        main, widget = split_gold(gold)
        raw = page.read_bytes()
        row = {"page": page.stem}
        for name, fn in (("akhbar", akhbar), ("trafilatura", trafilatura_out)):
            if name == "trafilatura" and not with_trafilatura:
                continue
            out = fn(raw)
            pred = tokens(out["text"])
            p, r, f = prf(pred, tokens(main))
            kept_widget = sum((pred & tokens(widget)).values())
            title_ok = None if not meta.get("gold_title") else tokens(out["title"] or "") == tokens(meta["gold_title"])
            date_ok = None
            if meta.get("gold_published"):
                got, want = parse_date(out["published"] or ""), parse_date(meta["gold_published"])
                date_ok = got is not None and want is not None and got.date() == want.date()  # trafilatura gives days
            row[name] = {
                "precision": round(p, 3),
                "recall": round(r, 3),
                "f1": round(f, 3),
                "widget_tokens_kept": kept_widget,
                "title_ok": title_ok,
                "date_ok": date_ok,
                "date_found": bool(out["published"]),
            }
        rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json")
    args = ap.parse_args(argv)
    rows = evaluate()
    print(
        f"{'page':6} {'extractor':12} {'P':>6} {'R':>6} {'F1':>6} {'widget':>7} {'title':>6} {'date':>6} {'dated':>6}"
    )
    for row in rows:
        for name in ("akhbar", "trafilatura"):
            m = row.get(name)
            if m:
                print(
                    f"{row['page']:6} {name:12} {m['precision']:6.3f} {m['recall']:6.3f} {m['f1']:6.3f} "
                    f"{m['widget_tokens_kept']:7d} {str(m['title_ok']):>6} {str(m['date_ok']):>6} {str(m['date_found']):>6}"
                )
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
