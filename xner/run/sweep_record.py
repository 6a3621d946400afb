"""What a sweep's MLflow callback tells the entry point: its parent run and its failed jobs.

Hydra builds its callbacks itself, from the config, so no Python object can be handed to one.
The entry point names a file instead (``hydra.callbacks.mlflow_sweep.record``); the callback
writes the parent run into it when the sweep starts and the failed jobs when it ends; the entry
point reads it to end an interrupted sweep's parent run and to set the exit status.
"""

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RECORD_OVERRIDE = "hydra.callbacks.mlflow_sweep.record"


@dataclass(frozen=True)
class SweepRecord:
    path: Path

    @classmethod
    @contextmanager
    def temporary(cls) -> Iterator["SweepRecord"]:
        """A record for one sweep of this process, removed afterwards."""
        handle, name = tempfile.mkstemp(prefix="xner-sweep-", suffix=".json")
        os.close(handle)
        try:
            yield cls(Path(name))
        finally:
            Path(name).unlink(missing_ok=True)

    def read(self) -> dict[str, Any]:
        try:
            return json.loads(self.path.read_text(encoding="utf-8") or "{}")
        except (OSError, ValueError):
            return {}

    def write(self, **fields: Any) -> None:
        """Merge ``fields`` into the record (written whole, so a reader never sees half)."""
        data = {**self.read(), **fields}
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data), encoding="utf-8")
        os.replace(tmp, self.path)

    @property
    def open_parent(self) -> tuple[str, str] | None:
        """(store URI, run id) of a parent run the callback started and has not ended."""
        data = self.read()
        if data.get("parent") and not data.get("ended"):
            return str(data["uri"]), str(data["parent"])
        return None

    @property
    def failed_jobs(self) -> list[str]:
        return [str(name) for name in self.read().get("failed", [])]
