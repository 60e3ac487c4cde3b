"""Process environment for Prefect, set before Prefect is imported: no telemetry, and a
PREFECT_HOME inside the data dir unless the user points at a server or a home of their own."""

from __future__ import annotations

import os
import threading
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


def start_temporary_api() -> threading.Thread | None:
    """Start Prefect's temporary API in a thread, when no server is configured (and temporary ones are
    allowed), so that its process starts (imports, its database: ~10 s) while this one imports and sets
    up its own stages; the flow's client finds it running (Prefect keeps one per process). Join the
    thread before the flow. None when there is nothing to start."""
    from prefect.settings import get_current_settings

    current = get_current_settings()
    if current.api.url or not current.server.ephemeral.enabled:
        return None
    from prefect.server.api.server import SubprocessASGIServer

    def start() -> None:
        try:
            SubprocessASGIServer().start()
        except Exception:  # noqa: S110 - the flow's client starts it again, and reports why it fails
            pass

    thread = threading.Thread(target=start, name="prefect-temporary-api", daemon=True)
    thread.start()
    return thread
