"""`akhbar` command line: run the nightly flow once, query the warehouse, print a run summary."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from akhbar import serve as local_server
from akhbar.env import prepare_prefect_env

app = typer.Typer(add_completion=False, no_args_is_help=True, help="akhbar: ETL for scraped Arabic news.")

DataDir = Annotated[Path, typer.Option("--data-dir", "-d", help="Warehouse directory (lake/, warehouse.duckdb).")]


def _fail(message: str, code: int = 1) -> None:
    typer.echo(f"akhbar: {message}", err=True)
    raise typer.Exit(code)


@app.command()
def run(
    inputs: Annotated[list[Path], typer.Option("--input", "-i", help="Landing file or folder (repeatable).")],
    data_dir: DataDir = Path("data"),
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
) -> None:
    """Run the nightly flow once over INPUTS; exit 0 on success, non-zero with a one-line reason."""
    missing = [str(p) for p in inputs if not p.exists()]
    if missing:  # fail before paying for Prefect's start-up
        _fail(f"input not found: {', '.join(missing)}", 2)
    prepare_prefect_env(data_dir)
    from akhbar.settings import FieldMap

    overrides = {}
    for item in field or []:
        name, sep, key = item.partition("=")
        if not sep or not key or name not in FieldMap.model_fields:
            _fail(f"--field wants NAME=KEY with NAME one of {', '.join(FieldMap.model_fields)}; got {item!r}", 2)
        overrides[name] = key
    from akhbar.settings import get_settings
    from flows.nightly import DaskSetupError, check_dask_setup, nightly
    from flows.params import RunParameters

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
    try:
        summary = nightly(params)
    except Exception as exc:  # the flow run is already marked Failed in Prefect; say why in one line
        _fail(f"run failed: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
    typer.echo(" ".join(f"{k}={v}" for k, v in summary.items()))


@app.command()
def sql(
    query: Annotated[str, typer.Argument(help="SQL to run against the warehouse (read-only).")],
    data_dir: DataDir = Path("data"),
    max_rows: Annotated[int, typer.Option(help="Rows to print at most.")] = 100,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Query the warehouse as it was when this run id was published.")
    ] = None,
) -> None:
    """Print the result of QUERY as a table."""
    import duckdb

    from tasks.publish import connect_as_of, ensure_warehouse, warehouse_path

    db = warehouse_path(data_dir)
    try:  # a moved or copied data dir, or views of another akhbar version: rebuilt here, beside any reader
        ensure_warehouse(data_dir)
    except (OSError, duckdb.Error) as exc:
        typer.echo(f"akhbar: warning: could not rebuild the views of {db} ({exc}); querying it as it is", err=True)
    if not db.exists():
        _fail(f"no warehouse at {db}: run `akhbar run` first")
    try:
        con = connect_as_of(data_dir, as_of) if as_of else duckdb.connect(str(db), read_only=True)
    except (duckdb.Error, ValueError) as exc:
        _fail(f"cannot open {db}: {exc}")
    try:
        rel = con.sql(query)
        if rel is None:
            return
        rel.show(max_rows=max_rows, max_width=200)
    except duckdb.Error as exc:
        _fail(f"query failed: {str(exc).splitlines()[0]}")
    finally:
        con.close()


SUMMARY_QUERIES = {
    "Articles per outlet": "SELECT * FROM outlet_summary",
    "Boilerplate removed per category": "SELECT * FROM boilerplate_summary",
    "Duplicates found": "SELECT method, count(*) AS duplicates FROM duplicates GROUP BY method ORDER BY method",
    "Quarantine": "SELECT stage, reason, count(*) AS records FROM quarantine GROUP BY stage, reason ORDER BY records DESC, stage",
    "Learned boilerplate (top 3 lines per outlet)": "SELECT outlet, rule, articles, left(text, 70) AS text FROM learned_lines WHERE rank <= 3",
    "Where every record went": "SELECT * FROM record_accounting",
}


@app.command()
def summary(data_dir: DataDir = Path("data")) -> None:
    """Print a short summary of the warehouse queried from DuckDB."""
    for title, q in SUMMARY_QUERIES.items():
        typer.echo(f"\n== {title}")
        sql(q, data_dir=data_dir, max_rows=40)


@app.command()
def repair(data_dir: DataDir = Path("data")) -> None:
    """Remove what an interrupted run left (staging, unpublished lake files, a refresh cut short) and
    rebuild the warehouse views. Waits for a run in progress, never runs beside it."""
    from tasks.lock import RunLock, WarehouseLocked
    from tasks.publish import build_views
    from tasks.publish import repair as repair_lake

    try:
        with RunLock(data_dir, "repair", wait_seconds=600):
            removed = repair_lake(data_dir)
            build_views(data_dir)
    except WarehouseLocked as exc:
        _fail(str(exc))
    typer.echo(f"repaired {data_dir}: removed {len(removed)} leftovers; views rebuilt")


@app.command()
def compact(
    data_dir: DataDir = Path("data"),
    keep_runs: Annotated[int, typer.Option(min=0, help="Newest runs that keep their own files.")] = 0,
) -> None:
    """Merge each lake table's per-run files into one file (rows keep their run_id). Readers see the
    lake before or after, never a mix; waits for a run in progress."""
    from tasks.compact import compact as compact_lake

    done = _maintain(data_dir, "compact", lambda: compact_lake(data_dir, keep_runs))
    typer.echo(
        f"compacted {data_dir}: {sum(done.files_before.values())} files -> {sum(done.files_after.values())}; "
        f"{len(done.merged)} runs merged"
    )


@app.command()
def retain(
    keep_runs: Annotated[int, typer.Option("--keep-runs", min=1, help="Newest runs to keep; older runs are dropped.")],
    data_dir: DataDir = Path("data"),
) -> None:
    """Drop whole runs older than the newest N from the lake (their rows in every table, in one swap)."""
    from tasks.compact import retain as retain_runs

    done = _maintain(data_dir, "retain", lambda: retain_runs(data_dir, keep_runs))
    typer.echo(f"retained the newest {keep_runs} runs of {data_dir}: dropped {len(done.dropped)}")


def _maintain(data_dir: Path, name: str, step):
    """Run a lake maintenance step under the run lock, after repairing what an interrupted run left."""
    from tasks.lock import RunLock, WarehouseLocked
    from tasks.publish import ensure_warehouse, lake_dir
    from tasks.publish import repair as repair_lake

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
            "--data-dir", "-d", help="Data directory; the server keeps its database, logs and pids in DIR/serve/."
        ),
    ] = Path("data/nightly"),
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
        Path, typer.Option("--data-dir", "-d", help="Data directory `akhbar serve` was started with.")
    ] = Path("data/nightly"),
) -> None:
    """Stop the worker (SIGINT) and then the server that `akhbar serve` started; nothing to stop is fine."""
    local_server.stop(data_dir, echo=typer.echo)


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
