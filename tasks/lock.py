"""One writer at a time: a run holds an OS file lock on DIR/.akhbar.lock from its first step (the
repair of what an earlier run left) to its last. A second run on the same data dir waits for it or
stops at once with a message naming the holder; readers never need the lock.

The lock is the kernel's (flock), not the file's existence: it is released when its holder exits,
however it exits, so a lock left by a dead process is simply free and the next run takes it. The
file only says who holds it (pid, host, run id, since) for the message.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from datetime import datetime, timezone
from pathlib import Path

from akhbar.tasks.storage import state_dir

LOCK_NAME = ".akhbar.lock"


class WarehouseLocked(RuntimeError):
    """Another run holds the data dir."""


class RunLock:
    def __init__(self, data_dir: str | Path, run_id: str, wait_seconds: float = 0.0, poll: float = 0.5) -> None:
        # a kernel lock needs a local file: a data dir on object storage keeps it in its local state dir
        self.path = state_dir(data_dir) / LOCK_NAME
        self.run_id, self.wait_seconds, self.poll = run_id, wait_seconds, poll
        self._file = None

    def __enter__(self) -> RunLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        f = self.path.open("a+", encoding="utf-8")
        deadline = time.monotonic() + self.wait_seconds
        while True:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = self._holder(f)
                    f.close()
                    raise WarehouseLocked(
                        f"another run is writing to {self.path.parent}: {holder}; "
                        "wait for it (AKHBAR_LOCK_WAIT_SECONDS) or run later"
                    ) from None
                time.sleep(self.poll)
        f.seek(0)
        f.truncate()
        f.write(
            json.dumps(
                {
                    "pid": os.getpid(),
                    "host": socket.gethostname(),
                    "run_id": self.run_id,
                    "since": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                }
            )
        )
        f.flush()
        self._file = f
        return self

    def __exit__(self, *exc) -> None:
        if self._file is not None:
            self._file.seek(0)
            self._file.truncate()
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None

    @staticmethod
    def _holder(f) -> str:
        f.seek(0)
        try:
            h = json.loads(f.read() or "{}")
        except ValueError:
            return "holder unknown"
        return (
            f"run {h.get('run_id', '?')} (pid {h.get('pid', '?')} on {h.get('host', '?')}, since {h.get('since', '?')})"
        )
