"""How `akhbar serve/stop` recognise their processes. Popen returns once the child has closed its
CLOEXEC pipe during exec, a moment before the kernel maps the new program's arguments: read then,
/proc/<pid>/cmdline is empty. `start` once took that for a dead worker (CI failure of 2026-11-22)."""

from __future__ import annotations

import signal
import subprocess
import sys

from akhbar import serve

SLEEPER = "import time; time.sleep(30)"


def test_a_just_started_process_is_recognised_by_its_command_line():
    for _ in range(60):  # the empty read happened ~1 time in 15 here
        proc = subprocess.Popen([sys.executable, "-c", SLEEPER, "prefect", "worker", "start"], start_new_session=True)
        try:
            assert serve._is_command(proc.pid, serve.COMMANDS["worker"])
            assert not serve._is_command(proc.pid, serve.COMMANDS["server"])
        finally:
            proc.kill()
            proc.wait()


def test_a_spawned_worker_is_found_by_its_pid_file_and_its_end_is_described(tmp_path):
    stack = serve.Stack(tmp_path)
    stack.serve_dir.mkdir()
    pid = serve._spawn(stack, "worker", [sys.executable, "-c", SLEEPER, "prefect", "worker", "start"], env={})
    assert stack.pid("worker") == pid
    assert serve._how_it_ended(pid) == "exit status unknown"  # still running
    serve._signal(pid, signal.SIGTERM)
    serve._CHILDREN[pid].wait(timeout=10)
    assert stack.pid("worker") is None and not stack.pid_file("worker").exists()
    assert serve._how_it_ended(pid) == "killed by SIGTERM"


def test_exit_code_of_a_spawned_process_is_reported(tmp_path):
    stack = serve.Stack(tmp_path)
    stack.serve_dir.mkdir()
    pid = serve._spawn(stack, "server", [sys.executable, "-c", "import sys; print('no port'); sys.exit(3)"], env={})
    serve._CHILDREN[pid].wait(timeout=30)
    assert serve._how_it_ended(pid) == "exit code 3"
    assert "no port" in stack.log_file("server").read_text()


def test_sigint_ignored_by_the_caller_is_reset_for_the_child(tmp_path):
    """A shell's background job ignores SIGINT; the worker must still stop on the SIGINT `stop` sends."""
    stack = serve.Stack(tmp_path)
    stack.serve_dir.mkdir()
    probe = "import signal, sys; print(signal.getsignal(signal.SIGINT) is signal.default_int_handler)"
    before = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        pid = serve._spawn(stack, "worker", [sys.executable, "-c", probe], env={})
    finally:
        signal.signal(signal.SIGINT, before)
    serve._CHILDREN[pid].wait(timeout=30)
    assert stack.log_file("worker").read_text().splitlines()[-1] == "True"
