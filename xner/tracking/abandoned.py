"""Runs a killed process left behind, and finished runs a sweep may skip: a job's identical
finished run, RUNNING runs whose process is gone, parent runs of abandoned sweeps."""

import hashlib
import json
import logging
import os
import socket
from typing import Any

from xner.cluster.slurm_job import job_gone
from xner.tracking.connection import client
from xner.tracking.names import (
    ABANDONED_TAG,
    APP_TAG,
    COMPLETE_TAG,
    CONFIG_HASH_TAG,
    HOST_TAG,
    PARENT_ROLE,
    PID_TAG,
    ROLE_TAG,
    SLURM_JOB_TAG,
    SWEEP_TAG,
)

log = logging.getLogger(__name__)


def _same_job(cfg_hash: str) -> str:
    """The search filter of the runs of one job config."""
    return f"tags.`{CONFIG_HASH_TAG}` = '{cfg_hash}'"


def find_finished_run(uri: str, experiment: str, cfg_hash: str) -> str | None:
    """A complete FINISHED run of the same job config, so a restarted sweep does not redo it.

    A FINISHED run that is not complete (:func:`is_complete`) was ended before its job was:
    it is marked KILLED, tagged ``xner.abandoned``, and the job runs again.
    """
    mlflow_client = client(uri)
    found = mlflow_client.get_experiment_by_name(experiment)
    if found is None:
        return None
    from xner.tracking.store import search_all

    runs = search_all(
        mlflow_client,
        [found.experiment_id],
        f"{_same_job(cfg_hash)} and attributes.status = 'FINISHED'",
    )
    done = None
    for run in runs:  # the store's order: the newest first
        if not is_complete(run):
            mlflow_client.set_tag(run.info.run_id, ABANDONED_TAG, INCOMPLETE)
            mlflow_client.set_terminated(run.info.run_id, "KILLED")
            log.warning("run %s finished without its test metrics; marked KILLED", run.info.run_id)
        elif done is None:
            done = run.info.run_id
    return done


INCOMPLETE = "finished without its test metrics; marked KILLED by a rerun"


def is_complete(run: Any) -> bool:
    """Whether a FINISHED run holds everything its job logs: tagged ``xner.complete`` by xner,
    or (a run from before that tag) a ``train.py`` run with its ``test/f1``, or another app's."""
    tags = run.data.tags
    if COMPLETE_TAG in tags:
        return tags[COMPLETE_TAG] == "true"
    return tags.get(APP_TAG) != "train" or "test/f1" in run.data.metrics


def _process_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


def _gone(tags: dict[str, str], host: str) -> str | None:
    """Why the job of a RUNNING run is known to be gone, or None when it may be alive."""
    slurm = tags.get(SLURM_JOB_TAG)
    if slurm and job_gone(slurm):
        return f"SLURM job {slurm} ended"
    pid = tags.get(PID_TAG, "")
    if tags.get(HOST_TAG) == host and pid.isdigit() and _process_gone(int(pid)):
        return "process gone"
    return None


def mark_abandoned_runs(uri: str, experiment: str, cfg_hash: str) -> list[str]:
    """Mark KILLED the RUNNING runs of this job config whose process (here) or SLURM job is gone.

    A job killed outright (SIGKILL, out of memory, node loss) cannot end its own run; the
    rerun of the job does it. Runs of other hosts, or of live processes, are left alone.
    """
    return _end_abandoned(uri, experiment, _same_job(cfg_hash), "marked by a rerun")


def sweep_key(entry_point: str, overrides: list[str]) -> str:
    """Identity of a sweep: its app and command-line overrides (tag ``xner.sweep``)."""
    blob = json.dumps([entry_point, list(overrides)])
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def end_abandoned_parents(uri: str, experiment: str, key: str) -> list[str]:
    """Mark KILLED the RUNNING parent runs of earlier attempts of the same sweep (``key``) whose
    process on this host is gone: a sweep killed outright cannot end its parent run."""
    same_sweep = f"tags.`{SWEEP_TAG}` = '{key}' and tags.`{ROLE_TAG}` = '{PARENT_ROLE}'"
    return _end_abandoned(uri, experiment, same_sweep, "sweep killed; ended by its relaunch")


def _end_abandoned(uri: str, experiment: str, which: str, why: str) -> list[str]:
    """End KILLED (tagged with how it is known to be gone, and ``why``) the RUNNING runs
    matching ``which`` whose process or SLURM job is gone."""
    mlflow_client = client(uri)
    found = mlflow_client.get_experiment_by_name(experiment)
    if found is None:
        return []
    from xner.tracking.store import search_all

    runs = search_all(
        mlflow_client, [found.experiment_id], f"{which} and attributes.status = 'RUNNING'"
    )
    host = socket.gethostname()
    marked = []
    for run in runs:
        tags = run.data.tags
        gone = _gone(tags, host)
        if gone is None:
            continue
        mlflow_client.set_tag(run.info.run_id, ABANDONED_TAG, f"{gone}; {why}")
        mlflow_client.set_terminated(run.info.run_id, "KILLED")
        log.warning("run %s was left RUNNING by a killed process; marked KILLED", run.info.run_id)
        marked.append(run.info.run_id)
    return marked
