"""Re-execute a logged run from its stored overrides; check its metrics come out the same.

The overrides come from the store, which others may write: they are replayed only after
:func:`xner.run.overrides.checked_replay` accepts each one, and the command is printed first.
"""

from __future__ import annotations

import argparse
import fnmatch
import math
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from xner.errors import DataError, XnerError
from xner.evaluation.config_diff import Difference, diff_configs, load_config, under
from xner.paths import PROJECT_ROOT
from xner.run.overrides import NOTHING_ALLOWED, Permissions, app_script, checked_replay
from xner.tracking.names import APP_TAG, CONFIG_ARTIFACT, OVERRIDES_ARTIFACT, RERUN_TAG
from xner.tracking.store import open_client, require_yaml, resolve_run, tracking_uri

DEFAULT_APP = "train"
DEFAULT_METRICS = ("test/*", "val/*")
DRIFT_IGNORED = ("tracking", "paths", "hydra", "cache.dir")
RERUN_SUFFIX = " (rerun)"
# Stored overrides the rerun sets itself: its store, its name and (unless --cached) its cache.
REPLACED = ("hydra.", "hydra/", "tracking.uri=", "tracking.run_name=")


@dataclass(frozen=True)
class MetricCheck:
    name: str
    original: float | None
    rerun: float | None
    ok: bool

    @property
    def difference(self) -> float | None:
        if self.original is None or self.rerun is None:
            return None
        return self.rerun - self.original


@dataclass(frozen=True)
class RerunResult:
    original_id: str
    rerun_id: str
    checks: list[MetricCheck]
    drift: list[Difference]

    @property
    def matches(self) -> bool:
        return bool(self.checks) and all(check.ok for check in self.checks)


def _close(a: float, b: float, tolerance: float) -> bool:
    if math.isnan(a) and math.isnan(b):
        return True
    return a == b or abs(a - b) <= tolerance


def compare_metrics(
    original: Mapping[str, float],
    rerun: Mapping[str, float],
    patterns: Sequence[str] = DEFAULT_METRICS,
    tolerance: float = 0.0,
) -> list[MetricCheck]:
    """One check per metric of either run matching a pattern; missing on one side fails."""
    names = sorted(
        name
        for name in {*original, *rerun}
        if any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)
    )
    checks = []
    for name in names:
        a, b = original.get(name), rerun.get(name)
        ok = a is not None and b is not None and _close(a, b, tolerance)
        checks.append(MetricCheck(name, a, b, ok))
    return checks


def hydra_quote(value: str) -> str:
    """A Hydra override value that is always read back as this exact string."""
    escaped = re.sub(r"(\\*)'", lambda m: m.group(1) * 2 + "\\'", value)
    return "'" + re.sub(r"(\\+)$", lambda m: m.group(1) * 2, escaped) + "'"


def rerun_overrides(
    overrides: Sequence[str],
    uri: str,
    rerun_of: str,
    run_name: str | None = None,
    cache_dir: str | None = None,
) -> list[str]:
    """The stored overrides for one job on the same store, tagged as a rerun.

    Sweep and launcher settings are dropped; the job is never skipped as already finished.
    ``run_name``: the new run's name (never the original's, so names stay unique);
    ``cache_dir``: a stage cache that replaces the stored one (an empty one recomputes).
    """
    replaced = (*REPLACED, "cache.dir=") if cache_dir is not None else REPLACED
    kept = [o for o in overrides if not o.lstrip("+~").startswith(replaced)]
    extra = [f"++tracking.run_name={hydra_quote(run_name)}"] if run_name else []
    if cache_dir is not None:
        extra.append(f"cache.dir={hydra_quote(cache_dir)}")
    return [
        *kept,
        f"tracking.uri={hydra_quote(uri)}",
        "tracking.skip_finished=false",
        f"++tracking.tags={{{RERUN_TAG}:{hydra_quote(rerun_of)}}}",
        *extra,
    ]


def app_command(
    app: str, overrides: Sequence[str], uri: str, rerun_of: str, **replaced: str | None
) -> list[str]:
    """The command line that re-executes `app` (`train` or `train.py`, from the repo root);
    ``replaced``: :func:`rerun_overrides`' ``run_name`` and ``cache_dir``."""
    script = PROJECT_ROOT / app_script(app, rerun_of)
    added = rerun_overrides(overrides, uri, rerun_of, **replaced)
    return [sys.executable, str(script), *added]


def store_dirs(uri: str) -> list[Path]:
    """Folders that belong to the store: paths inside them need no ``--allow-paths``."""
    dirs = [PROJECT_ROOT / "mlruns"]
    if uri.startswith("sqlite:///"):
        dirs.append(Path(uri.removeprefix("sqlite:///")).parent)
    elif uri.startswith("file:"):
        dirs.append(Path(uri.removeprefix("file://").removeprefix("file:")))
    return dirs


def shown_command(command: Sequence[str]) -> str:
    """The command as a shell would take it, with any password in a URI hidden."""
    return re.sub(r"(//[^/:@\s]+:)[^/@\s]+@", r"\1***@", shlex.join(command))


def launch(command: Sequence[str], uri: str) -> int:
    """Run the app in the repo root; $MLFLOW_TRACKING_URI (which wins there) names the store."""
    env = {**os.environ, "MLFLOW_TRACKING_URI": uri}
    return subprocess.run(list(command), cwd=PROJECT_ROOT, env=env, check=False).returncode


def find_rerun(client, experiment_id: str, run_id: str, since_ms: int):
    """The newest finished run tagged as a rerun of `run_id` started at or after `since_ms`."""
    runs = client.search_runs(
        [experiment_id],
        f"tags.`{RERUN_TAG}` = '{run_id}' and attributes.status = 'FINISHED'",
        order_by=["attributes.start_time DESC"],
        max_results=1,
    )
    if not runs or (runs[0].info.start_time or 0) < since_ms:
        raise DataError(
            f"the rerun of {run_id} finished but logged no finished run tagged {RERUN_TAG}"
        )
    return runs[0]


def config_drift(original: Mapping, rerun: Mapping) -> list[Difference]:
    """Config keys that changed between the runs, outside tracking/paths and the cache folder
    (which the rerun moves)."""
    return [d for d in diff_configs(original, rerun) if not under(d[0], DRIFT_IGNORED)]


def rerun(
    run_ref: str,
    uri: str | None = None,
    tolerance: float = 0.0,
    patterns: Sequence[str] = DEFAULT_METRICS,
    runner: Callable[[Sequence[str], str], int] = launch,
    allowed: Permissions = NOTHING_ALLOWED,
    cached: bool = False,
) -> RerunResult:
    """Re-execute a run with its checked stored overrides, then compare metrics and configs.

    Every stage is recomputed in a fresh, empty stage cache (removed after), unless ``cached``.
    """
    uri = tracking_uri(uri)
    client = open_client(uri)
    original = resolve_run(client, run_ref)
    run_id = original.info.run_id
    overrides = require_yaml(client, run_id, OVERRIDES_ARTIFACT) or []
    if not isinstance(overrides, list):
        raise DataError(f"run {run_id}: artifact {OVERRIDES_ARTIFACT} is not a YAML list")
    app = app_script(original.data.tags.get(APP_TAG, DEFAULT_APP), run_id)
    replayed = checked_replay(overrides, app, run_id, allowed, store_dirs(uri))
    name = (original.info.run_name or run_id) + RERUN_SUFFIX
    command, returncode, started_ms = _replay(app, replayed, uri, run_id, name, cached, runner)
    if returncode != 0:
        raise XnerError(f"rerun of {run_id} failed: {' '.join(command)} exited with {returncode}")
    new = find_rerun(client, original.info.experiment_id, run_id, started_ms)
    checks = compare_metrics(original.data.metrics, new.data.metrics, patterns, tolerance)
    drift = config_drift(load_config(client, run_id), load_config(client, new.info.run_id))
    return RerunResult(run_id, new.info.run_id, checks, drift)


def _replay(
    app: str,
    replayed: Sequence[str],
    uri: str,
    run_id: str,
    name: str,
    cached: bool,
    runner: Callable[[Sequence[str], str], int],
) -> tuple[list[str], int, int]:
    """Run the replayed command as run ``name`` (in a fresh stage cache, removed after, unless
    ``cached``): the command, its exit status and a time (ms) just before it started."""
    cache_dir = None if cached else tempfile.mkdtemp(prefix="xner-rerun-cache-")
    try:
        command = app_command(app, replayed, uri, run_id, run_name=name, cache_dir=cache_dir)
        if cache_dir is not None:
            print(f"every stage recomputed in an empty cache {cache_dir} (--cached: reuse)",
                  file=sys.stderr, flush=True)  # fmt: skip
        print(f"rerunning {run_id}: {shown_command(command)}", flush=True)
        started_ms = int(time.time() * 1000) - 1000
        return command, runner(command, uri), started_ms
    finally:
        if cache_dir is not None:
            shutil.rmtree(cache_dir, ignore_errors=True)


def _num(value: float | None) -> str:
    return "<missing>" if value is None else repr(value)


def format_result(result: RerunResult) -> str:
    from xner.evaluation.config_diff import format_differences

    rows = [("metric", "original", "rerun", "difference", "")]
    for c in result.checks:
        diff = "" if c.difference is None else f"{c.difference:+.3g}"
        rows.append((c.name, _num(c.original), _num(c.rerun), diff, "ok" if c.ok else "DIFFERS"))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = [f"original = {result.original_id}", f"rerun    = {result.rerun_id}", ""]
    lines += [
        "  ".join(f"{v:<{w}}" for v, w in zip(r, [*widths, 0], strict=True)).rstrip() for r in rows
    ]
    if not result.checks:
        lines.append("no metrics to compare")
    if result.drift:
        lines += ["", f"config drift ({CONFIG_ARTIFACT}):"]
        lines.append(format_differences(result.drift, ("key", "original", "rerun")))
    verdict = "metrics match" if result.matches else "metrics DIFFER"
    return "\n".join([*lines, "", verdict]) + "\n"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_ref", metavar="RUN", help="run id or unique run name")
    parser.add_argument("--tolerance", type=float, default=0.0, help="absolute; 0 = exact match")
    parser.add_argument(
        "--metrics",
        action="append",
        default=None,
        help=f"glob of metrics to compare (repeatable; default {' '.join(DEFAULT_METRICS)})",
    )
    parser.add_argument(
        "--cached",
        action="store_true",
        help="serve stages from the stage cache (replays them; default: recompute every stage "
        "in a fresh, empty cache)",
    )
    parser.add_argument("--tracking-uri", default=None, help="default: $MLFLOW_TRACKING_URI")
    allow = parser.add_argument_group(
        "what a stored run may ask for only with your consent (check who wrote it first)"
    )
    allow.add_argument(
        "--trust-remote-code", action="store_true", help="replay trust_remote_code=true"
    )
    allow.add_argument("--allow-out", action="store_true", help="replay out= (writes that file)")
    allow.add_argument(
        "--allow-paths", action="store_true", help="replay paths outside the store (mlruns/)"
    )


def run(args: argparse.Namespace) -> int:
    """Re-execute a logged run from its stored config and check its metrics (exit 1 on mismatch)."""
    allowed = Permissions(args.trust_remote_code, args.allow_out, args.allow_paths)
    result = rerun(
        args.run_ref,
        args.tracking_uri,
        args.tolerance,
        args.metrics or DEFAULT_METRICS,
        allowed=allowed,
        cached=args.cached,
    )
    print(format_result(result), end="")
    return 0 if result.matches else 1
