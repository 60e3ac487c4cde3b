"""`akhbar` command line: run the nightly flow once, query and inspect the warehouse, export it, print
a run summary. Errors are one line on stderr and a non-zero exit, never a traceback (AKHBAR_DEBUG=1
shows it)."""

from __future__ import annotations

import functools
import os
import re
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from akhbar import serve as local_server
from akhbar.env import prepare_prefect_env, set_log_level, start_temporary_api
from akhbar.settings import DEFAULT_DATA_DIR

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="akhbar: ETL for scraped Arabic news.",
    pretty_exceptions_enable=False,
)

# s3://bucket/x, gs://..., https://...: pathlib would fold the "//" and make a local folder "s3:".
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+:/")


def _local(value, what: str):
    """Refuse a URI where only a local path will do (the export file, the server's data dir)."""
    for v in value if isinstance(value, list) else [value]:
        if v is not None and _URI.match(str(v)):
            scheme = str(v).split(":", 1)[0]
            raise typer.BadParameter(f"{scheme}:// is not supported for {what}: give a local path")
    return value


def _local_dir(value: Path) -> Path:
    return _local(value, "--data-dir")


def _where(value: str | None):
    """A local path as a Path; an fsspec URI (s3://bucket/prefix) as a UPath over its filesystem
    (tasks/storage.py). A URI without `//`, such as `s3:/x`, is refused rather than taken for a
    local folder "s3:"."""
    if value is None:
        return None
    text = str(value)
    if _URI.match(text):
        if "://" not in text:
            raise typer.BadParameter(f"{text!r} is neither a local path nor a URI (scheme://...)")
        from akhbar.tasks.storage import StorageError, location

        try:
            return location(text)
        except StorageError as exc:
            raise typer.BadParameter(str(exc)) from None
    return Path(text)


def _where_dir(value: str | None) -> str | Path | None:
    where = _where(value)
    if not isinstance(where, Path | None) and str(where).startswith(("http://", "https://")):
        raise typer.BadParameter("--data-dir cannot be on a web server (read-only): give a local path or s3://...")
    return where


def _where_inputs(value: list[str]) -> list[str | Path]:
    return [_where(v) for v in value]


DataDir = Annotated[
    str,
    typer.Option(
        "--data-dir",
        "-d",
        envvar="AKHBAR_DATA_DIR",
        callback=_where_dir,
        help="Data directory (lake/, warehouse.duckdb, reports/): a local path or s3://bucket/prefix.",
    ),
]


def _fail(message: str, code: int = 1) -> None:
    typer.echo(f"akhbar: {message}", err=True)
    raise typer.Exit(code)


def _warn(message: str) -> None:
    typer.echo(f"akhbar: warning: {message}", err=True)


def clear_errors(command):
    """An unexpected exception ends the command with its type and message on one line (exit 1)."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except BrokenPipeError:  # the reader went away (`| head`): no error, and nothing more to print
            _silence_stdout()
            raise typer.Exit(0) from None
        except Exception as exc:
            if os.environ.get("AKHBAR_DEBUG"):
                raise
            text = str(exc).strip()
            _fail(f"{type(exc).__name__}: {text}" if text else type(exc).__name__)

    return wrapper


def _silence_stdout() -> None:
    """Point stdout at /dev/null so flushing it at exit does not raise again on the closed pipe."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # no real file descriptor (a test runner's stdout)
        pass


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            typer.echo(f"akhbar {version('akhbar')}")
        except PackageNotFoundError:  # run from a checkout that was never installed
            typer.echo("akhbar (not installed)")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """akhbar: ETL for scraped Arabic news."""


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


@app.command()
@clear_errors
def run(
    inputs: Annotated[
        list[str],
        typer.Option("--input", "-i", callback=_where_inputs, help="Landing file or folder (repeatable), or s3://..."),
    ],
    data_dir: DataDir = DEFAULT_DATA_DIR,
    batch_size: Annotated[
        int | None,
        typer.Option(min=100, max=50_000, help="Records per partition (default: AKHBAR_BATCH_SIZE, else 2000)."),
    ] = None,
    field: Annotated[
        list[str] | None, typer.Option("--field", help="JSON field override NAME=KEY, e.g. text=body_html.")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate but do not publish.")] = False,
    full_refresh: Annotated[
        bool, typer.Option("--full-refresh", help="Rebuild the warehouse from the landing area.")
    ] = False,
    since: Annotated[
        datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Only articles published on or after this date.")
    ] = None,
    until: Annotated[
        datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Only articles published on or before this date.")
    ] = None,
    outlet: Annotated[list[str] | None, typer.Option("--outlet", help="Only this outlet (repeatable).")] = None,
    dedup_threshold: Annotated[
        float,
        typer.Option(
            min=0.5,
            max=1.0,
            help=("Estimated body Jaccard at which a copy joins on the body alone (lower copies need the lead check)."),
        ),
    ] = 0.9,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Warnings and errors only: no progress, no info logs.")
    ] = False,
    log_level: Annotated[
        str | None,
        typer.Option(
            "--log-level",
            help="Level of the run's logs: DEBUG, INFO, WARNING or ERROR [default: INFO, WARNING with --quiet].",
        ),
    ] = None,
    progress: Annotated[
        bool | None,
        typer.Option("--progress/--no-progress", help="Progress bar on stderr [default: when stderr is a terminal]."),
    ] = None,
    summary_format: Annotated[
        str,
        typer.Option(
            "--summary",
            help="Closing summary: table, plain (key=value on one line) or auto (table on a terminal, else plain).",
        ),
    ] = "auto",
) -> None:
    """Run the nightly flow once over INPUTS; exit 0 on success, non-zero with a one-line reason."""
    missing = [str(p) for p in inputs if not p.exists()]
    if missing:  # fail before paying for Prefect's start-up
        _fail(f"input not found: {', '.join(missing)}", 2)
    level = (log_level or ("WARNING" if quiet else "INFO")).upper()
    if level not in LOG_LEVELS:
        _fail(f"--log-level wants one of {', '.join(LOG_LEVELS)}; got {log_level!r}", 2)
    if summary_format not in ("auto", "table", "plain"):
        _fail(f"--summary wants auto, table or plain; got {summary_format!r}", 2)
    from akhbar.settings import FieldMap

    overrides = {}
    for item in field or []:
        name, sep, key = item.partition("=")
        if not sep or not key or name not in FieldMap.model_fields:
            _fail(f"--field wants NAME=KEY with NAME one of {', '.join(FieldMap.model_fields)}; got {item!r}", 2)
        overrides[name] = key
    set_log_level(level)
    prepare_prefect_env(data_dir)  # the input check below imports Prefect, which reads its home at import
    files = _input_files(inputs)
    if not files:
        return
    from akhbar.settings import get_settings

    # its process starts while this one imports and sets up the run (a run on Dask needs a real server)
    api = None if get_settings().dask_address else start_temporary_api()
    from akhbar.flows.nightly import DaskSetupError, check_dask_setup, nightly, warm_up
    from akhbar.flows.params import RunParameters

    try:  # before Prefect starts a temporary API that Dask workers could not use
        check_dask_setup(get_settings())
    except DaskSetupError as exc:
        _fail(str(exc), 2)

    try:
        params = RunParameters(
            inputs=[str(p) for p in inputs],
            data_dir=str(data_dir),
            batch_size=batch_size,
            dry_run=dry_run,
            full_refresh=full_refresh,
            fields=overrides,
            since=since.date() if since else None,
            until=until.date() if until else None,
            outlets=outlet or [],
            dedup_threshold=dedup_threshold,
        )
    except ValueError as exc:
        _fail(f"bad parameters: {exc.errors()[0]['msg'] if hasattr(exc, 'errors') else exc}", 2)
    show_progress = (not quiet and sys.stderr.isatty()) if progress is None else progress
    started = time.perf_counter()
    try:
        warm_up(params, files)
        if api is not None:
            api.join()
        summary = _run_with_progress(nightly, params, show_progress)
    except Exception as exc:  # the flow run is already marked Failed in Prefect; say why in one line
        _fail(f"run failed: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
    _print_summary(summary, time.perf_counter() - started, summary_format)


def _input_files(inputs: list[Path]) -> list:
    """The files the inputs hold; none, with a warning, when they hold no file to read (an empty
    landing folder): nothing to run, which is no error, but no silence either."""
    from akhbar.tasks.read import discover_files

    files, skipped = discover_files(inputs)
    if files:
        return files
    why = f"; {len(skipped)} paths skipped (first: {skipped[0]['path']}: {skipped[0]['reason']})" if skipped else ""
    _warn(f"no input to read in {', '.join(map(str, inputs))}{why}: nothing run")
    return []


def _run_with_progress(nightly, params, show: bool) -> dict:
    from akhbar.flows import progress

    if not show:
        return nightly(params)
    from akhbar.display import ProgressBar

    with ProgressBar() as bar:
        progress.set_hook(bar)
        try:
            return nightly(params)
        finally:
            progress.set_hook(None)


def _print_summary(summary: dict, seconds: float, fmt: str) -> None:
    from akhbar import display

    if fmt == "table" or (fmt == "auto" and sys.stdout.isatty()):
        from rich.console import Console

        Console().print(display.summary_table(summary, seconds))
    else:
        typer.echo(display.plain_summary(summary))


def _connect(data_dir: Path, as_of: str | None = None):
    """A read-only connection to the warehouse (as it was when run `as_of` was published, if given),
    or a one-line reason why there is none."""
    import duckdb

    from akhbar.tasks.publish import connect_as_of, ensure_warehouse, lake_dir, warehouse_path
    from akhbar.tasks.storage import attach

    db = warehouse_path(data_dir)
    try:  # a moved or copied data dir, or views of another akhbar version: rebuilt here, beside any reader
        ensure_warehouse(data_dir)
    except (OSError, duckdb.Error) as exc:
        _warn(f"could not rebuild the views of {db} ({exc}); querying it as it is")
    if not db.exists():
        _fail(f"no warehouse at {db}: run `akhbar run` first (or give --data-dir / AKHBAR_DATA_DIR)")
    try:
        if as_of:
            return connect_as_of(data_dir, as_of)
        # a lake on object storage is read through its fsspec filesystem (tasks/storage.py)
        return attach(duckdb.connect(str(db), read_only=True), lake_dir(data_dir))
    except (duckdb.Error, ValueError) as exc:
        _fail(f"cannot open {db}: {exc}")


@app.command()
@clear_errors
def sql(
    query: Annotated[str, typer.Argument(help="SQL to run against the warehouse (read-only).")],
    data_dir: DataDir = DEFAULT_DATA_DIR,
    max_rows: Annotated[int, typer.Option(min=0, help="Rows to print at most (0: all).")] = 100,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            help="table, csv, json, markdown or line [default: table on a terminal, csv when piped].",
        ),
    ] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Query the warehouse as it was when this run id was published.")
    ] = None,
) -> None:
    """Print the result of QUERY."""
    import duckdb
    from rich.console import Console

    from akhbar import display

    fmt = fmt or ("table" if sys.stdout.isatty() else "csv")
    if fmt not in display.FORMATS:
        _fail(f"--format wants one of {', '.join(display.FORMATS)}; got {fmt!r}", 2)
    con = _connect(data_dir, as_of)
    try:
        cur = con.execute(query)
        if cur.description is None:  # a statement without a result (SET, PRAGMA ...)
            return
        rows = cur.fetchall() if max_rows == 0 else cur.fetchmany(max_rows + 1)
        columns = [d[0] for d in cur.description]
    except duckdb.Error as exc:
        # DuckDB's whole message: the "Did you mean" hints and the caret under the error are on later lines
        _fail(f"query failed: {exc}")
    finally:
        con.close()
    more = max_rows and len(rows) > max_rows
    display.render_rows(columns, rows[:max_rows] if more else rows, fmt, Console(soft_wrap=fmt != "table"))
    if more:
        _warn(f"only the first {max_rows} rows shown (--max-rows 0 prints all)")


SUMMARY_QUERIES = {
    "Articles per outlet": "SELECT * FROM outlet_summary",
    "Boilerplate removed per category": "SELECT * FROM boilerplate_summary",
    "Duplicates found": "SELECT method, count(*) AS duplicates FROM duplicates GROUP BY method ORDER BY method",
    "Quarantine": "SELECT stage, reason, count(*) AS records FROM quarantine GROUP BY stage, reason ORDER BY records DESC, stage",
    "Learned boilerplate (top 3 lines per outlet)": "SELECT outlet, rule, articles, left(text, 70) AS text FROM learned_lines WHERE rank <= 3",
    "Where every record went": "SELECT * FROM record_accounting",
}


@app.command()
@clear_errors
def summary(data_dir: DataDir = DEFAULT_DATA_DIR) -> None:
    """Print a short summary of the warehouse queried from DuckDB."""
    for title, q in SUMMARY_QUERIES.items():
        typer.echo(f"\n== {title}")
        sql(q, data_dir=data_dir, max_rows=40, fmt=None)


@app.command()
@clear_errors
def repair(data_dir: DataDir = DEFAULT_DATA_DIR) -> None:
    """Remove what an interrupted run left (staging, unpublished lake files, a refresh cut short) and
    rebuild the warehouse views. Waits for a run in progress, never runs beside it."""
    from akhbar.tasks.lock import RunLock, WarehouseLocked
    from akhbar.tasks.publish import build_views
    from akhbar.tasks.publish import repair as repair_lake

    try:
        with RunLock(data_dir, "repair", wait_seconds=600):
            removed = repair_lake(data_dir)
            build_views(data_dir)
    except WarehouseLocked as exc:
        _fail(str(exc))
    typer.echo(f"repaired {data_dir}: removed {len(removed)} leftovers; views rebuilt")


@app.command()
@clear_errors
def show(
    article_id: Annotated[str, typer.Argument(help="Article id (or its first characters).")],
    data_dir: DataDir = DEFAULT_DATA_DIR,
    color: Annotated[
        bool | None,
        typer.Option(
            "--color/--no-color",
            help="Mark spans with colour [default: on a terminal]; without, as [-text-]{rule category}.",
        ),
    ] = None,
) -> None:
    """Print an article's raw text with every span cleaning removed marked by its rule and category."""
    from rich.console import Console

    from akhbar.show import ShowError
    from akhbar.show import show as show_article

    con = _connect(data_dir)
    try:
        shown = show_article(con, article_id)
    except ShowError as exc:
        _fail(str(exc))
    finally:
        con.close()
    color = sys.stdout.isatty() if color is None else color
    _print_shown(shown, Console(soft_wrap=True, no_color=not color, highlight=False), color)


def _print_shown(shown, console, color: bool) -> None:
    from rich.text import Text

    a = shown.article
    console.print(Text(f"{a['article_id']}  {a['outlet'] or ''}  {a['published_at'] or ''}", style="bold"))
    console.print(Text(f"{a['title'] or ''}\n{a['source_uri']}\n"))
    if shown.raw is None:
        console.print(Text(f"raw text not available: {shown.raw_note}; the removed spans:\n", style="yellow"))
    else:
        console.print(_marked(shown.raw, shown.spans, color))
    located = sum(s.start is not None for s in shown.spans)
    console.print(Text(f"\n{len(shown.spans)} spans removed, {located} located in the raw text:", style="bold"))
    for i, span in enumerate(shown.spans, 1):
        where = f"at {span.start}-{span.end}" if span.start is not None else _unlocated(span)
        console.print(Text(f"{i:>3}. {span.rule} ({span.category}) {where}: {_short(span.text)}"))


def _marked(raw: str, spans, color: bool):
    """The raw text with each located span struck through and labelled (or bracketed, without colour)."""
    from rich.text import Text

    out, pos = Text(), 0
    for span in sorted((s for s in spans if s.start is not None), key=lambda s: s.start):
        out.append(raw[pos : span.start])
        if color:
            out.append(raw[span.start : span.end], style="strike red")
            out.append(f" [{span.rule} {span.category}]", style="bold magenta")
        else:
            out.append(f"[-{raw[span.start : span.end]}-]{{{span.rule} {span.category}}}")
        pos = span.end
    out.append(raw[pos:])
    return out


def _unlocated(span) -> str:
    if span.rule.startswith("html."):
        return "(removed from the page's markup, before its text)"
    return "(not found verbatim in the raw text)"


def _short(text: str, width: int = 80) -> str:
    one = " ".join(text.split())
    return one if len(one) <= width else one[: width - 1] + "…"


@app.command()
@clear_errors
def export(
    out: Annotated[Path, typer.Argument(help="File to write: .jsonl or .parquet.")],
    data_dir: DataDir = DEFAULT_DATA_DIR,
    fmt: Annotated[
        str | None, typer.Option("--format", "-f", help="jsonl or parquet [default: from OUT's extension].")
    ] = None,
) -> None:
    """Write one row per story (its canonical text, its members' ids and outlets) as JSON lines or
    Parquet, the schema in README "Export", loadable with Hugging Face `datasets`."""
    from akhbar import export as exporter

    _local(out, "the export file")
    fmt = fmt or exporter.FORMATS.get(out.suffix.lower())
    if fmt not in ("jsonl", "parquet"):
        _fail(f"cannot tell the format of {out}: name it .jsonl or .parquet, or give --format jsonl|parquet", 2)
    con = _connect(data_dir)
    try:
        rows = exporter.export(con, out, fmt)
    finally:
        con.close()
    typer.echo(f"wrote {rows} stories to {out}")


@app.command()
@clear_errors
def compact(
    data_dir: DataDir = DEFAULT_DATA_DIR,
    keep_runs: Annotated[int, typer.Option(min=0, help="Newest runs that keep their own files.")] = 0,
) -> None:
    """Merge each lake table's per-run files into one file (rows keep their run_id). Readers see the
    lake before or after, never a mix; waits for a run in progress."""
    from akhbar.tasks.compact import compact as compact_lake

    done = _maintain(data_dir, "compact", lambda: compact_lake(data_dir, keep_runs))
    typer.echo(
        f"compacted {data_dir}: {sum(done.files_before.values())} files -> {sum(done.files_after.values())}; "
        f"{len(done.merged)} runs merged"
    )


@app.command()
@clear_errors
def retain(
    keep_runs: Annotated[int, typer.Option("--keep-runs", min=1, help="Newest runs to keep; older runs are dropped.")],
    data_dir: DataDir = DEFAULT_DATA_DIR,
) -> None:
    """Drop whole runs older than the newest N from the lake (their rows in every table, in one swap)."""
    from akhbar.tasks.compact import retain as retain_runs

    done = _maintain(data_dir, "retain", lambda: retain_runs(data_dir, keep_runs))
    typer.echo(f"retained the newest {keep_runs} runs of {data_dir}: dropped {len(done.dropped)}")


def _maintain(data_dir: Path, name: str, step):
    """Run a lake maintenance step under the run lock, after repairing what an interrupted run left."""
    from akhbar.tasks.lock import RunLock, WarehouseLocked
    from akhbar.tasks.publish import ensure_warehouse, lake_dir
    from akhbar.tasks.publish import repair as repair_lake

    if not lake_dir(data_dir).exists():
        _fail(f"no lake at {lake_dir(data_dir)}: run `akhbar run` first")
    try:
        with RunLock(data_dir, name, wait_seconds=600):
            repair_lake(data_dir)
            done = step()
            ensure_warehouse(data_dir)
    except WarehouseLocked as exc:
        _fail(str(exc))
    return done


@app.command()
def serve(
    data_dir: Annotated[
        Path,
        typer.Option(
            "--data-dir",
            "-d",
            envvar="AKHBAR_DATA_DIR",
            callback=_local_dir,
            help="Data directory; the server keeps its database, logs and pids in DIR/serve/.",
        ),
    ] = DEFAULT_DATA_DIR,
    port: Annotated[
        int | None,
        typer.Option(
            min=1, max=65535, help="Port of the API and UI on 127.0.0.1 [default: AKHBAR_SERVE_PORT or 4200]."
        ),
    ] = None,
    timezone: Annotated[
        str | None, typer.Option(help="Time zone of the nightly 02:00 schedule [default: AKHBAR_TIMEZONE or UTC].")
    ] = None,
) -> None:
    """Start a local Prefect server, deploy prefect.yaml (nightly, reprocess), start a worker, print the UI address."""
    try:
        stack = local_server.start(data_dir, port=port, timezone=timezone, echo=typer.echo)
    except local_server.ServeError as exc:
        _fail(f"serve failed: {exc}\n(whatever did start keeps running: `akhbar stop --data-dir {data_dir}` stops it)")
    typer.echo(
        f"\nPrefect UI: {stack.ui_url}  (deployments: {stack.ui_url}/deployments)\n"
        f"Stop with `make stop` or `akhbar stop --data-dir {data_dir}`."
    )


@app.command()
def stop(
    data_dir: Annotated[
        Path,
        typer.Option(
            "--data-dir", "-d", envvar="AKHBAR_DATA_DIR", help="Data directory `akhbar serve` was started with."
        ),
    ] = DEFAULT_DATA_DIR,
) -> None:
    """Stop the worker (SIGINT) and then the server that `akhbar serve` started; nothing to stop is fine."""
    local_server.stop(data_dir, echo=typer.echo)


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
