"""The MLflow tag and artifact names that runs are written with and read back by, in one place
(with the two rules that name a run's variant and its counts artifact)."""

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from xner.method_kind import MethodKind

# Tags MLflow itself reads.
PARENT_TAG = "mlflow.parentRunId"
NOTE_TAG = "mlflow.note.content"  # a run's description in the MLflow UI
DATA_CONTEXT_TAG = "mlflow.data.context"  # on a dataset input: the split it is
# MLflow >= 3.2 opens experiments in its GenAI view; this tag marks a classic ML experiment
# (the UI's experiment-kind selector). MLflow 3.17's UI follows its workflow-type switch instead:
# open `#/experiments/<id>/runs?workflowType=machine_learning` (docs/how-to/read-results.md).
EXPERIMENT_TAGS = {"mlflow.experimentKind": "custom_model_development"}

# Tags xner writes.
ROLE_TAG = "xner.role"  # PARENT_ROLE, REPORT_ROLE; on a dataset input: the data's role
PARENT_ROLE, REPORT_ROLE = "parent", "report"  # a sweep's parent run; a run holding only a report
APP_TAG = "xner.app"  # the entry point that ran the job (train.py, project.py)
CONFIG_HASH_TAG = "xner.config_hash"  # a job's resolved config: a restarted sweep skips done jobs
RERUN_TAG = "xner.rerun_of"  # on a rerun: the run it repeats
REUSED_TAG = "xner.reused"  # on a parent run: finished runs a restarted sweep did not redo
ERROR_TAG = "xner.error"  # on a failed job's run: its one-line reason
FAILED_JOBS_TAG = "xner.failed_jobs"  # on a sweep's parent run: the run names of failed jobs
FULL_NAME_TAG = "xner.full_run_name"  # a run name longer than a PostgreSQL store keeps
SLURM_JOB_TAG = "xner.slurm_job"  # <array job>_<task> of a job run under SLURM
HOST_TAG, PID_TAG = "xner.host", "xner.pid"  # who runs a job: lets a rerun spot a killed one
MACHINE_TAG = "xner.machine"  # a sweep's CPU, cores, memory and GPU: the results page names it
ABANDONED_TAG = "xner.abandoned"
SWEEP_DIR_TAG = "xner.sweep_dir"  # on a parent run: the sweep's output folder
METRIC_TAG = "xner.metric"  # on a report run: the metric of its table
GAP_RULE_TAG = "xner.gap_rule"  # on a report run: how the projection column was chosen
SCORE_MODE_TAG = "xner.score_mode"  # the scoring mode a run's metrics were computed with
TARGET_DEV_TAG = "xner.target_dev_selection"  # a model selected on target-language dev data
# The parts of a job a cold rerun with the same seed may not repeat ("; "-separated); absent when
# none: the gap report marks the cells of such runs.
NONDETERMINISTIC_TAG = "xner.nondeterministic"
# A job's code version: tags on its run and keys of its environment.json alike.
GIT_COMMIT_TAG, GIT_DIRTY_TAG, VERSION_TAG = "git_commit", "git_dirty", "xner_version"
# A run's end: set just before FINISHED, once every metric and artifact is logged; a FINISHED run
# without it was ended before its job was (by Lightning's logger, before xner owned the end).
COMPLETE_TAG = "xner.complete"
SWEEP_TAG = "xner.sweep"  # on a parent run: its sweep's app and overrides, the same on a relaunch

# A job's method declaration (xner.method_kind), for the gap table: its role and column order.
METHOD_ROLE_TAG, METHOD_ORDER_TAG = "xner.method_role", "xner.method_order"

# Artifacts every job logs, and the file a sweep keeps its parent run's id in.
CONFIG_ARTIFACT = "config/config.yaml"
OVERRIDES_ARTIFACT = "config/overrides.yaml"
ENVIRONMENT_ARTIFACT = "config/environment.json"
PARENT_ID_FILE = "mlflow_parent_run_id"
REPORT_ARTIFACT_DIR = "report"  # the gap report's tables and chart, on a sweep's parent run


def counts_artifact(split: str = "test") -> str:
    """A run's per-sentence entity counts of ``split``, read back by the paired bootstrap."""
    return f"scores/{split}_counts.json"


def variant_name(
    kind: "MethodKind",
    projector: str | None,
    teacher: str | None = None,
    student: str | None = None,
) -> str:
    """The gap table's column: a method that projects is split by projector, one that
    distils by teacher and student when they differ (``teacher_student[xlmr_large→xlmr_base]``)."""
    if kind.projects and projector:
        return f"{kind.name}[{projector}]"
    if kind.distills and teacher and student and teacher != student:
        return f"{kind.name}[{teacher}→{student}]"
    return kind.name


def metric_key_part(name: str) -> str:
    """A part of an MLflow metric key: ``yor (masakhaner2)`` → ``yor_masakhaner2``."""
    return re.sub(r"[^\w.\-]+", "_", name).strip("_")
