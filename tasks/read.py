"""Discover and read stages: landing files -> one Arrow table of raw records.

Every input record either becomes a row of the RAW table or a quarantine row with its reason and
raw payload: an undecodable file, a malformed JSON line, a record without text, a repeated record.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import re
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import ijson
import pyarrow as pa
from akhbar.schemas.tables import QUARANTINE, RECORD
from akhbar.tasks.base import quarantine_row, run_logger, stage_task
from akhbar.tasks.decode import DecodeError, decode_bytes, lost_reason
from akhbar.tasks.fields import FieldMapping, infer_mapping
from akhbar.tasks.storage import is_remote, location

from akhbar.settings import FieldMap

FORMATS = {
    ".txt": "txt",
    ".text": "txt",
    ".html": "html",
    ".htm": "html",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".jsonl.gz": "jsonl",
    ".ndjson.gz": "jsonl",
    ".json.gz": "json",
}
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_HTML_HINT = re.compile(r"<(?:html|body|p|div|br|article|h1|span)\b[^>]*>", re.I)


class InputError(ValueError):
    """A run-level input problem (a path that does not exist): the run stops with this message."""


@dataclass(frozen=True, slots=True)
class LandingFile:
    path: Path
    format: str
    outlet_hint: str  # folder name: the outlet of records that carry none
    size: int
    mtime_ns: int

    def content_hash(self) -> str:
        h = hashlib.sha256()
        with self.path.open("rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        return h.hexdigest()


def file_format(path: Path) -> str | None:
    name = path.name.lower()
    for suffix in sorted(FORMATS, key=len, reverse=True):
        if name.endswith(suffix):
            return FORMATS[suffix]
    return None


def path_text(path: Path) -> str:
    """A path as text that Arrow and Parquet can store: a name that is not UTF-8 keeps its bytes as escapes."""
    if is_remote(path):  # a URI: text already
        return str(path)
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def discover_files(inputs: list[str | Path], max_file_bytes: int | None = None) -> tuple[list[LandingFile], list[dict]]:
    """Every entry under the inputs (recursive, sorted): the files to read, and each one that is
    not read with its reason (SKIPPED rows: path, reason, size). Nothing is passed over silently and
    nothing outside an input is followed: a symlink is read only where its target lies inside the
    same input, and then once, where the target lies. A file larger than `max_file_bytes` is skipped."""
    found: dict[Path, LandingFile] = {}
    skipped: list[dict] = []
    for raw in inputs:
        root = location(raw)
        if not root.exists():
            raise InputError(f"input not found: {raw}")
        for path, reason in sorted(
            _walk_remote(root) if is_remote(root) else _walk(root), key=lambda item: str(item[0])
        ):
            if reason:
                skipped.append({"path": path_text(path), "reason": reason, "size": _size(path)})
                continue
            lf = _landing_file(path, max_file_bytes)
            if isinstance(lf, str):
                skipped.append({"path": path_text(path), "reason": lf, "size": _size(path)})
            elif lf.path not in found:  # an input given twice, or a file inside a folder also given
                found[lf.path] = lf
    return list(found.values()), skipped


def _walk(root: Path) -> Iterator[tuple[Path, str | None]]:
    """(path, None) for each regular file to consider under `root`, (path, reason) for each entry
    that is not one."""
    if not root.is_dir():
        yield root, None
        return
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name, reverse=True)
        except OSError as exc:
            yield folder, f"unreadable folder: {exc.strerror or exc}"
            continue
        for entry in entries:
            path = Path(entry.path)
            if entry.name.startswith("."):
                yield path, "hidden " + ("folder" if entry.is_dir(follow_symlinks=False) else "file")
            elif entry.is_symlink():
                yield path, _symlink_reason(path, root)
            elif entry.is_dir(follow_symlinks=False):
                stack.append(path)
            elif not entry.is_file(follow_symlinks=False):
                yield path, "not a regular file (FIFO, socket or device)"
            else:
                yield path, None


def _walk_remote(root) -> Iterator[tuple[Any, str | None]]:
    """_walk over object storage: every object under the prefix (no symlinks, FIFOs or devices
    there), hidden ones (a name or a folder starting with ".") listed once with their reason."""
    if root.is_file():
        yield root, None
        return
    hidden: set[str] = set()
    for key in sorted(root.fs.find(root.path)):
        parts = key[len(root.path) :].strip("/").split("/")
        dot = next((i for i, part in enumerate(parts) if part.startswith(".")), None)
        if dot is None:
            yield root.joinpath(*parts), None
        elif dot == len(parts) - 1:
            yield root.joinpath(*parts), "hidden file"
        elif "/".join(parts[: dot + 1]) not in hidden:
            hidden.add("/".join(parts[: dot + 1]))
            yield root.joinpath(*parts[: dot + 1]), "hidden folder"


def _symlink_reason(path: Path, root: Path) -> str:
    try:
        target = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return "dangling or looping symlink"
    if not target.is_relative_to(root):
        return f"symlink out of the landing folder (to {path_text(target)})"
    return "symlink inside the landing folder (its target is read where it lies)"


def _landing_file(path: Path, max_file_bytes: int | None = None) -> LandingFile | str:
    """The file to read, or why it is skipped."""
    try:
        path_text(path).encode("utf-8")
        if not is_remote(path):
            os.fsdecode(path).encode("utf-8")
    except UnicodeEncodeError:
        return "file name is not valid UTF-8"
    fmt = file_format(path)
    if fmt is None:
        return f"unsupported file type: {path.suffix or '(none)'}"
    try:
        size, mtime_ns = _size_and_mtime(path)
        with path.open("rb"):
            pass
    except OSError as exc:
        return f"unreadable file: {exc.strerror or exc}"
    if size == 0:
        return "empty file"
    if max_file_bytes is not None and size > max_file_bytes:
        return f"file over the size bound ({size:,} bytes > max_file_bytes {max_file_bytes:,})"
    return LandingFile(path, fmt, path.parent.name, size, mtime_ns)


def _size_and_mtime(path) -> tuple[int, int]:
    """A file's size and modification time in ns; an object's from its listing (S3: LastModified, to
    the second; a changed object of the same size and second is told apart by its content hash)."""
    if not is_remote(path):
        st = path.stat()
        return st.st_size, st.st_mtime_ns
    info = path.fs.info(path.path)
    modified = info.get("LastModified") or info.get("mtime") or info.get("last_modified")
    if hasattr(modified, "timestamp"):
        modified = modified.timestamp()
    return int(info.get("size") or 0), int(float(modified or 0) * 1_000_000_000)


def _size(path: Path) -> int | None:
    try:
        if is_remote(path):
            return None if path.is_dir() else _size_and_mtime(path)[0]
        return path.lstat().st_size
    except OSError:
        return None


def decode_text(data: bytes, check_lost: bool = True) -> tuple[str, str]:
    """Text and encoding of a file or a line (tasks/decode.py: UTF-8, then the legacy Arabic code
    pages scored by their Arabic, mojibake repaired); raises DecodeError with the quarantine reason."""
    decoded = decode_bytes(data, check_lost=check_lost)
    return decoded.text, decoded.encoding


def record_key(outlet: str | None, source_id: str | None, url: str | None, content: str, name: str) -> str:
    """What makes a record the same record on another night: its own id, else its URL, else
    its file name and content."""
    if source_id:
        return f"id:{outlet or ''}:{source_id}"
    if url:
        return f"url:{url.strip()}"
    return f"file:{outlet or ''}/{name}:{hashlib.sha256(content.encode()).hexdigest()}"


def article_id_for(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:20]


def host_of(url: str | None) -> str | None:
    """The URL's host without www., or None (no URL, or one urllib cannot parse: `http://[::1`)."""
    if not url:
        return None
    try:
        host = urlsplit(url.strip()).hostname or ""
    except ValueError:
        return None
    return host.removeprefix("www.") or None


def json_record(rec: Any, uri: str, payload: str, lf: LandingFile, mapping: FieldMapping) -> dict:
    """Map one JSON object onto RECORD columns with the file's field mapping; raises ValueError with a
    reason if it cannot (no text, text lost at the source)."""
    if not isinstance(rec, dict):
        raise ValueError(f"JSON record is a {type(rec).__name__}, not an object")
    v = mapping.extract(rec)
    content = v["text"]
    if not content or not content.strip():
        raise ValueError(f"record has no text (looked for: {', '.join(mapping.choices['text'].keys)})")
    lost = lost_reason(content)
    if lost:
        raise ValueError(lost)
    url, source_id, outlet = v["url"], v["id"], v["outlet"]
    outlet_from = "field" if outlet else ("url" if host_of(url) else "folder")
    outlet = outlet or host_of(url) or lf.outlet_hint
    is_html = v["text_key"] in ("html", "raw_html") or bool(_HTML_HINT.search(content[:2000]))
    return {
        "record_key": record_key(outlet, source_id, url, content, lf.path.name),
        "source_uri": uri,
        "source_id": source_id,
        "format": "json",
        "encoding": "utf-8",
        "outlet": outlet,
        "outlet_from": outlet_from,
        "url": url,
        "title": v["title"],
        "published_raw": v["published"],
        "author": v["author"],
        "category": v["category"],
        "keywords": v["keywords"],
        "content": content,
        "content_is_html": is_html,
        "raw_payload": payload,
    }


@dataclass(frozen=True, slots=True)
class ReadLimits:
    """Bounds that keep one input from exhausting memory or time (akhbar/settings.py says why each):
    a record (a text or HTML file, a JSON document read whole) over `max_record_bytes` and a JSON line
    over `max_line_bytes` are quarantined with their size instead of parsed; a file stops at
    `max_decompressed_bytes` unpacked; a JSON record nested deeper than `max_json_depth` is
    quarantined."""

    max_record_bytes: int = 16 << 20
    max_line_bytes: int = 16 << 20
    max_decompressed_bytes: int = 4 << 30
    max_json_depth: int = 64

    @classmethod
    def from_settings(cls, settings) -> ReadLimits:
        return cls(
            settings.max_record_bytes, settings.max_line_bytes, settings.max_decompressed_bytes, settings.max_json_depth
        )


class OverBound(OSError):
    """A file unpacked past `max_decompressed_bytes`: reading it stops there."""


class BoundedStream:
    """A file's (unpacked) byte stream that raises OverBound once more than `limit` bytes came out
    of it, so a gzip bomb is stopped while it streams: never more than one read's worth past the bound."""

    def __init__(self, raw, limit: int) -> None:
        self.raw, self.limit, self.consumed = raw, limit, 0

    def _left(self, n: int) -> int:
        left = self.limit - self.consumed + 1  # one byte past the bound tells "over" from "exactly at"
        return left if n is None or n < 0 else min(n, left)

    def _count(self, data: bytes) -> bytes:
        self.consumed += len(data)
        if self.consumed > self.limit:
            raise OverBound(f"unpacks to more than {self.limit:,} bytes (max_decompressed_bytes)")
        return data

    def read(self, n: int = -1) -> bytes:
        return self._count(self.raw.read(self._left(n)))

    def readline(self, n: int = -1) -> bytes:
        return self._count(self.raw.readline(self._left(n)))

    def peek(self, n: int = 1) -> bytes:
        return self.raw.peek(n) if hasattr(self.raw, "peek") else b""

    def seek(self, pos: int) -> int:
        self.consumed = pos
        return self.raw.seek(pos)

    def close(self) -> None:
        self.raw.close()

    def __enter__(self) -> BoundedStream:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _bad(
    uri: str,
    reason: str,
    payload: str | None,
    source_id: str | None = None,
    size: int | None = None,
    sha256: str | None = None,
) -> dict:
    """A quarantine stub: what read knows of a record it cannot go on with. `size` and `sha256` are
    of the whole record where read kept only the start of it (an over-long line), else derived from
    the payload when the quarantine row is made (tasks/base.py)."""
    return {
        "source_uri": uri,
        "source_id": source_id,
        "reason": reason,
        "raw_payload": payload,
        "payload_bytes": size,
        "payload_sha256": sha256,
    }


def _open(lf: LandingFile, limits: ReadLimits) -> BoundedStream:
    """The file's bytes as a stream, gunzipped on the fly for .gz (never the whole file in memory),
    that stops at the decompressed-size bound."""
    gz = lf.path.name.lower().endswith(".gz")
    if is_remote(lf.path):  # fsspec unpacks it, and closes the object's stream with the gzip's
        raw = lf.path.fs.open(lf.path.path, "rb", compression="gzip" if gz else None)
        raw = raw if gz else io.BufferedReader(raw)  # readline(size) and peek, as a local file has
    else:
        raw = gzip.open(lf.path, "rb") if gz else lf.path.open("rb")
    return BoundedStream(raw, limits.max_decompressed_bytes)


# Records a file's field mapping is inferred from (tasks/fields.py).
MAPPING_SAMPLE = 50


def iter_file_records(
    lf: LandingFile,
    fields: FieldMap,
    limits: ReadLimits = ReadLimits(),
    on_mapping: Callable[[LandingFile, FieldMapping], None] | None = None,
) -> Iterator[tuple[dict | None, dict | None]]:
    """Yield (raw row, None) or (None, quarantine stub) for every record of one file, streaming:
    JSON lines one line at a time, a JSON array one item at a time, so one bad line or a cut gzip
    costs that line or the tail, never the records before it. A JSON file's fields are mapped by
    one mapping inferred from its first records (`on_mapping` hears which)."""
    uri = str(lf.path)
    try:
        stream = _open(lf, limits)
    except OSError as exc:
        yield None, _bad(uri, f"cannot read file: {exc}", None)
        return
    with stream:
        if lf.format in ("txt", "html"):
            yield _whole_file(stream, lf, uri, limits)
            return
        objects = _json_lines(stream, uri, limits) if lf.format == "jsonl" else _json_document(stream, uri, limits)
        yield from _mapped(objects, lf, fields, on_mapping)


def _mapped(
    objects: Iterator[tuple],
    lf: LandingFile,
    fields: FieldMap,
    on_mapping: Callable[[LandingFile, FieldMapping], None] | None,
) -> Iterator[tuple[dict | None, dict | None]]:
    """Map parsed JSON objects to raw rows with one mapping per file, inferred from its first
    MAPPING_SAMPLE objects (held back until then); stubs pass through in place."""
    held: list[tuple] = []
    mapping: FieldMapping | None = None
    for item in objects:
        if mapping is None:
            held.append(item)
            if sum(1 for it in held if it[0] == "object") < MAPPING_SAMPLE:
                continue
            mapping = _infer(held, lf, fields, on_mapping)
            yield from (_row_of(it, lf, mapping) for it in held)
            held = []
        else:
            yield _row_of(item, lf, mapping)
    if held:
        mapping = _infer(held, lf, fields, on_mapping)
        yield from (_row_of(it, lf, mapping) for it in held)


def _infer(held: list[tuple], lf: LandingFile, fields: FieldMap, on_mapping) -> FieldMapping:
    mapping = infer_mapping([it[1] for it in held if it[0] == "object"], fields)
    if on_mapping is not None:
        on_mapping(lf, mapping)
    return mapping


def _row_of(item: tuple, lf: LandingFile, mapping: FieldMapping) -> tuple[dict | None, dict | None]:
    """("object", rec, uri, payload, encoding) -> a raw row or a stub; ("stub", stub) passes."""
    if item[0] == "stub":
        return None, item[1]
    _, rec, uri, payload, encoding = item
    try:
        row = json_record(rec, uri, payload, lf, mapping)
        if _SURROGATE_ESCAPE.search(payload):  # "\ud800" alone decodes to text nothing can store
            for value in row.values():
                if isinstance(value, str):
                    value.encode("utf-8")
    except UnicodeEncodeError:
        return None, _bad(
            uri, "record holds an unpaired UTF-16 surrogate escape (e.g. \\ud800): its text cannot be stored", payload
        )
    except (ValueError, TypeError, RecursionError) as exc:
        src = rec.get("id") if isinstance(rec, dict) else None
        return None, _bad(
            uri, str(exc), payload, str(src) if isinstance(src, (str, int)) and not isinstance(src, bool) else None
        )
    row["encoding"] = encoding
    return row, None


def _whole_file(stream, lf: LandingFile, uri: str, limits: ReadLimits) -> tuple[dict | None, dict | None]:
    """A text or HTML file is one record."""
    try:
        data = stream.read(limits.max_record_bytes + 1)
    except OverBound as exc:
        return None, _bad(uri, f"file {exc}: not read", None, size=lf.size)
    except (OSError, EOFError, zlib.error) as exc:
        return None, _bad(uri, f"cannot read file: {exc}", None)
    if len(data) > limits.max_record_bytes:
        return None, _bad(
            uri,
            f"file is over the record bound ({limits.max_record_bytes:,} bytes)",
            data.decode("utf-8", "replace"),
            size=None if lf.path.name.lower().endswith(".gz") else lf.size,
        )
    try:
        text, encoding = decode_text(data)
    except DecodeError as exc:
        return None, _bad(uri, str(exc), data.decode("latin-1"))
    if not text.strip():
        return None, _bad(uri, "empty file", text)
    outlet = lf.outlet_hint
    return {
        "record_key": record_key(outlet, None, None, text, lf.path.name),
        "source_uri": uri,
        "source_id": None,
        "format": lf.format,
        "encoding": encoding,
        "outlet": outlet,
        "outlet_from": "folder",
        "url": None,
        "title": None,
        "published_raw": None,
        "author": None,
        "category": None,
        "keywords": [],
        "content": text,
        "content_is_html": lf.format == "html",
        "raw_payload": text,
    }, None


def _skip_line(stream, digest, chunk: int = 1 << 20) -> int:
    """Read past the rest of an over-long line, hashing it; returns its bytes (newline not counted)."""
    skipped = 0
    while True:
        part = stream.readline(chunk)
        ended = not part or part.endswith(b"\n") or len(part) < chunk  # the line's end, or the file's
        part = part.removesuffix(b"\n")
        digest.update(part)
        skipped += len(part)
        if ended:
            return skipped


def _over_long_line(stream, line: bytes, uri: str, limits: ReadLimits) -> tuple[dict, bool]:
    """The quarantine stub of a line over `max_line_bytes` (its start kept, its whole size and sha256
    noted, the rest read past in chunks, never held), and whether the file ended inside it (the
    unpacked-size bound, a cut gzip): then nothing follows."""
    digest = hashlib.sha256(line)
    try:
        size, note = len(line) + _skip_line(stream, digest), ""
    except (OSError, EOFError, zlib.error) as exc:
        size, note = len(line), f"; the file ends inside it: {exc}"
    stub = _bad(
        uri,
        f"JSON line of {size:,} bytes is over the line bound ({limits.max_line_bytes:,}){note}",
        line.decode("utf-8", "replace"),
        size=size,
        sha256=digest.hexdigest(),
    )
    return stub, bool(note)


def _json_lines(stream, uri: str, limits: ReadLimits) -> Iterator[tuple]:
    """("object", rec, uri, payload, encoding) per parsable line, ("stub", stub) per bad one."""
    n = 0
    while True:
        try:
            line = stream.readline(limits.max_line_bytes + 1)
        except OverBound as exc:  # a gzip bomb: what came before stands, the rest is not unpacked
            yield "stub", _bad(f"{uri}#L{n + 1}", f"file {exc}: reading stopped at line {n + 1}", None)
            return
        except (OSError, EOFError, zlib.error) as exc:  # a cut or corrupt gzip: what came before stands
            yield "stub", _bad(f"{uri}#L{n + 1}", f"file is cut or corrupt after line {n}: {exc}", None)
            return
        if not line:
            return
        n += 1
        if len(line) > limits.max_line_bytes and not line.endswith(b"\n"):
            stub, ended = _over_long_line(stream, line, f"{uri}#L{n}", limits)
            yield "stub", stub
            if ended:
                return
            continue
        line = line.rstrip(b"\n")  # not splitlines(): JSON strings may hold U+2028
        if not line.strip():
            continue
        try:  # per line: one windows-1256 line in a UTF-8 feed costs nothing to its neighbours
            text, encoding = decode_text(line, check_lost=False)
        except DecodeError as exc:
            yield "stub", _bad(f"{uri}#L{n}", str(exc), line.decode("latin-1"))
            continue
        yield _parse_json(text, f"{uri}#L{n}", limits.max_json_depth, encoding)


def _json_document(stream, uri: str, limits: ReadLimits) -> Iterator[tuple]:
    """One JSON document: an array of objects is parsed item by item (ijson), an object whole."""
    head = stream.peek(64)[:64]
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"["):
        n = -1
        try:
            for n, rec in enumerate(ijson.items(stream, "item", use_float=True)):
                yield _json_item(rec, f"{uri}#{n}", limits.max_json_depth)
            return
        except OverBound as exc:
            yield "stub", _bad(f"{uri}#{n + 1}", f"file {exc}: reading stopped after item {n}", None)
            return
        except (
            ijson.JSONError,
            ijson.IncompleteJSONError,
            UnicodeDecodeError,
            OSError,
            EOFError,
            zlib.error,
            RecursionError,
        ):
            if n >= 0:  # items before the fault stand; the rest is read again, or is one quarantine row
                yield from _items_after(stream, n, uri, limits)
                return
            stream.seek(0)  # not UTF-8 or not parsable as a stream: read it whole below
    try:
        data = stream.read(limits.max_record_bytes + 1)
    except OverBound as exc:
        yield "stub", _bad(uri, f"file {exc}: not read", None)
        return
    except (OSError, EOFError, zlib.error) as exc:
        yield "stub", _bad(uri, f"cannot read file: {exc}", None)
        return
    if len(data) > limits.max_record_bytes:
        yield (
            "stub",
            _bad(
                uri,
                f"JSON document is over the record bound ({limits.max_record_bytes:,} bytes)",
                data.decode("utf-8", "replace"),
            ),
        )
        return
    try:
        text, encoding = decode_text(data, check_lost=False)
    except DecodeError as exc:
        yield "stub", _bad(uri, str(exc), data.decode("latin-1"))
        return
    parsed = _parse_json(text, uri, limits.max_json_depth, encoding, "JSON document")
    if parsed[0] == "object" and isinstance(parsed[1], list):
        for n, rec in enumerate(parsed[1]):
            yield _json_item(rec, f"{uri}#{n}", limits.max_json_depth, encoding)
    else:
        yield parsed


def _items_after(stream, n: int, uri: str, limits: ReadLimits) -> Iterator[tuple]:
    """The items after item `n` of an array ijson's C backend stopped in: it refuses integers past
    64 bits that are valid JSON, so the array is streamed again with ijson's pure-Python backend
    (slower, only for such a file), skipping the items already read. A real fault in the file (or a
    number no backend takes, 1e400) makes the rest one quarantine row."""
    m = n
    try:
        stream.seek(0)
        for m, rec in enumerate(ijson.get_backend("python").items(stream, "item", use_float=True)):
            if m > n:
                yield _json_item(rec, f"{uri}#{m}", limits.max_json_depth)
    except OverBound as exc:
        yield "stub", _bad(f"{uri}#{max(m, n) + 1}", f"file {exc}: reading stopped after item {max(m, n)}", None)
    except (ijson.JSONError, ijson.IncompleteJSONError, UnicodeDecodeError, OSError, EOFError, zlib.error) as exc:
        last = max(m, n)
        yield "stub", _bad(f"{uri}#{last + 1}", f"malformed JSON after item {last}: {exc}", None)


def nested_deeper(value: Any, limit: int) -> bool:
    """Whether `value` nests lists and objects more than `limit` levels (walked without recursion,
    stopping at the first path past the limit)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            item = item.values()
        elif not isinstance(item, list):
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in item if isinstance(child, (dict, list)))
    return False


def _too_deep(uri: str, limit: int, payload: str | None) -> tuple:
    return "stub", _bad(uri, f"JSON record nested deeper than {limit} levels (max_json_depth)", payload)


def _json_item(rec: Any, uri: str, max_depth: int, encoding: str = "utf-8") -> tuple:
    if nested_deeper(rec, max_depth):
        return _too_deep(uri, max_depth, None)
    try:
        payload = json.dumps(rec, ensure_ascii=False)
    except (ValueError, RecursionError) as exc:
        return "stub", _bad(uri, f"JSON record cannot be stored: {type(exc).__name__}", None)
    return "object", rec, uri, payload, encoding


def _parse_json(line: str, uri: str, max_depth: int, encoding: str = "utf-8", what: str = "JSON line") -> tuple:
    try:
        rec = json.loads(line)
    except json.JSONDecodeError as exc:
        return "stub", _bad(uri, f"malformed {what}: {exc.msg} (column {exc.colno})", line)
    except RecursionError:
        return "stub", _bad(uri, f"malformed {what}: nested too deeply", line)
    # fewer brackets than the bound cannot nest past it: the walk is for the rare line with many
    if line.count("[") + line.count("{") > max_depth and nested_deeper(rec, max_depth):
        return _too_deep(uri, max_depth, line)
    return "object", rec, uri, line, encoding


def read_partitions(
    files: list[LandingFile],
    run_id: str,
    fields: FieldMap | None = None,
    batch_size: int = 2000,
    limits: ReadLimits = ReadLimits(),
    on_mapping: Callable[[LandingFile, FieldMapping], None] | None = None,
    yielded: Counter | None = None,
) -> Iterator[tuple[pa.Table, pa.Table]]:
    """Stream every file's records as partitions of at most `batch_size` raw records (RECORD rows
    with article_id), each with the quarantine rows read produced since the last one. A record
    whose id was already read in this run is quarantined as repeated (the run keeps only the ids).
    `yielded` counts each file's records (rows and quarantine rows) by path, for the manifest."""
    fields = fields or FieldMap()
    yielded = Counter() if yielded is None else yielded
    rows: list[dict] = []
    bad: list[dict] = []
    first_seen: dict[str, str] = {}
    for lf in files:
        for row, stub in iter_file_records(lf, fields, limits, on_mapping):
            yielded[str(lf.path)] += 1
            if stub is not None:
                bad.append(quarantine_row(stub, run_id, "read", stub["reason"]))
            else:
                row["article_id"] = article_id_for(row["record_key"])
                if row["article_id"] in first_seen:
                    bad.append(
                        quarantine_row(
                            row,
                            run_id,
                            "read",
                            f"repeated record: same {row['record_key'].split(':', 1)[0]} as {first_seen[row['article_id']]}",
                        )
                    )
                else:
                    first_seen[row["article_id"]] = row["source_uri"]
                    rows.append(row)
            if len(rows) >= batch_size or len(bad) >= batch_size:
                yield pa.Table.from_pylist(rows, schema=RECORD), pa.Table.from_pylist(bad, schema=QUARANTINE)
                rows, bad = [], []
    if rows or bad:
        yield pa.Table.from_pylist(rows, schema=RECORD), pa.Table.from_pylist(bad, schema=QUARANTINE)


def read_landing(files: list[LandingFile], run_id: str, fields: FieldMap | None = None) -> tuple[pa.Table, pa.Table]:
    """Every record of `files` in one table (small inputs: tests, evaluation scripts)."""
    parts = list(read_partitions(files, run_id, fields))
    if not parts:
        return RECORD.empty_table(), QUARANTINE.empty_table()
    return pa.concat_tables([p[0] for p in parts]), pa.concat_tables([p[1] for p in parts])


def _retry_io_only(task, task_run, state) -> bool:
    """Retry flaky I/O, not a wrong input path."""
    try:
        state.result()
    except InputError:
        return False
    except Exception:
        return True
    return False


def changed_files(
    files: list[LandingFile], manifest: dict[str, tuple[int, int, str]]
) -> tuple[list[LandingFile], list[dict]]:
    """Files that are new or changed since they were last processed, and MANIFEST rows for them.
    Same size and mtime: unchanged without reading; otherwise the content hash decides."""
    todo, rows = [], []
    for lf in files:
        seen = manifest.get(str(lf.path))
        if seen and seen[0] == lf.size and seen[1] == lf.mtime_ns:
            continue
        digest = lf.content_hash()
        if seen and seen[2] == digest:
            continue
        todo.append(lf)
        rows.append({"path": str(lf.path), "size": lf.size, "mtime_ns": lf.mtime_ns, "content_hash": digest})
    return todo, rows


@stage_task(name="discover", retries=2, retry_delay_seconds=[1, 5], retry_condition_fn=_retry_io_only)
def discover(
    inputs: list[str],
    run_id: str,
    manifest: dict[str, tuple[int, int, str]] | None = None,
    max_file_bytes: int | None = None,
) -> tuple[list[LandingFile], pa.Table, pa.Table]:
    """Landing files to process this run (new or changed ones when a manifest is given), every path
    not read with its reason (SKIPPED rows), and the run's MANIFEST rows."""
    from akhbar.schemas.tables import MANIFEST, SKIPPED

    files, skipped = discover_files(inputs, max_file_bytes)
    todo, rows = changed_files(files, manifest or {})
    log = run_logger()
    log.info("discover: %d landing files, %d new or changed, %d paths skipped", len(files), len(todo), len(skipped))
    for s in skipped[:20]:
        log.warning("skipped %s: %s", s["path"], s["reason"])
    manifest_rows = pa.Table.from_pylist([{**r, "run_id": run_id} for r in rows], schema=MANIFEST)
    return todo, pa.Table.from_pylist([{**s, "run_id": run_id} for s in skipped], schema=SKIPPED), manifest_rows
