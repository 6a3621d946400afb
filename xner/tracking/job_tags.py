"""What a job's run records about its config: the config hash that identifies a job, the
params, and the tags of the parts the method used."""

import hashlib
import json
import logging
import os
import socket
from collections.abc import Mapping
from typing import Any

from xner import __version__
from xner.cluster.slurm_job import current_job
from xner.method_kind import MethodKind, kind_of
from xner.tracking.determinism import nondeterministic_parts
from xner.tracking.names import (
    APP_TAG,
    CONFIG_HASH_TAG,
    GIT_COMMIT_TAG,
    GIT_DIRTY_TAG,
    HOST_TAG,
    METHOD_ORDER_TAG,
    METHOD_ROLE_TAG,
    NONDETERMINISTIC_TAG,
    PARENT_TAG,
    PID_TAG,
    SLURM_JOB_TAG,
    VERSION_TAG,
    variant_name,
)
from xner.tracking.provenance import source_tags

log = logging.getLogger(__name__)


TAG_GROUPS = ("translator", "aligner", "projector", "model", "labeler")


PROJECTION_GROUPS = ("translator", "aligner", "projector", "labeler")  # the pipeline's parts


MAX_RUN_NAME, MAX_TAG_VALUE = 250, 8000  # MLflow's column sizes, enforced by PostgreSQL


def flatten(tree: Any, prefix: str = "") -> dict[str, str]:
    """Dotted keys for nested dicts and lists, values as strings (MLflow params)."""
    if isinstance(tree, Mapping):
        items = [(f"{prefix}{k}", v) for k, v in tree.items()]
    elif isinstance(tree, list | tuple):
        items = [(f"{prefix}{i}", v) for i, v in enumerate(tree)]
    else:
        return {prefix.rstrip("."): str(tree)}
    flat: dict[str, str] = {}
    for key, value in items:
        if isinstance(value, Mapping | list | tuple) and value:
            flat.update(flatten(value, f"{key}."))
        else:
            flat[key] = str(value)
    return flat


def config_hash(config: Mapping) -> str:
    """Identity of a job: the resolved config without the parts that do not change results."""
    ignored = {"tracking", "hydra", "paths", "cache", "out"}
    relevant = {k: v for k, v in config.items() if k not in ignored}
    blob = json.dumps(relevant, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def checkpoint_name(checkpoint: str) -> str:
    """A short name of a checkpoint: the last part of its hub id or folder."""
    return str(checkpoint).rstrip("/").rsplit("/", 1)[-1]


def tag_groups(kind: MethodKind) -> tuple[str, ...]:
    """The config groups a method uses, so a run is tagged only with parts it ran: the
    projection pipeline's (translator, aligner, projector, labeler) for a method that runs
    one, the projector for one that takes a projector (its column names it)."""
    used = {"model"}
    if kind.pipelines:
        used.update(PROJECTION_GROUPS)
    if kind.projects:
        used.add("projector")
    return tuple(g for g in TAG_GROUPS if g in used)


def role_tags(kind: MethodKind, resolved: Mapping) -> dict[str, str]:
    """The ``teacher`` and ``student`` tags of a run of a method that distils (model names, or
    the names of the given teacher checkpoints); none for other methods."""
    if not kind.distills:
        return {}
    given = (resolved.get("method") or {}).get("teachers") or []
    teacher = (resolved.get("teacher") or {}).get("name", "")
    if given:
        teacher = "+".join(checkpoint_name(c) for c in given)
    student = (resolved.get("student") or {}).get("name", "")
    return {"teacher": str(teacher), "student": str(student)}


def method_tags(kind: MethodKind) -> dict[str, str]:
    """The declaration the gap table reads back: the method's role and column order."""
    if kind.role is None:
        return {}
    return {METHOD_ROLE_TAG: kind.role, METHOD_ORDER_TAG: str(kind.order)}


def mlflow_param(key: str, value: str) -> Any:
    """An MLflow param cut to the store's limits (key 250, value 6000 characters)."""
    from mlflow.entities import Param

    return Param(key[:250], value[:6000])


def config_params(config: Mapping) -> list:
    flat = flatten({k: v for k, v in config.items() if k != "hydra"})
    return [mlflow_param(k, v) for k, v in sorted(flat.items())]


def job_tags(
    resolved: Mapping,
    app: str,
    choices: Mapping[str, str],
    parent_run_id: str | None,
    commit: str,
    dirty: bool,
) -> dict[str, str]:
    """The job run's tags: method, language, choices, roles, variant, source and git state."""
    track = resolved.get("tracking", {}) or {}
    method = choices.get("method") or str(resolved.get("task") or "")
    kind = kind_of(resolved, method)
    tags = {
        "method": method,
        "lang": resolved.get("lang", ""),
        "dataset": choices.get("data", ""),
        "seed": resolved.get("seed", ""),
        GIT_COMMIT_TAG: commit,
        GIT_DIRTY_TAG: str(dirty).lower(),
        VERSION_TAG: __version__,
        APP_TAG: app,
        CONFIG_HASH_TAG: config_hash(resolved),
        HOST_TAG: socket.gethostname(),
        PID_TAG: os.getpid(),
        **({SLURM_JOB_TAG: slurm} if (slurm := current_job()) else {}),
        **{group: choices.get(group, "") for group in tag_groups(kind)},
        **method_tags(kind),
    }
    roles = role_tags(kind, resolved)
    tags.update(roles)
    projector = tags.get("projector", "")
    tags["variant"] = resolved.get("column") or variant_name(kind, projector, **roles)
    if parts := nondeterministic_parts(resolved, kind):
        tags[NONDETERMINISTIC_TAG] = "; ".join(parts)
    tags.update({k: str(v) for k, v in (track.get("tags") or {}).items()})
    tags.update(source_tags(app, commit))
    if parent_run_id:
        tags[PARENT_TAG] = parent_run_id
    return {k: str(v) for k, v in tags.items()}  # a server's REST API takes strings only
