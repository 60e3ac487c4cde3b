"""Shared test set-up: Prefect runs against one session-wide test harness per worker, with its
home in a temp dir and telemetry off; paths to the shared seeds and corpus."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="akhbar-prefect-home-"))

import pytest  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
SEEDS = SHARED / "seeds"
CORPUS = SHARED / "corpora" / "ant-2018.jsonl.gz"
SAMPLES = REPO / "samples" / "landing"


def seed_path(prefix: str) -> Path:
    return next(SEEDS.glob(f"{prefix}_*.txt"))


@pytest.fixture(scope="session")
def prefect_harness():
    """One ephemeral Prefect API for the whole session (start-up costs ~10-15 s)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=90):
        yield


def need(path: Path) -> Path:
    if not path.exists():
        pytest.fail(f"missing shared material: {path} (tests expect ../shared beside the repo)")
    return path
