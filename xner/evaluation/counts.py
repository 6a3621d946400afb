"""Per-sentence entity counts of a run, as logged and read back for the paired bootstrap."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from xner.errors import DataError
from xner.evaluation.metrics import Counts
from xner.tracking.names import counts_artifact

if TYPE_CHECKING:
    from mlflow.tracking import MlflowClient


def counts_record(counts: Counts, mode: str, ignore: Sequence[str], digest: str) -> dict:
    """What a run logs: per-sentence (correct, predicted, gold) and how they were counted."""
    return {
        "mode": mode,
        "ignore": sorted(ignore),
        "digest": digest,
        "counts": counts.matrix.tolist(),
    }


@dataclass(frozen=True)
class RunCounts:
    """A run's logged counts: the sentences are identified by ``digest``."""

    run_id: str
    matrix: np.ndarray
    mode: str
    ignore: tuple[str, ...]
    digest: str

    def comparable(self, other: RunCounts) -> str | None:
        """Why the two runs cannot be paired, or None when they can."""
        if self.digest != other.digest or len(self.matrix) != len(other.matrix):
            return (
                f"runs {self.run_id} and {other.run_id} were scored on different test sentences "
                f"({len(self.matrix)} sentences, digest {self.digest} vs "
                f"{len(other.matrix)} sentences, digest {other.digest})"
            )
        if (self.mode, self.ignore) != (other.mode, other.ignore):
            return (
                f"runs {self.run_id} and {other.run_id} were scored differently "
                f"(mode {self.mode}, ignore {list(self.ignore)} vs "
                f"mode {other.mode}, ignore {list(other.ignore)})"
            )
        return None


def load_counts(client: MlflowClient, run_id: str, split: str = "test") -> RunCounts | None:
    """The counts a run logged, or None for a run logged before they existed."""
    from xner.tracking.store import download_text

    text = download_text(client, run_id, counts_artifact(split))
    if text is None:
        return None
    try:
        record = json.loads(text)
        matrix = np.asarray(record["counts"], dtype=np.int64).reshape(-1, 3)
        return RunCounts(
            run_id, matrix, str(record["mode"]), tuple(record["ignore"]), str(record["digest"])
        )
    except (ValueError, KeyError, TypeError) as err:
        raise DataError(f"run {run_id}: {counts_artifact(split)} is malformed ({err})") from None
