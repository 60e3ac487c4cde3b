"""What the CLI shows people: the run's progress bar, its closing summary, query results in the
format asked for. Drawing is rich's (installed with typer); this module only decides what to draw."""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

FORMATS = ("table", "csv", "json", "markdown", "line")


class _RecordsPerSecond(ProgressColumn):
    def render(self, task) -> Text:
        rate = task.fields.get("rate")
        return Text(f"{rate:,.0f} records/s" if rate else "", style="progress.data.speed")


class ProgressBar:
    """flows/progress.py's hook as a rich progress bar on stderr: the step running, partition steps
    done of total, records/s over the partition passes, time left at that pace."""

    def __init__(self, console: Console | None = None) -> None:
        self.progress = Progress(
            TextColumn("[bold]{task.description:<18}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("partition steps"),
            _RecordsPerSecond(),
            TimeRemainingColumn(),
            TimeElapsedColumn(),
            console=console or Console(stderr=True),
            transient=False,
        )
        self.task = self.progress.add_task("start", total=None, rate=0.0)
        self.records = 0
        self.started: float | None = None

    def __enter__(self) -> ProgressBar:
        self.progress.start()
        self._swapped = _route_logs(self.progress.console)
        return self

    def __exit__(self, *exc) -> None:
        for handler, console in self._swapped:
            handler.console = console
        self.progress.stop()

    def stage(self, name: str) -> None:
        self.progress.update(self.task, description=name)

    def partitions(self, steps: int, records: int) -> None:
        self.progress.update(self.task, description="clean (2 passes)", total=max(steps, 1), completed=0)
        self.records, self.started = 0, time.perf_counter()

    def advance(self, records: int) -> None:
        self.records += records
        rate = self.records / max(time.perf_counter() - (self.started or time.perf_counter()), 1e-6)
        self.progress.update(self.task, advance=1, rate=rate)


def _route_logs(console: Console) -> list[tuple]:
    """Prefect's console log handlers print through `console` while the bar is drawn, so each log
    line lands above the bar instead of being glued to it (they hold the stderr of their set-up,
    which the bar's redirection cannot reach). Returns (handler, its own console) to put back."""
    import logging

    swapped = []
    for name in ("prefect", "prefect.flow_runs", "prefect.task_runs", ""):
        for handler in logging.getLogger(name).handlers:
            own = getattr(handler, "console", None)
            if isinstance(own, Console) and own is not console:
                swapped.append((handler, own))
                handler.console = console
    return swapped


# The closing summary: (counter, label), in the order a reader follows a record.
SUMMARY_ROWS = (
    ("files", "landing files read"),
    ("paths_skipped", "paths skipped"),
    ("records_read", "records read"),
    ("already_in_warehouse", "already in the warehouse"),
    ("outside_scope", "outside the run's scope"),
    ("articles_clean", "articles published"),
    ("duplicates_exact", "exact copies"),
    ("duplicates_near", "near copies"),
    ("stories", "stories"),
    ("canonical_changes", "canonical changes"),
    ("quarantined", "quarantined"),
    ("boilerplate_spans", "boilerplate spans removed"),
)


def summary_table(summary: dict, seconds: float) -> Table:
    """The run's counts, its pace and where its reports are."""
    table = Table(title=f"run {summary.get('run_id', '')}", show_header=False, title_justify="left")
    table.add_column(style="bold", no_wrap=True)
    table.add_column(justify="right", overflow="fold")  # a long path folds, never loses its end
    for key, label in SUMMARY_ROWS:
        if key in summary:
            table.add_row(label, f"{summary[key]:,}" if isinstance(summary[key], int) else str(summary[key]))
    table.add_row("time", f"{seconds:,.1f} s")
    read = summary.get("records_read") or 0
    if read and seconds > 0:
        table.add_row("records/s (whole run)", f"{read / seconds:,.1f}")
    if summary.get("data_docs"):
        table.add_row("data docs", str(summary["data_docs"]))
    return table


def plain_summary(summary: dict) -> str:
    """key=value on one line: what scripts parse (bench/run.py, the e2e tests)."""
    return " ".join(f"{k}={v}" for k, v in summary.items())


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def render_rows(columns: Sequence[str], rows: Sequence[tuple], fmt: str, console: Console) -> None:
    """Print query results as `fmt` (one of FORMATS). Only `table` wraps, and at word boundaries
    (Arabic text stays whole words); the others print every value whole, for pipes and files."""
    if fmt == "table":
        table = Table(show_lines=False)
        for i, c in enumerate(columns):
            numeric = all(isinstance(r[i], (int, float)) for r in rows if r[i] is not None)
            table.add_column(c, overflow="fold", justify="right" if numeric and rows else "left")
        for r in rows:
            table.add_row(*(_cell(v) for v in r))
        console.print(table)
    elif fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([[_cell(v) for v in r] for r in rows])
        console.out(buf.getvalue(), end="", highlight=False)
    elif fmt == "json":
        data = [dict(zip(columns, r)) for r in rows]
        console.out(json.dumps(data, ensure_ascii=False, indent=2, default=str), highlight=False)
    elif fmt == "markdown":
        lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
        for r in rows:
            cells = (_cell(v).replace("|", "\\|").replace("\n", "<br>") for v in r)
            lines.append("| " + " | ".join(cells) + " |")
        console.out("\n".join(lines), highlight=False)
    elif fmt == "line":  # sqlite's .mode line: one `column = value` per line, a blank line between rows
        width = max((len(c) for c in columns), default=0)
        blocks = ["\n".join(f"{c.rjust(width)} = {_cell(v)}" for c, v in zip(columns, r)) for r in rows]
        console.out("\n\n".join(blocks), highlight=False)
    else:
        raise ValueError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
