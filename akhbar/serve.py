"""akhbar on a local Prefect server: `akhbar serve` starts `prefect server start` on 127.0.0.1, creates
the process work pool, deploys everything in prefect.yaml and starts a worker; `akhbar stop` stops
the worker (SIGINT) and then the server. Everything they write lives in `<data-dir>/serve/`:

    serve/home/                PREFECT_HOME of the server, the deploy and the worker (prefect.db)
    serve/server.pid, .log     `prefect server start`; serve/port: the port it listens on
    serve/worker.pid, .log     `prefect worker start --pool akhbar-process`
    serve/deploy.log           the last `prefect deploy --all` (work-pool.log: the pool's creation)

Both processes run in sessions of their own, so closing the terminal does not stop them, and `stop`
can find what they left (a flow run the worker started) by process group.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_DIR = Path(__file__).resolve().parent.parent  # holds prefect.yaml; flow runs start here
WORK_POOL = "akhbar-process"
HOST = "127.0.0.1"
PREFECT = [sys.executable, "-m", "prefect"]
# What a process must have on its command line to be the one a pid file names (pids get reused).
COMMANDS = {"server": ("prefect", "server", "start"), "worker": ("prefect", "worker", "start")}

Echo = Callable[[str], None]


class ServeError(RuntimeError):
    """The server, the deploy or the worker could not be started."""


class ServeSettings(BaseSettings):
    """Where the local server listens and in which time zone the nightly schedule fires."""

    model_config = SettingsConfigDict(env_prefix="AKHBAR_", extra="ignore")

    serve_port: int = Field(default=4200, ge=1, le=65535)
    timezone: str = "UTC"


@dataclass(frozen=True)
class Stack:
    """The local server, its worker and where they keep their state."""

    data_dir: Path
    port: int = 0  # 0: not known (stop needs only the pid files)

    @property
    def serve_dir(self) -> Path:
        return self.data_dir / "serve"

    @property
    def port_file(self) -> Path:
        return self.serve_dir / "port"

    @property
    def ui_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.ui_url}/api"

    def recorded_port(self) -> int | None:
        """The port the server started for this directory listens on."""
        try:
            return int(self.port_file.read_text())
        except (OSError, ValueError):
            return None

    def pid_file(self, name: str) -> Path:
        return self.serve_dir / f"{name}.pid"

    def log_file(self, name: str) -> Path:
        return self.serve_dir / f"{name}.log"

    def pid(self, name: str) -> int | None:
        """Pid of the live `name` process this directory started, else None (stale files are removed)."""
        path = self.pid_file(name)
        try:
            pid = int(path.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None
        # one this process started is known by its Popen; another by its command line
        if _alive(pid) and (pid in _CHILDREN or _is_command(pid, COMMANDS[name])):
            return pid
        path.unlink(missing_ok=True)
        return None


def start(
    data_dir: str | Path,
    port: int | None = None,
    timezone: str | None = None,
    extra_env: dict[str, str] | None = None,
    timeout: float = 180,
    echo: Echo = print,
) -> Stack:
    """Start (or reuse) the server and worker for `data_dir` and deploy prefect.yaml; return when the
    worker is polling the pool. Raises ServeError, with the tail of the failing log, on failure."""
    settings = ServeSettings()
    timezone = timezone or settings.timezone
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ServeError(
            f"unknown time zone {timezone!r} (AKHBAR_TIMEZONE wants an IANA name such as UTC or Asia/Riyadh)"
        ) from None
    deadline = time.monotonic() + timeout
    stack, env = _start_server(data_dir, port or settings.serve_port, timezone, extra_env, deadline, echo)

    if _api(stack, "GET", f"/work_pools/{WORK_POOL}") is None:
        _prefect(stack, ["work-pool", "create", WORK_POOL, "--type", "process"], env, "work-pool")
    echo(f"deploying {PROJECT_DIR / 'prefect.yaml'} (nightly schedule in {timezone})")
    _prefect(stack, ["--no-prompt", "deploy", "--all"], env, "deploy")

    if stack.pid("worker") is None:
        since = time.time()
        echo(f"starting a worker on the {WORK_POOL} pool (log: {stack.log_file('worker')})")
        pid = _spawn(
            stack,
            "worker",
            [*PREFECT, "worker", "start", "--pool", WORK_POOL, "--type", "process"],
            {**env, "AKHBAR_PROJECT_DIR": str(PROJECT_DIR)},
        )  # prefect.yaml's pull step: runs start in the checkout
        _wait_worker(stack, pid, since, deadline)
    else:
        echo("the worker is already running")
    return stack


def start_server(
    data_dir: str | Path,
    port: int | None = None,
    extra_env: dict[str, str] | None = None,
    timeout: float = 180,
    echo: Echo = print,
) -> Stack:
    """Start (or reuse) only the Prefect server for `data_dir` (no deploy, no worker): an API for runs
    started elsewhere, such as a run whose partitions go to a Dask cluster. `stop` stops it."""
    settings = ServeSettings()
    deadline = time.monotonic() + timeout
    return _start_server(data_dir, port or settings.serve_port, settings.timezone, extra_env, deadline, echo)[0]


def _start_server(
    data_dir: str | Path,
    port: int,
    timezone: str,
    extra_env: dict[str, str] | None,
    deadline: float,
    echo: Echo,
) -> tuple[Stack, dict[str, str]]:
    """The server for `data_dir`, healthy (started, or the running one on the port it was started
    with), and the environment the processes that talk to it get."""
    stack = Stack(Path(data_dir).resolve(), port)
    running = stack.pid("server") is not None
    if running:  # reuse it, on the port it was started with
        stack = Stack(stack.data_dir, stack.recorded_port() or stack.port)
    stack.serve_dir.mkdir(parents=True, exist_ok=True)
    env = _environment(stack, timezone, extra_env)

    if running:
        echo(f"the Prefect server is already running on {stack.ui_url}")
    else:
        if not _port_free(stack.port):
            raise ServeError(f"port {stack.port} on {HOST} is in use: stop what listens there or set AKHBAR_SERVE_PORT")
        echo(f"starting the Prefect server on {stack.ui_url} (log: {stack.log_file('server')})")
        server = _spawn(stack, "server", [*PREFECT, "server", "start", "--host", HOST, "--port", str(stack.port)], env)
        stack.port_file.write_text(f"{stack.port}\n")
    _wait_healthy(stack, server if not running else stack.pid("server"), deadline)
    return stack, env


def stop(data_dir: str | Path, timeout: float = 60, echo: Echo = print) -> None:
    """Stop the worker (SIGINT, as Ctrl-C would: it stops taking runs and exits), then the server
    (SIGTERM: uvicorn shuts down gracefully). A process that outlives `timeout` is killed; what a
    process leaves in its group (a flow run the worker started) is terminated too. Idempotent."""
    stack = Stack(Path(data_dir).resolve())
    for name, first in (("worker", signal.SIGINT), ("server", signal.SIGTERM)):
        pid = stack.pid(name)
        if pid is None:
            echo(f"{name}: not running")
            continue
        _terminate(
            [pid], first, timeout, on_kill=lambda: echo(f"{name}: still running after {timeout:.0f} s, killing it")
        )
        _stop_group(pid, timeout)
        stack.pid_file(name).unlink(missing_ok=True)
        echo(f"{name}: stopped (pid {pid})")


def _environment(stack: Stack, timezone: str, extra_env: dict[str, str] | None) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DO_NOT_TRACK": "1",
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "GX_ANALYTICS_ENABLED": "false",
            "PREFECT_HOME": str(stack.serve_dir / "home"),
            "PREFECT_API_URL": stack.api_url,
            "PREFECT_UI_URL": stack.ui_url,
            "AKHBAR_TIMEZONE": timezone,  # prefect.yaml's nightly schedule, read by `prefect deploy`
            **(extra_env or {}),
        }
    )
    # Only the worker gets it (see start): set at deploy time, `prefect deploy` would bake the path
    # into the deployment instead of leaving the placeholder for the worker's environment.
    env.pop("AKHBAR_PROJECT_DIR", None)
    return env


def _spawn(stack: Stack, name: str, cmd: list[str], env: dict[str, str]) -> int:
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        # A shell's background job inherits SIGINT ignored, and the worker would then ignore the
        # SIGINT that `stop` sends. Dispositions set to default survive exec, so a tiny Python resets
        # it and execs the command (a preexec_fn would run Python between fork and exec in a process
        # with threads, which the subprocess docs warn can deadlock).
        cmd = [cmd[0], "-c", _RESET_SIGINT_AND_EXEC, *cmd[1:]]
    with open(stack.log_file(name), "ab") as log:
        log.write(
            f"\n==> {time.strftime('%Y-%m-%d %H:%M:%S')} {' '.join(a for a in cmd[1:] if a != _RESET_SIGINT_AND_EXEC)}\n".encode()
        )
        log.flush()
        proc = subprocess.Popen(
            cmd,
            cwd=PROJECT_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    _CHILDREN[proc.pid] = proc
    stack.pid_file(name).write_text(f"{proc.pid}\n")
    return proc.pid


_RESET_SIGINT_AND_EXEC = (
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
    "os.execv(sys.executable, [sys.executable, *sys.argv[1:]])"
)
# Processes this process started: their exit status is known here (and reaped) once they end.
_CHILDREN: dict[int, subprocess.Popen] = {}


def _how_it_ended(pid: int | None) -> str:
    """'exit code 1', 'killed by SIGTERM' for a process this process started and that has ended."""
    proc = _CHILDREN.get(pid) if pid is not None else None
    if proc is None or proc.poll() is None:
        return "exit status unknown"
    if proc.returncode < 0:
        try:
            return f"killed by {signal.Signals(-proc.returncode).name}"
        except ValueError:
            return f"killed by signal {-proc.returncode}"
    return f"exit code {proc.returncode}"


def _prefect(stack: Stack, args: list[str], env: dict[str, str], log_name: str) -> None:
    log = stack.log_file(log_name)
    with open(log, "wb") as out:
        done = subprocess.run(
            [*PREFECT, *args],
            cwd=PROJECT_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=300,
        )
    if done.returncode:
        raise ServeError(f"`prefect {' '.join(args)}` failed (exit {done.returncode}):\n{_tail(log)}")


def _api(stack: Stack, method: str, path: str, body: dict | None = None):
    """JSON from the server's REST API; None on 404."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(
        stack.api_url + path, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return None
        raise


def _wait_healthy(stack: Stack, pid: int | None, deadline: float) -> None:
    while time.monotonic() < deadline:
        if pid is None or not _alive(pid):
            raise ServeError(
                f"the Prefect server exited during start-up ({_how_it_ended(pid)}):\n{_tail(stack.log_file('server'))}"
            )
        try:
            if _api(stack, "GET", "/health") is True:
                return
        except (OSError, urllib.error.URLError, ValueError):
            pass
        time.sleep(0.5)
    raise ServeError(
        f"the Prefect server on {stack.ui_url} was not healthy in time:\n{_tail(stack.log_file('server'))}"
    )


def _wait_worker(stack: Stack, pid: int, since: float, deadline: float) -> None:
    """Until a worker has sent a heartbeat to the pool after `since` (then it is polling for runs)."""
    from datetime import datetime

    while time.monotonic() < deadline:
        if not _alive(pid):
            raise ServeError(
                f"the worker exited during start-up ({_how_it_ended(pid)}):\n{_tail(stack.log_file('worker'))}"
            )
        workers = _api(stack, "POST", f"/work_pools/{WORK_POOL}/workers/filter", {}) or []
        for w in workers:
            beat = w.get("last_heartbeat_time")
            if w.get("status") == "ONLINE" and beat and datetime.fromisoformat(beat).timestamp() >= since - 1:
                return
        time.sleep(0.5)
    raise ServeError(f"the worker did not come online in time:\n{_tail(stack.log_file('worker'))}")


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((HOST, port))
        except OSError:
            return False
    return True


def _proc_stat(pid: int) -> list[str] | None:
    """Fields of /proc/<pid>/stat after the command name: [state, ppid, pgrp, ...]."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw[raw.rfind(")") + 2 :].split()


def _alive(pid: int) -> bool:
    if pid in _CHILDREN:
        return _CHILDREN[pid].poll() is None
    stat = _proc_stat(pid)
    if stat is None or stat[0] == "X":
        return False
    if stat[0] == "Z":  # exited; reap it if it is our own child (when start and stop share a process)
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        return False
    return True


def _is_command(pid: int, words: tuple[str, ...]) -> bool:
    # A process in the middle of exec shows an empty command line for a moment (the kernel closes
    # the CLOEXEC pipe Popen waits on before the new program's arguments are mapped): look again.
    for _ in range(50):
        try:
            raw = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return False
        if raw:
            break
        time.sleep(0.02)
    argv = raw.decode(errors="replace").split("\0")
    return all(any(w == a or a.endswith("/" + w) for a in argv) for w in words)


def _group(pgid: int) -> list[int]:
    """Live processes of process group `pgid`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _proc_stat(int(entry.name))
            if stat and stat[0] not in "ZX" and int(stat[2]) == pgid:
                found.append(int(entry.name))
    return found


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def _wait_gone(pids: list[int], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while any(_alive(p) for p in pids):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.2)
    return True


def _terminate(pids: list[int], sig: int, timeout: float, on_kill: Callable[[], None] | None = None) -> None:
    """Send `sig` to `pids`; whatever is still alive after `timeout` is killed (SIGKILL)."""
    for p in pids:
        _signal(p, sig)
    if not _wait_gone(pids, timeout):
        if on_kill is not None:
            on_kill()
        for p in pids:
            _signal(p, signal.SIGKILL)
        _wait_gone(pids, 10)


def _stop_group(pgid: int, timeout: float) -> None:
    """Terminate what is left in the group a stopped process led (a flow run it started)."""
    left = _group(pgid)
    if left:
        _terminate(left, signal.SIGTERM, timeout)


def _tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return f"(no log at {path})"
