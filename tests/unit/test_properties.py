"""Property tests (hypothesis): whatever bytes, JSON or HTML a feed holds, the reader and the
per-record stages never raise, and every record is accounted for: each non-blank JSON line, each
array item, each text file is exactly one raw row or one quarantine row, and each record given to
the stages is kept or quarantined, once."""

from __future__ import annotations

import gzip
import json
import re
import string
from pathlib import Path

import pyarrow as pa
from akhbar.flows.pipeline import per_record_stages, scratch_context
from akhbar.schemas.tables import RECORD
from akhbar.tasks.ledger import MemoryLedger, Staging
from akhbar.tasks.read import ReadLimits, article_id_for, discover_files, iter_file_records
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

FAST = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
LIMITS = ReadLimits(max_record_bytes=4096, max_line_bytes=2048, max_decompressed_bytes=64 << 10, max_json_depth=8)

ARABIC_WORDS = ["أعلنت", "وزارة", "الصحة", "في", "بيان", "اليوم", "أن", "حملة", "التطعيم", "ستبدأ", "القاهرة", "خبر"]
FIELD_KEYS = [
    "id",
    "text",
    "content",
    "body",
    "html",
    "title",
    "url",
    "published",
    "author",
    "source",
    "keywords",
    "tags",
]

arabic_text = st.lists(st.sampled_from(ARABIC_WORDS), min_size=0, max_size=60).map(" ".join)
any_text = st.one_of(arabic_text, st.text(max_size=200), st.text(alphabet=string.printable, max_size=80))
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False), any_text)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(FIELD_KEYS) | st.text(max_size=5), inner, max_size=5),
    ),
    max_leaves=12,
)
json_records = st.one_of(st.dictionaries(st.sampled_from(FIELD_KEYS), json_values, max_size=8), json_values)


def outputs(path: Path) -> list[tuple[dict | None, dict | None]]:
    (lf,), skipped = discover_files([path])
    assert not skipped
    return list(iter_file_records(lf, _fields(), LIMITS))


def _fields():
    from akhbar.settings import FieldMap

    return FieldMap()


def line_numbers(outs) -> list[int]:
    uris = [(row or stub)["source_uri"] for row, stub in outs]
    return [int(re.search(r"#L(\d+)$", u).group(1)) for u in uris]


@FAST
@given(data=st.binary(max_size=3000), suffix=st.sampled_from([".jsonl", ".json", ".txt", ".html"]))
def test_random_bytes_never_raise_and_each_record_is_one_row(tmp_path_factory, data, suffix):
    path = tmp_path_factory.mktemp("bytes") / f"feed{suffix}"
    path.write_bytes(data or b"x")
    outs = outputs(path)
    assert all((row is None) != (stub is None) for row, stub in outs)
    assert all(stub["reason"] for _, stub in outs if stub)
    if suffix in (".txt", ".html"):
        assert len(outs) == 1
    elif suffix == ".jsonl":  # each non-blank line once, in order
        lines = (data or b"x").split(b"\n")
        expected = [n for n, line in enumerate(lines, 1) if line.strip()]
        assert line_numbers(outs) == expected


@FAST
@given(data=st.binary(max_size=3000), cut=st.floats(0.0, 1.0), garbage=st.binary(max_size=20))
def test_random_and_cut_gzip_never_raise(tmp_path_factory, data, cut, garbage):
    packed = gzip.compress(data)
    path = tmp_path_factory.mktemp("gz") / "feed.jsonl.gz"
    path.write_bytes(packed[: max(1, int(len(packed) * cut))] + garbage)
    outs = outputs(path)
    numbers = line_numbers(outs)
    assert numbers == sorted(set(numbers))  # no line twice; a cut tail is one row after the lines before it


@FAST
@given(records=st.lists(json_records, max_size=12), as_array=st.booleans())
def test_random_json_each_item_is_one_row_or_one_quarantine(tmp_path_factory, records, as_array):
    folder = tmp_path_factory.mktemp("json")
    if as_array:
        path = folder / "feed.json"
        path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    else:
        path = folder / "feed.jsonl"
        path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) or "{}", encoding="utf-8")
    outs = outputs(path)
    expected = len(records) if records or as_array else 1
    if as_array and not records:
        expected = 0
    assert len(outs) == expected
    for _row, stub in outs:
        if stub:
            assert stub["source_uri"].startswith(str(path)) and stub["reason"]


def run_stages(rows: list[dict]) -> tuple[int, int]:
    """Pass 1 of the pipeline (extract, language, clean, observe) in memory: (kept, quarantined)."""
    for i, row in enumerate(rows):
        row.setdefault("record_key", f"k{i}")
        row["article_id"] = article_id_for(row["record_key"])
    batch = pa.Table.from_pylist(rows, schema=RECORD)
    led = MemoryLedger(Staging(Path("/nonexistent")), "p")
    kept = per_record_stages(batch, scratch_context(), led)
    quarantined = led.table("quarantine")
    crashes = [r for r in quarantined["reason"].to_pylist() if " failed: " in r]
    assert not crashes, crashes  # a stage may refuse a record, never crash on it
    return kept.num_rows, quarantined.num_rows


@SLOW
@given(records=st.lists(json_records, min_size=1, max_size=8))
def test_random_json_through_the_per_record_stages_loses_nothing(tmp_path_factory, records):
    path = tmp_path_factory.mktemp("stages") / "feed.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records), encoding="utf-8")
    rows = [row for row, _ in outputs(path) if row]
    if rows:
        kept, quarantined = run_stages(rows)
        assert kept + quarantined == len(rows)


TAGS = [
    "p",
    "div",
    "span",
    "a",
    "article",
    "header",
    "footer",
    "nav",
    "script",
    "style",
    "h1",
    "li",
    "ul",
    "br",
    "meta",
    "link",
]
ATTRS = st.sampled_from(
    [
        "",
        ' class="content"',
        ' rel="canonical" href="http://[::1"',
        ' href="http://[::1"',
        ' property="og:site_name" content="موقع"',
        ' name="keywords" content=",,"',
        ' itemprop="datePublished" content="9999-99-99"',
        ' id="\x00"',
    ]
)


@st.composite
def html_fragments(draw, depth: int = 0) -> str:
    parts = []
    for _ in range(draw(st.integers(0, 4))):
        if depth < 4 and draw(st.booleans()):
            tag, attrs = draw(st.sampled_from(TAGS)), draw(ATTRS)
            inner = draw(html_fragments(depth + 1))
            close = draw(st.sampled_from([f"</{tag}>", "", "</p>"]))  # unclosed and misnested too
            parts.append(f"<{tag}{attrs}>{inner}{close}")
        else:
            parts.append(
                draw(
                    st.one_of(arabic_text, st.text(max_size=40), st.sampled_from(["&amp;", "&#xD800;", "<!--", "]]>"]))
                )
            )
    return "".join(parts)


@SLOW
@given(pages=st.lists(html_fragments(), min_size=1, max_size=6))
@example(pages=['<head><link rel="canonical" href="http://[::1"></head><p>' + " ".join(ARABIC_WORDS * 4) + "</p>"])
def test_random_html_through_the_per_record_stages_loses_nothing(pages):
    rows = [
        {
            "source_uri": f"mem#{i}",
            "format": "html",
            "outlet": "folder-name",
            "outlet_from": "folder",  # as read makes an HTML file's record: the page may name its outlet
            "content": page,
            "content_is_html": True,
            "raw_payload": page,
        }
        for i, page in enumerate(pages)
    ]
    kept, quarantined = run_stages(rows)
    assert kept + quarantined == len(rows)


@FAST
@given(names=st.lists(st.text(alphabet=string.ascii_letters + "[]*?' .", min_size=1, max_size=12), max_size=8))
def test_every_path_is_processed_or_skipped(tmp_path_factory, names):
    """Every entry under an input is a file to read or a skipped path with a reason: nothing else."""
    root = tmp_path_factory.mktemp("paths")
    made = set()
    for name in names:
        path = root / (name + ".jsonl" if len(name) % 2 else name)
        if path.name in (".", "..") or path.exists():
            continue
        path.write_text('{"text": "خبر"}' if len(name) % 3 else "", encoding="utf-8")
        made.add(str(path))
    files, skipped = discover_files([root])
    seen = [str(f.path) for f in files] + [s["path"] for s in skipped]
    assert sorted(seen) == sorted(made) and all(s["reason"] for s in skipped)
