"""One writer at a time: a second run on the same data dir stops at once naming the holder, or
waits for it; a lock whose holder died is free."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from akhbar.tasks.lock import RunLock, WarehouseLocked

HOLD = """
import sys, time
sys.path.insert(0, {repo!r})
from akhbar.tasks.lock import RunLock
with RunLock({data!r}, "holder-run"):
    print("held", flush=True)
    time.sleep(float(sys.argv[1]))
"""


def hold(tmp_path, seconds: float) -> subprocess.Popen:
    from conftest import REPO

    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD.format(repo=str(REPO), data=str(tmp_path)), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_a_second_writer_stops_at_once_naming_the_holder(tmp_path):
    proc = hold(tmp_path, 30)
    try:
        with pytest.raises(WarehouseLocked, match=r"run holder-run \(pid \d+ on .+, since .+\)"):
            with RunLock(tmp_path, "second"):
                pass
    finally:
        proc.kill()
        proc.wait()


def test_a_writer_waits_for_the_holder_then_runs(tmp_path):
    proc = hold(tmp_path, 1.5)
    started = time.monotonic()
    with RunLock(tmp_path, "second", wait_seconds=30, poll=0.1):
        waited = time.monotonic() - started
    proc.wait()
    assert waited > 0.5


def test_the_lock_of_a_killed_holder_is_free(tmp_path):
    proc = hold(tmp_path, 60)
    proc.kill()
    proc.wait()
    with RunLock(tmp_path, "after-the-kill") as lock:
        assert '"run_id": "after-the-kill"' in lock.path.read_text()
