"""Progress of a run, reported by the flow to whoever listens (the CLI's progress bar); nobody by default.

The flow's long part is two passes over the run's partitions (flows/nightly.py), so progress is
partition steps done of 2 x partitions, with the records they carry; the other steps (read, learn,
dedup, validate, publish) are named as they start. A Prefect worker or a test sets no hook and pays
nothing.
"""

from __future__ import annotations

from typing import Protocol


class ProgressHook(Protocol):
    def stage(self, name: str) -> None:
        """A run-wide step starts (read, learn, dedup, validate, publish)."""

    def partitions(self, steps: int, records: int) -> None:
        """The partition passes start: `steps` partition steps in all, carrying `records` records each pass."""

    def advance(self, records: int) -> None:
        """One partition step is done, with its records."""


class _Silent:
    def stage(self, name: str) -> None:
        pass

    def partitions(self, steps: int, records: int) -> None:
        pass

    def advance(self, records: int) -> None:
        pass


_hook: ProgressHook = _Silent()


def set_hook(hook: ProgressHook | None) -> None:
    global _hook
    _hook = hook or _Silent()


def hook() -> ProgressHook:
    return _hook
