"""Process environment for Prefect, set before Prefect is imported: no telemetry, and a
PREFECT_HOME inside the data dir unless the user points at a server or a home of their own."""

from __future__ import annotations

import os
from pathlib import Path


def set_log_level(level: str) -> None:
    """The CLI's --log-level/--quiet, set before anything imports Prefect: its loggers (flow and task
    runs, its own) read PREFECT_LOGGING_LEVEL once, at import."""
    import logging

    os.environ["PREFECT_LOGGING_LEVEL"] = level
    logging.getLogger("great_expectations").setLevel(max(logging.WARNING, logging.getLevelName(level)))


def prepare_prefect_env(data_dir: str | Path) -> None:
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    from akhbar.tasks.storage import state_dir

    os.environ.setdefault("PREFECT_HOME", str(state_dir(data_dir) / ".prefect"))  # local, also for s3:// data dirs
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
    Path(os.environ["PREFECT_HOME"]).mkdir(parents=True, exist_ok=True)
