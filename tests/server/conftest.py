"""What the server tests share: a real Prefect server on a free loopback port, stopped even when the
test process dies before its finalizers run (a watchdog, as in test_serve.py)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

from akhbar import serve

REPO = Path(__file__).resolve().parents[2]

# The server runs in a session of its own and would outlive a test process killed before its
# finalizers run: a watchdog stops it when this process dies.
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
def _running_server(data: Path):
    watchdog = subprocess.Popen(
        [sys.executable, "-c", WATCHDOG, str(os.getpid()), str(data)],
        cwd=REPO,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        yield serve.start_server(data, port=free_port(), timeout=240)
    finally:
        serve.stop(data, timeout=30)
        watchdog.kill()
        watchdog.wait()


@pytest.fixture
def running_server():
    """`with running_server(folder) as stack:` a Prefect server (stack.api_url) for the block's time."""
    return _running_server
