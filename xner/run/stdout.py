"""Standard output whose reader may go away: ``python train.py ... | head``, a closed terminal.

A run's results live in its MLflow run, not on the screen: once nobody reads stdout, what the
app still prints (log lines, the final score) goes to /dev/null instead of raising
``BrokenPipeError`` in the middle of a run that has logged everything.
"""

import functools
import os
import sys
from collections.abc import Callable
from typing import Any, TextIO


class ForgivingStream:
    """A text stream that, on a broken pipe, points its file descriptor at /dev/null and goes on."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            self._reader_gone()
            return len(text)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            self._reader_gone()

    def _reader_gone(self) -> None:
        """Later writes, and the buffered bytes Python flushes at exit, land in /dev/null."""
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, self._stream.fileno())
        finally:
            os.close(devnull)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def stdout_may_close(main: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap an entry point so that a closed stdout never fails it (before Hydra sets up logging,
    whose console handler then writes through the same stream)."""

    @functools.wraps(main)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        stream = sys.stdout
        if stream is not None and not isinstance(stream, ForgivingStream):
            try:
                stream.fileno()
            except (AttributeError, OSError, ValueError):  # not a file (a test's StringIO)
                return main(*args, **kwargs)
            sys.stdout = ForgivingStream(stream)
        return main(*args, **kwargs)

    return wrapper
