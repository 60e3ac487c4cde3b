"""What the server tests share: a real Prefect server on a free loopback port, stopped even when the
test process dies before its finalizers run (a watchdog; test_serve.py starts its whole stack the same way), and the reference run
of the sample on the default runner and local disk that runs elsewhere must match. Both are made once
per session: the tests that use them are one xdist group, so they run in one process. Imported by
those tests (not a conftest.py: a second module named `conftest` would shadow tests/conftest.py for
every `from conftest import ...`). The reliability tests run their CLI runs against one server too
(`running_server`), instead of a temporary API started by every run."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

from akhbar import serve

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "samples" / "landing"
RUN_TIMEOUT = 300

# Server and worker run in sessions of their own and would outlive a test process killed before its
# finalizers run (a CI or tool timeout sends SIGTERM): a watchdog stops them when this process dies.
WATCHDOG = """
import sys, time
from akhbar import serve
parent, data = int(sys.argv[1]), sys.argv[2]
while serve._alive(parent):
    time.sleep(1)
serve.stop(data, timeout=30, echo=lambda _: None)
"""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((serve.HOST, 0))
        return s.getsockname()[1]


@contextmanager
def running(data: Path, start, **start_options):
    """`start` (serve.start_server: a Prefect server; serve.start: the whole stack) for `data` on a free
    port, stopped on the way out, whatever happens."""
    watchdog = subprocess.Popen(
        [sys.executable, "-c", WATCHDOG, str(os.getpid()), str(data)],
        cwd=REPO,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        yield start(data, port=free_port(), timeout=240, **start_options)
    finally:
        serve.stop(data, timeout=30)
        watchdog.kill()
        watchdog.wait()


def running_server(data: Path):
    return running(data, serve.start_server)


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory):
    """One Prefect server for the session's server tests (stack.api_url)."""
    with running_server(tmp_path_factory.mktemp("server")) as stack:
        yield stack


def _akhbar_run(inputs: str, data_dir: str, cwd: Path, **env: str) -> dict[str, str]:
    """`akhbar run` in a subprocess with `env` added (no Prefect API, Dask address, batch size or
    worker count from this environment); its summary line as a dict."""
    base = {**os.environ, "PYTHONPATH": str(REPO)}
    for name in ("PREFECT_API_URL", "AKHBAR_DASK_ADDRESS", "AKHBAR_BATCH_SIZE", "AKHBAR_WORKERS"):
        base.pop(name, None)
    done = subprocess.run(
        [sys.executable, "-m", "akhbar.cli", "run", "--input", inputs, "--data-dir", data_dir, "--summary", "plain"],
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        env={**base, **env},
        cwd=cwd,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return dict(item.split("=", 1) for item in done.stdout.strip().splitlines()[-1].split() if "=" in item)


@pytest.fixture(scope="session")
def reference_run(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """The sample run once on the default runner (a temporary API) into a local data dir: the data
    dir and the run's summary."""
    folder = tmp_path_factory.mktemp("reference")
    return folder, _akhbar_run(str(SAMPLES), str(folder), folder.parent)


@pytest.fixture(scope="session")
def akhbar_run():
    """`akhbar_run(inputs, data_dir, cwd, **env)`: a run in a subprocess, its summary as a dict."""
    return _akhbar_run
