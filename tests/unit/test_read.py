"""Discover and read: formats, encodings, field mapping, and that every bad record is quarantined."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from akhbar.tasks.read import InputError, decode_text, discover_files, read_landing

from akhbar.settings import FieldMap

ARTICLE = (
    "ارتفعت أسعار الخضروات في أسواق المدينة خلال الأسبوع الجاري بسبب موجة البرد التي ضربت المزارع، "
    "وقال تجار إن المعروض من الطماطم والخيار تراجع بنحو الثلث مقارنة بالشهر الماضي، "
    "فيما توقعت وزارة الزراعة أن تعود الأسعار إلى مستوياتها المعتادة مع تحسن الطقس في الأيام المقبلة."
)


def landing(tmp_path: Path) -> Path:
    root = tmp_path / "landing"
    (root / "sahifat-al-madina").mkdir(parents=True)
    (root / "sahifat-al-madina" / "a1.txt").write_text("عنوان الخبر\n" + ARTICLE, encoding="utf-8")
    (root / "legacy").mkdir()
    (root / "legacy" / "old.txt").write_bytes(("خبر قديم\n" + ARTICLE * 3).encode("cp1256"))
    feeds = root / "feeds"
    feeds.mkdir()
    lines = [
        json.dumps(
            {
                "id": "w-1",
                "url": "https://www.example-news.test/a/1",
                "headline": "عنوان",
                "body": ARTICLE,
                "published_at": "2025-03-18T09:30:00+03:00",
                "tags": ["اقتصاد", "زراعة"],
            },
            ensure_ascii=False,
        ),
        '{"id": "w-2", "title": "مقطوع',
        json.dumps({"id": "w-3", "title": "بلا نص", "text": ""}, ensure_ascii=False),
        json.dumps({"id": "w-1", "url": "https://www.example-news.test/a/1", "body": ARTICLE}, ensure_ascii=False),
        json.dumps(["not", "an", "object"]),
    ]
    (feeds / "wire.jsonl.gz").write_bytes(gzip.compress("\n".join(lines).encode("utf-8")))
    (feeds / "one.json").write_text(
        json.dumps({"content": ARTICLE, "site": "موقع الخليج"}, ensure_ascii=False), encoding="utf-8"
    )
    (root / "notes.xml").write_text("<x/>", encoding="utf-8")
    (root / "README.md").write_text("not a record", encoding="utf-8")
    return root


def test_decode_detects_windows_1256():
    text, enc = decode_text(("خبر قديم\n" + ARTICLE * 3).encode("cp1256"))
    assert text.startswith("خبر قديم") and enc.replace("_", "-").lower() in {"cp1256", "windows-1256"}
    assert decode_text("\ufeffنص".encode("utf-8")) == ("نص", "utf-8")


def test_discover_is_recursive_sorted_and_reports_unsupported(tmp_path):
    files, skipped = discover_files([landing(tmp_path)])
    assert [f.path.name for f in files] == ["one.json", "wire.jsonl.gz", "old.txt", "a1.txt"]
    assert sorted((Path(s["path"]).name, s["reason"]) for s in skipped) == [
        ("README.md", "unsupported file type: .md"),
        ("notes.xml", "unsupported file type: .xml"),
    ]
    with pytest.raises(InputError, match="input not found"):
        discover_files([tmp_path / "nope"])


def test_every_path_is_read_or_skipped_with_its_reason(tmp_path):
    """Nothing vanishes without a trace, nothing outside the landing folder is followed, nothing is
    read twice, and no data file is ignored for its name."""
    import os

    root = landing(tmp_path)
    (root / "readme.jsonl").write_text(json.dumps({"id": "r-1", "text": ARTICLE}, ensure_ascii=False), encoding="utf-8")
    (root / ".hidden.json").write_text("{}", encoding="utf-8")
    (root / ".cache").mkdir()
    (root / ".cache" / "x.json").write_text("{}", encoding="utf-8")
    outside = tmp_path / "passwd.txt"
    outside.write_text("root:x:0:0", encoding="utf-8")
    (root / "link-out.txt").symlink_to(outside)
    (root / "link-in.txt").symlink_to(root / "sahifat-al-madina" / "a1.txt")
    (root / "dangling.txt").symlink_to(tmp_path / "gone.txt")
    (root / "loop.txt").symlink_to(root / "loop.txt")
    os.mkfifo(root / "pipe.jsonl")
    (root / "empty.jsonl.gz").write_bytes(b"")
    (root / os.fsdecode(b"bad-\xff-name.txt")).write_text(ARTICLE, encoding="utf-8")
    inputs = [root, root, root / "sahifat-al-madina" / "a1.txt"]
    files, skipped = discover_files(inputs)
    names = [f.path.name for f in files]
    assert "readme.jsonl" in names and len(names) == len(set(f.path for f in files)) == 5
    reasons = {Path(s["path"]).name: s["reason"] for s in skipped}
    assert reasons[".hidden.json"] == "hidden file" and reasons[".cache"] == "hidden folder"
    assert reasons["link-out.txt"].startswith("symlink out of the landing folder")
    assert reasons["link-in.txt"].startswith("symlink inside the landing folder")
    assert reasons["dangling.txt"] == reasons["loop.txt"] == "dangling or looping symlink"
    assert reasons["pipe.jsonl"].startswith("not a regular file")
    assert reasons["empty.jsonl.gz"] == "empty file"
    assert reasons["bad-\\xff-name.txt"] == "file name is not valid UTF-8"
    assert "passwd.txt" not in names and "passwd.txt" not in reasons


def test_read_maps_fields_and_quarantines_every_bad_record(tmp_path):
    files, _ = discover_files([landing(tmp_path)])
    raw, bad = read_landing(files, "r1", FieldMap())
    rows = {
        Path(r["source_uri"].split("#")[0]).name
        + ("#" + r["source_uri"].split("#")[1] if "#" in r["source_uri"] else ""): r
        for r in raw.to_pylist()
    }
    assert set(rows) == {"one.json", "wire.jsonl.gz#L1", "old.txt", "a1.txt"}
    w1 = rows["wire.jsonl.gz#L1"]
    assert (w1["source_id"], w1["title"], w1["outlet"], w1["outlet_from"]) == (
        "w-1",
        "عنوان",
        "example-news.test",
        "url",
    )
    assert w1["published_raw"] == "2025-03-18T09:30:00+03:00" and w1["keywords"] == ["اقتصاد", "زراعة"]
    assert rows["one.json"]["outlet"] == "موقع الخليج" and rows["one.json"]["outlet_from"] == "field"
    assert rows["a1.txt"]["outlet"] == "sahifat-al-madina" and rows["a1.txt"]["outlet_from"] == "folder"
    assert rows["old.txt"]["content"].startswith("خبر قديم")
    reasons = {Path(q["source_uri"]).name: q["reason"] for q in bad.to_pylist()}
    assert reasons["wire.jsonl.gz#L2"].startswith("malformed JSON line")
    assert reasons["wire.jsonl.gz#L3"].startswith("record has no text")
    assert reasons["wire.jsonl.gz#L4"].startswith("repeated record: same id as")
    assert reasons["wire.jsonl.gz#L5"] == "JSON record is a list, not an object"
    assert all(q["raw_payload"] for q in bad.to_pylist())
    assert raw.num_rows + bad.num_rows == 8  # 5 JSON lines + 1 JSON file + 2 text files


def test_article_id_is_stable_across_reads(tmp_path):
    files, _ = discover_files([landing(tmp_path)])
    a, _ = read_landing(files, "r1")
    b, _ = read_landing(files, "r2")
    assert a["article_id"].to_pylist() == b["article_id"].to_pylist()
    assert len(set(a["article_id"].to_pylist())) == a.num_rows


def test_field_override_takes_precedence(tmp_path):
    f = tmp_path / "x.jsonl"
    f.write_text(
        json.dumps({"text": "قصير", "body_html": "<p>" + ARTICLE + "</p>"}, ensure_ascii=False), encoding="utf-8"
    )
    fields = FieldMap()
    fields.prefer("text", "body_html")
    raw, bad = read_landing(discover_files([f])[0], "r1", fields)
    assert raw.num_rows == 1 and raw["content_is_html"][0].as_py() is True


def test_hostile_records_cost_only_themselves(tmp_path):
    """Each of these used to fail the whole run; now each is one quarantine row naming the file and
    line, and the good records around it are read."""
    good = [json.dumps({"id": f"g-{i}", "text": ARTICLE + f" {i}"}, ensure_ascii=False) for i in range(3)]
    bad = [
        "[" * 100_000 + "]" * 100_000,  # nested far too deep
        json.dumps(
            {
                "id": "deep",
                "text": ARTICLE,
                "keywords": __import__("functools").reduce(lambda a, _: [a], range(900), "x"),
            }
        ),
        '{"id": "sur", "text": "\\ud800 ' + ARTICLE + '"}',  # a lone surrogate escape
        json.dumps(
            {"id": "kw", "text": ARTICLE + " kw", "keywords": 5, "tags": True}, ensure_ascii=False
        ),  # read, not refused
        ("{\"id\": \"cp\", \"text\": \"" + ARTICLE + "\"}").encode("cp1256").decode("latin-1"),  # one windows-1256 line
    ]
    lines = [good[0], bad[0], good[1], bad[1], bad[2], bad[3], good[2]]
    data = "\n".join(lines).encode("utf-8") + b"\n" + bad[4].encode("latin-1") + b"\n"
    f = tmp_path / "feed.jsonl.gz"
    f.write_bytes(gzip.compress(data) + b"trailing garbage")
    raw, q = read_landing(discover_files([f])[0], "r1")
    ids = raw["source_id"].to_pylist()
    assert {"g-0", "g-1", "g-2", "kw", "cp"} <= set(ids) and not {"sur", "deep"} & set(ids)
    reasons = {r["source_uri"].rsplit("#", 1)[1]: r["reason"] for r in q.to_pylist()}
    assert reasons["L2"] == "malformed JSON line: nested too deeply"
    assert reasons["L4"] == "JSON record nested deeper than 64 levels (max_json_depth)"  # the bound, not Python's stack
    assert reasons["L5"].startswith("record holds an unpaired UTF-16 surrogate")
    assert any(k.startswith("L") and "cut or corrupt" in v for k, v in reasons.items())  # the garbage tail
    assert raw.num_rows + q.num_rows == 9
    kw = raw.filter(__import__("pyarrow.compute", fromlist=["x"]).equal(raw["source_id"], "kw"))
    assert kw["keywords"].to_pylist() == [["5"]]


def test_a_cut_gzip_keeps_every_record_before_the_cut(tmp_path):
    lines = "\n".join(json.dumps({"id": f"g-{i}", "text": ARTICLE + f" {i}"}, ensure_ascii=False) for i in range(200))
    packed = gzip.compress(lines.encode("utf-8"))
    f = tmp_path / "cut.jsonl.gz"
    f.write_bytes(packed[: int(len(packed) * 0.9)])
    raw, q = read_landing(discover_files([f])[0], "r1")
    assert raw.num_rows >= 150 and q.num_rows == 1
    assert "cut or corrupt" in q["reason"][0].as_py() and q["source_uri"][0].as_py().endswith(f"#L{raw.num_rows + 1}")
