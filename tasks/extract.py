"""Extract stage: HTML pages become text plus the page's own metadata (title, date, author,
canonical URL, keywords, site name), filling the record's empty fields; plain text passes through.
Removed page chrome is recorded."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
from akhbar.schemas.tables import PAGE
from akhbar.tasks.base import StageResult, boilerplate_rows, drop_positions, quarantine_rows
from akhbar.tasks.html import extract_html
from akhbar.tasks.read import host_of

# Page-chrome categories named as in the rules file where they mean the same thing.
HTML_CATEGORY = {"comments": "comment", "newsletter": "newsletter", "tags": "tags", "author": "byline"}
# Columns a page's own metadata may fill (only where the record left them empty).
_PAGE_FIELDS = ("title", "published_raw", "author", "url", "keywords", "outlet", "outlet_from")


def extract_stage(batch: pa.Table, run_id: str) -> StageResult:
    """RECORD -> PAGE: `text` is the record's content, or the main text of its HTML page."""
    html_rows = pc.indices_nonzero(pc.fill_null(batch["content_is_html"], False)).to_pylist()
    text = batch["content"].to_pylist()
    cols = {name: batch[name].to_pylist() for name in _PAGE_FIELDS} if html_rows else {}
    removed: dict[str, list] = {"id": [], "rule": [], "category": [], "text": []}
    failed, reasons = [], []
    ids = batch["article_id"].to_pylist() if html_rows else []
    for i in html_rows:
        try:
            page = extract_html(text[i])
        except Exception as exc:  # one broken page must not sink the batch
            failed.append(i)
            reasons.append(f"HTML extraction failed: {type(exc).__name__}: {exc}")
            continue
        text[i] = page.text
        _fill_from_page(cols, i, page)
        for cat, span in page.removed:
            removed["id"].append(ids[i])
            removed["rule"].append(f"html.{cat}")
            removed["category"].append(HTML_CATEGORY.get(cat, cat))
            removed["text"].append(span)
    kept = batch.append_column("text", pa.array(text, pa.string()))
    for name, values in cols.items():
        kept = kept.set_column(kept.schema.get_field_index(name), name, pa.array(values, kept.schema.field(name).type))
    kept = drop_positions(kept.select(PAGE.names), failed)
    result = StageResult(
        kept,
        boilerplate_rows(removed["id"], removed["rule"], removed["category"], removed["text"], run_id),
        quarantine_rows(batch, failed, reasons, run_id, "extract"),
    )
    result.counts.update(html_pages=len(html_rows), html_blocks_removed=len(removed["id"]))
    return result


def _fill_from_page(cols: dict[str, list], i: int, page) -> None:
    """The page's metadata fills what the record left empty; its site name (or URL host) names the
    outlet better than a folder does."""
    cols["title"][i] = cols["title"][i] or page.title
    cols["published_raw"][i] = cols["published_raw"][i] or page.published
    cols["author"][i] = cols["author"][i] or page.author
    cols["url"][i] = cols["url"][i] or page.canonical_url
    own = list(cols["keywords"][i] or [])
    cols["keywords"][i] = own + [k for k in page.keywords if k not in own]
    if cols["outlet_from"][i] == "folder":
        if page.site_name:
            cols["outlet"][i], cols["outlet_from"][i] = page.site_name, "page"
        elif host_of(cols["url"][i]):
            cols["outlet"][i], cols["outlet_from"][i] = host_of(cols["url"][i]), "url"
