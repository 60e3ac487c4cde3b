"""Where a data dir or a landing input lives: a local folder, or object storage given as an fsspec URI
(`s3://bucket/prefix`; s3fs, the `s3` extra).

A local path stays a plain `pathlib.Path` (`file://` URIs become one too): every local step runs exactly
as it always did. A URI becomes a `upath.UPath` (universal-pathlib): the same `/`, `name`, `glob`,
`exists`, `open` and `unlink` over its fsspec filesystem, so the code that builds paths is shared.
What pathlib cannot do over object storage is here: Parquet in and out, moving a file into place,
DuckDB reading through the filesystem (`attach`), and the local state dir a remote data dir keeps its
warehouse file, run lock, reports and scratch files in (`state_dir`).

Credentials and endpoint come from the filesystem's own standard places: for s3fs, the AWS_* variables
(AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION, AWS_ENDPOINT_URL for an S3-compatible
server), ~/.aws/config and credentials, or an instance role.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pyarrow as pa
import pyarrow.parquet as pq

# s3://bucket/x, gs://..., file:///x: a scheme, then "//" (a Windows drive letter "C:\" is not one)
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+://")

# fsspec filesystems this process opened remote locations on, by protocol: DuckDB connections are given
# them (`attach`) so that the views' `s3://...` patterns resolve through the same credentials.
_OPENED: dict[str, object] = {}


class StorageError(RuntimeError):
    """A location akhbar cannot use (an fsspec URI without its filesystem installed, ...)."""


def is_uri(where) -> bool:
    return isinstance(where, str) and bool(_URI.match(where))


def location(where: str | Path):
    """`where` as akhbar addresses it: a resolved `Path` for a local path or a `file://` URI, a `UPath`
    over its fsspec filesystem for any other URI (listings never cached: partition workers write
    staging files that the run's process lists next)."""
    if isinstance(where, Path):
        return where.expanduser().resolve()
    if not isinstance(where, str):  # already a UPath
        _OPENED.setdefault(_protocol(where), where.fs)
        return where
    if not is_uri(where):
        return Path(where).expanduser().resolve()
    parts = urlsplit(where)
    if parts.scheme == "file":
        return Path(unquote(parts.path)).resolve()
    try:
        from upath import UPath

        remote = UPath(where.rstrip("/"), use_listings_cache=False)
        fs = remote.fs
    except ImportError as exc:
        raise StorageError(
            f"{parts.scheme}:// needs its fsspec filesystem ({exc.name} is not installed): for s3:// pip install 'akhbar[s3]'"
        ) from None
    _OPENED.setdefault(_protocol(remote), fs)
    return remote


def is_remote(path) -> bool:
    return not isinstance(path, Path)


def text(path) -> str:
    """The location as DuckDB and the tables write it: a POSIX path, or the URI."""
    return path.as_posix() if isinstance(path, Path) else str(path)


def _protocol(path) -> str:
    protocol = path.fs.protocol
    return protocol[0] if isinstance(protocol, tuple) else protocol


def state_dir(data_dir) -> Path:
    """The local folder of what cannot live on object storage: the warehouse file (DuckDB writes a
    local file), the run lock (a kernel lock) and the run's scratch files and reports. A local data
    dir is its own state dir; a remote one's is AKHBAR_STATE_DIR/<protocol>/<bucket>/<prefix>
    (default ~/.cache/akhbar/...)."""
    data_dir = location(data_dir)
    if not is_remote(data_dir):
        return data_dir
    base = os.environ.get("AKHBAR_STATE_DIR") or Path.home() / ".cache" / "akhbar"
    return Path(base).expanduser().resolve() / _protocol(data_dir) / data_dir.path.strip("/")


def write_parquet(table: pa.Table, path, **options) -> None:
    if not is_remote(path):
        pq.write_table(table, path, **options)
        return
    with path.open("wb") as f:
        pq.write_table(table, f, **options)


def read_parquet(path, columns: list[str] | None = None) -> pa.Table:
    if not is_remote(path):
        return pq.read_table(path, columns=columns)
    return pq.read_table(path.path, columns=columns, filesystem=path.fs)


def parquet_rows(path) -> int:
    """Rows in a Parquet file, from its footer."""
    if not is_remote(path):
        return pq.ParquetFile(path).metadata.num_rows
    with path.open("rb") as f:
        return pq.ParquetFile(f).metadata.num_rows


def move(src, dst) -> None:
    """Put `src` at `dst`. Locally one atomic rename. Onto object storage an upload (or a server-side
    copy): a reader sees the whole object or none, never part of it, which is all the lake needs (a
    run is published by its `runs` file, written last)."""
    if not is_remote(dst):
        os.replace(src, dst)
    elif not is_remote(src):
        dst.fs.put_file(str(src), dst.path)
        src.unlink()
    else:
        dst.fs.mv(src.path, dst.path)


def remove_tree(path) -> None:
    if not is_remote(path):
        shutil.rmtree(path, ignore_errors=True)
    else:  # object by object: fsspec's rm would read a "[" in the prefix as a glob
        for key in path.fs.find(path.path):
            path.fs.rm_file(key)


def spill_dir(beside) -> Path:
    """Where DuckDB spills for work over files at `beside`: a folder next to them when they are local,
    else one under the system's temporary folder (DuckDB spills to local disk only)."""
    if not is_remote(beside):
        return Path(beside) / "spill"
    return Path(tempfile.gettempdir()) / "akhbar-spill"


def attach(con, *paths):
    """Give a DuckDB connection the fsspec filesystems of remote locations (those of `paths` and every
    one this process opened), so `read_parquet('s3://...')` reads through them. Nothing to do for a
    local data dir. Returns `con`."""
    wanted = dict(_OPENED)
    for p in paths:
        if is_remote(p):
            wanted.setdefault(_protocol(p), p.fs)
    if wanted:
        have = set(con.list_filesystems())
        for fs in wanted.values():
            name = fs.protocol[0] if isinstance(fs.protocol, tuple) else fs.protocol
            if name not in have:
                con.register_filesystem(fs)
    return con
