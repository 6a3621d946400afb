"""Ctrl-C and SIGTERM: the run ends KILLED, one line on stderr, the shell's exit status (130, 143).

Both signals raise :class:`Interrupted` in the main thread, so every ``finally`` and ``with``
block (temporary folders, the job's run) runs on the way out. Lightning turns a
``KeyboardInterrupt`` inside ``trainer.fit`` into ``SystemExit(1)``; :func:`signal_of` finds the
interrupt behind it.

A task of a sweep that submitit sent to SLURM (:func:`slurm_task`) is signalled by SLURM itself:
SIGTERM on ``scancel`` or at the time limit, SIGUSR2 shortly before the limit (submitit's
``--signal=USR2@signal_delay_s``). submitit ignores SIGTERM and, for a job it cannot
checkpoint, raises an error on SIGUSR2; there xner's job takes both, ends its run KILLED with
the reason, and lets the other tasks of the sweep go on.
"""

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

HANDLED = (signal.SIGINT, signal.SIGTERM)
SLURM_TASK = (signal.SIGINT, signal.SIGTERM, signal.SIGUSR2)


class Interrupted(KeyboardInterrupt):
    """A signal stopped the program; ``run_id``: the run it ended KILLED, once there is one."""

    def __init__(self, signum: int, run_id: str | None = None) -> None:
        super().__init__(f"signal {signum}")
        self.signum = signum
        self.run_id = run_id

    def __reduce__(self) -> tuple:  # a job of a process-pool launcher sends it back whole
        return (type(self), (self.signum, self.run_id))


def _raise(signum: int, frame: Any) -> None:
    raise Interrupted(signum)


def slurm_task() -> bool:
    """Whether this process is one task of a sweep that submitit sent to SLURM."""
    return os.environ.get("SUBMITIT_EXECUTOR") == "slurm"


@contextmanager
def installed(signums: tuple[int, ...] = HANDLED) -> Iterator[None]:
    """``signums`` raise :class:`Interrupted` inside (a signal handler needs the main thread:
    elsewhere nothing changes); the previous handlers are put back after."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.signal(signum, _raise) for signum in signums}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            if handler is not None:  # None: set outside Python, cannot be put back
                signal.signal(signum, handler)


class Held:
    """The signal that arrived inside :func:`held`, raised where the caller can handle it."""

    def __init__(self) -> None:
        self.signum: int | None = None

    def raise_pending(self) -> None:
        if self.signum is not None:
            signum, self.signum = self.signum, None
            raise Interrupted(signum)


@contextmanager
def held() -> Iterator[Held]:
    """Inside, xner's signals are held instead of raised: a store write cut in half leaves its
    transaction open (SQLite stays locked, so not even the sweep's parent run can be ended).
    The caller raises the held signal with :meth:`Held.raise_pending` once the write is done."""
    pending = Held()
    if threading.current_thread() is not threading.main_thread():
        yield pending
        return

    def hold(signum: int, frame: Any) -> None:
        pending.signum = pending.signum or signum

    ours = [signum for signum in SLURM_TASK if signal.getsignal(signum) is _raise]
    for signum in ours:
        signal.signal(signum, hold)
    try:
        yield pending
    finally:
        for signum in ours:
            signal.signal(signum, _raise)


def ignore() -> None:
    """A second Ctrl-C must not cut short the ending of the run after the first."""
    if threading.current_thread() is threading.main_thread():
        for signum in SLURM_TASK if slurm_task() else HANDLED:
            signal.signal(signum, signal.SIG_IGN)


def signal_of(err: BaseException | None) -> int | None:
    """The signal behind ``err`` (or the errors it was raised during), None for other errors."""
    seen: set[int] = set()
    while err is not None and id(err) not in seen:
        seen.add(id(err))
        if isinstance(err, Interrupted):
            return err.signum
        if isinstance(err, KeyboardInterrupt):
            return signal.SIGINT
        err = err.__cause__ or err.__context__
    return None


def exit_status(signum: int) -> int:
    """What a shell reports for a program ended by ``signum``: 128 + its number."""
    return 128 + int(signum)


def name(signum: int) -> str:
    return signal.Signals(signum).name


def why(signum: int) -> str:
    """The reason a signalled run records: under SLURM, what SLURM did."""
    if slurm_task():
        from xner.cluster.slurm_job import current_job, slurm_reason

        return f"interrupted ({name(signum)}): {slurm_reason(signum, current_job())}"
    return f"interrupted ({name(signum)})"
