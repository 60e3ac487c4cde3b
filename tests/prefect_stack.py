"""What the server tests share: a real Prefect server on a free loopback port, stopped even when the
test process dies before its finalizers run (a watchdog; test_serve.py starts its whole stack the same way), and the reference run
of the sample on the default runner and local disk that runs elsewhere must match. The session
fixtures over them (`prefect_server`, `reference_run`, `akhbar_run`) are in tests/conftest.py, so each
is made once a session (imported into each test module, a session fixture is made once per module; and
a second conftest.py would shadow tests/conftest.py for every `from conftest import ...`). The tests
that use them are one xdist group, so they run in one process. The reliability tests run their CLI runs against one server too
(`running_server`), instead of a temporary API started by every run."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

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


def run_akhbar(inputs: str, data_dir: str, cwd: Path, **env: str) -> dict[str, str]:
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
