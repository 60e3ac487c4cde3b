"""Extract stage: HTML pages become text plus the page's own metadata (title, date, author,
canonical URL, keywords); plain text passes through. Removed page chrome is recorded."""
from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from schemas.tables import BOILERPLATE, QUARANTINE
from tasks.base import quarantine_row, run_logger, stage_task
from tasks.html import extract_html
from tasks.read import host_of

# Page-chrome categories named as in the rules file where they mean the same thing.
HTML_CATEGORY = {"comments": "comment", "newsletter": "newsletter", "tags": "tags", "author": "byline"}

EXTRACTED = pa.schema(
    [
        ("article_id", pa.string()), ("source_id", pa.string()), ("source_uri", pa.string()),
        ("outlet", pa.string()), ("outlet_from", pa.string()), ("url", pa.string()), ("category", pa.string()),
        ("title", pa.string()), ("text", pa.string()), ("published_hint", pa.string()), ("author", pa.string()),
        ("keywords", pa.list_(pa.string())), ("raw_payload", pa.string()),
    ]
)


def extract_batch(raw: pa.Table, run_id: str) -> tuple[pa.Table, pa.Table, pa.Table]:
    rows, removed, bad = [], [], []
    for r in raw.to_pylist():
        out = {k: r[k] for k in ("article_id", "source_id", "source_uri", "outlet", "outlet_from", "url",
                                 "category", "title", "author", "raw_payload")}
        out["published_hint"] = r["published_raw"]
        out["keywords"] = list(r["keywords"] or [])
        if r["content_is_html"]:
            try:
                page = extract_html(r["content"])
            except Exception as exc:  # one broken page must not sink the batch
                bad.append(quarantine_row(r, run_id, "extract", f"HTML extraction failed: {type(exc).__name__}: {exc}"))
                continue
            out["text"] = page.text
            out["title"] = out["title"] or page.title
            out["published_hint"] = out["published_hint"] or page.published
            out["author"] = out["author"] or page.author
            out["url"] = out["url"] or page.canonical_url
            out["keywords"] += [k for k in page.keywords if k not in out["keywords"]]
            removed += [{"article_id": r["article_id"], "rule": f"html.{cat}", "category": HTML_CATEGORY.get(cat, cat), "text": text, "run_id": run_id}
                        for cat, text in page.removed]
            if out["outlet_from"] == "folder":  # the page names its outlet better than the folder does
                if page.site_name:
                    out["outlet"], out["outlet_from"] = page.site_name, "page"
                elif host_of(out["url"]):
                    out["outlet"], out["outlet_from"] = host_of(out["url"]), "url"
        else:
            out["text"] = r["content"]
        rows.append(out)
    return (pa.Table.from_pylist(rows, schema=EXTRACTED), pa.Table.from_pylist(removed, schema=BOILERPLATE),
            pa.Table.from_pylist(bad, schema=QUARANTINE))


@stage_task(name="extract")
def extract(raw: pa.Table, run_id: str) -> tuple[pa.Table, pa.Table, pa.Table]:
    rows, removed, bad = extract_batch(raw, run_id)
    html = int(pc.sum(raw["content_is_html"]).as_py() or 0) if raw.num_rows else 0
    run_logger().info("extract: %d records (%d HTML pages), %d page blocks removed, %d quarantined",
                      raw.num_rows, html, removed.num_rows, bad.num_rows)
    return rows, removed, bad
