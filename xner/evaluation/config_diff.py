"""What differs between two runs: resolved config, git commit, packages, data fingerprints and
the code of their cached stages (which module of which stage changed, which library version);
then their metrics and tags, shown but not counted in the exit status (their outputs and
labels: ``evaluate.py rerun`` is the check on metrics)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from xner.data.text import printable
from xner.errors import DataError
from xner.tracking.names import (
    CONFIG_ARTIFACT,
    ENVIRONMENT_ARTIFACT,
    GIT_COMMIT_TAG,
    GIT_DIRTY_TAG,
    VERSION_TAG,
)
from xner.tracking.store import (
    download_text,
    open_client,
    parse_json,
    require_yaml,
    resolve_run,
)

if TYPE_CHECKING:
    from mlflow.tracking import MlflowClient

TAG_FALLBACKS = (GIT_COMMIT_TAG, GIT_DIRTY_TAG, VERSION_TAG)
SECTIONS = ("config", "git", "packages", "data fingerprints", "stage code", "environment")
STAGE_CODE = "stage_code"  # environment.json: stage -> {parts: {root or module: hash}, libraries}
ENV_IGNORED = ("overrides",)  # how a config was reached; the resolved config is what counts
TAGS_IGNORED = ("mlflow.", "xner.pid")  # MLflow's own bookkeeping, the job's process id
SHOWN = ("metrics", "tags")  # printed after SECTIONS, not counted in the exit status
LEGEND = (
    "<missing>: not recorded in that run; <recorded>: that run recorded the stage's code "
    "fingerprints (the other never ran the stage)"
)


class _Missing:
    """Marks a key present on one side only."""

    def __repr__(self) -> str:
        return "<missing>"


MISSING: Any = _Missing()
Difference = tuple[str, Any, Any]


def _join(prefix: str, key: object) -> str:
    return f"{prefix}.{key}" if prefix else str(key)


def _same(a: Any, b: Any) -> bool:
    """Equal values of the same type: `1` and `"1"` or `1` and `true` differ in a config."""
    return type(a) is type(b) and a == b


def diff_configs(a: Any, b: Any, prefix: str = "") -> list[Difference]:
    """(dotted key, value in a, value in b) for every leaf that differs; list items as key[i]."""
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        out: list[Difference] = []
        for key in [*a, *(k for k in b if k not in a)]:
            path = _join(prefix, key)
            if key not in b:
                out.append((path, a[key], MISSING))
            elif key not in a:
                out.append((path, MISSING, b[key]))
            else:
                out.extend(diff_configs(a[key], b[key], path))
        return out
    if _is_list(a) and _is_list(b):
        out = []
        for i in range(max(len(a), len(b))):
            path = f"{prefix}[{i}]"
            if i >= len(b):
                out.append((path, a[i], MISSING))
            elif i >= len(a):
                out.append((path, MISSING, b[i]))
            else:
                out.extend(diff_configs(a[i], b[i], path))
        return out
    return [] if _same(a, b) else [(prefix, a, b)]


def _is_list(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str | bytes)


def env_section(key: str) -> str:
    """Which report section an environment.json key belongs to."""
    head = key.split(".", 1)[0].split("[", 1)[0].lower()
    if head.startswith("git") or head == VERSION_TAG:
        return "git"
    if head in ("packages", "package_versions", "versions"):
        return "packages"
    if "fingerprint" in head or head.startswith("data"):
        return "data fingerprints"
    if head == STAGE_CODE:
        return "stage code"
    return "environment"


def _strip(key: str, section: str) -> str:
    """Drop the container name: `packages.torch` reads as `torch` under the packages heading."""
    if key == STAGE_CODE:
        return "all stages"
    if section == "stage code" and "." in key:
        stage, _, rest = key.split(".", 1)[1].partition(".")
        kind, _, name = rest.partition(".")
        if not rest:
            return stage
        return f"{stage}: {name}" if kind in ("parts", "libraries") and name else f"{stage}: {rest}"
    if section in ("packages", "data fingerprints") and "." in key:
        return key.split(".", 1)[1]
    return key


def _brief(value: Any) -> Any:
    """A whole stage (or all of them) recorded on one side only: not its every hash."""
    return "<recorded>" if isinstance(value, Mapping) else value


@dataclass(frozen=True)
class RunDiff:
    """Differences between runs a and b, grouped by section in SECTIONS order."""

    run_a: str
    run_b: str
    sections: dict[str, list[Difference]]
    dirty: tuple[bool, bool] = (False, False)
    shown: dict[str, list[Difference]] = field(default_factory=dict)  # metrics, tags

    @property
    def identical(self) -> bool:
        return not any(self.sections.values())


def diff_documents(
    config_a: Mapping, config_b: Mapping, env_a: Mapping, env_b: Mapping, run_a: str, run_b: str
) -> RunDiff:
    """Pure part of diff_runs: the config diff, then the environment diff split into sections."""
    sections: dict[str, list[Difference]] = {name: [] for name in SECTIONS}
    sections["config"] = diff_configs(config_a, config_b)
    kept_a = {k: v for k, v in env_a.items() if k not in ENV_IGNORED}
    kept_b = {k: v for k, v in env_b.items() if k not in ENV_IGNORED}
    for key, value_a, value_b in diff_configs(kept_a, kept_b):
        section = env_section(key)
        if section == "stage code":
            value_a, value_b = _brief(value_a), _brief(value_b)
        sections[section].append((_strip(key, section), value_a, value_b))
    dirty = (_is_true(env_a.get(GIT_DIRTY_TAG)), _is_true(env_b.get(GIT_DIRTY_TAG)))
    return RunDiff(run_a, run_b, sections, dirty)


def _is_true(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def _environment(client: MlflowClient, run) -> dict:
    """environment.json of a run; git commit/dirty from the tags when the file lacks them."""
    text = download_text(client, run.info.run_id, ENVIRONMENT_ARTIFACT)
    env = parse_json(text, run.info.run_id, ENVIRONMENT_ARTIFACT) if text else {}
    for tag in TAG_FALLBACKS:
        if tag not in env and tag in run.data.tags:
            env[tag] = run.data.tags[tag]
    return env


def load_config(client: MlflowClient, run_id: str) -> dict:
    config = require_yaml(client, run_id, CONFIG_ARTIFACT)
    if not isinstance(config, Mapping):
        raise DataError(f"run {run_id}: artifact {CONFIG_ARTIFACT} is not a YAML mapping")
    return dict(config)


def under(key: str, prefixes: Sequence[str]) -> bool:
    """Whether dotted `key` is one of `prefixes` or lies below one."""
    return any(key == p or key.startswith((f"{p}.", f"{p}[")) for p in prefixes)


def diff_runs(client: MlflowClient, run_a: str, run_b: str, ignore: Sequence[str] = ()) -> RunDiff:
    """Compare two logged runs (ids, or unique run names) by their config and environment.

    Config keys under an `ignore` prefix (e.g. `tracking`) are left out.
    """
    a, b = resolve_run(client, run_a), resolve_run(client, run_b)
    id_a, id_b = a.info.run_id, b.info.run_id
    diff = diff_documents(
        load_config(client, id_a),
        load_config(client, id_b),
        _environment(client, a),
        _environment(client, b),
        id_a,
        id_b,
    )
    diff.sections["config"] = [d for d in diff.sections["config"] if not under(d[0], ignore)]
    diff.shown["metrics"] = diff_configs(dict(a.data.metrics), dict(b.data.metrics))
    diff.shown["tags"] = diff_configs(_kept_tags(a.data.tags), _kept_tags(b.data.tags))
    return diff


def _kept_tags(tags: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in sorted(tags.items()) if not k.startswith(TAGS_IGNORED)}


def show(value: Any) -> str:
    """A config value as the diff prints it; control characters escaped (see ``printable``)."""
    if value is MISSING:
        return "<missing>"
    if isinstance(value, str):
        return printable(value)
    return printable(json.dumps(value, ensure_ascii=False, default=str))


def format_differences(rows: Sequence[Difference], header: tuple[str, str, str]) -> str:
    """Aligned three-column text table."""
    cells = [header, *((printable(key), show(a), show(b)) for key, a, b in rows)]
    widths = [max(len(row[i]) for row in cells) for i in range(2)]
    return "\n".join(f"  {k:<{widths[0]}}  {a:<{widths[1]}}  {b}".rstrip() for k, a, b in cells)


def format_diff(diff: RunDiff) -> str:
    lines = [f"A = {diff.run_a}", f"B = {diff.run_b}"]
    if any(diff.dirty):
        lines.append("note: uncommitted code changes (git_dirty) are compared only as stage code")
    if diff.identical:
        lines.append(
            "identical: resolved config, git commit, packages, data fingerprints and stage code"
        )
    for name in SECTIONS:
        rows = diff.sections[name]
        if not diff.identical and (name == "config" or rows):
            lines += ["", _title(name, rows)]
            if rows:
                lines.append(format_differences(rows, ("key", "A", "B")))
    for name in SHOWN:
        rows = diff.shown.get(name, [])
        if rows:
            title = _title(name, rows) + " (shown, not counted in the exit status)"
            lines += ["", title, format_differences(rows, ("key", "A", "B"))]
    every = [row for rows in [*diff.sections.values(), *diff.shown.values()] for row in rows]
    if any(show(v) in ("<missing>", "<recorded>") for row in every for v in row[1:]):
        lines += ["", LEGEND]
    return "\n".join(lines) + "\n"


def _title(name: str, rows: Sequence[Difference]) -> str:
    return f"{name}: {len(rows)} difference{'s' if len(rows) != 1 else ''}"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_a", metavar="RUN_A", help="run id or unique run name")
    parser.add_argument("run_b", metavar="RUN_B", help="run id or unique run name")
    parser.add_argument(
        "--ignore",
        action="append",
        default=[],
        metavar="KEY",
        help="leave out config keys under this dotted prefix, e.g. tracking (repeatable)",
    )
    parser.add_argument("--tracking-uri", default=None, help="default: $MLFLOW_TRACKING_URI")


def run(args: argparse.Namespace) -> int:
    """Show config, code, package, data, metric and tag differences of two runs (exit 1 when
    any but metrics and tags differ)."""
    diff = diff_runs(open_client(args.tracking_uri), args.run_a, args.run_b, args.ignore)
    print(format_diff(diff), end="")
    return 0 if diff.identical else 1
