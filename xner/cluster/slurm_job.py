"""Which SLURM job this process is, and whether a job named in a run is still alive."""

import os
import shutil
import signal
import subprocess

ALIVE = ("PENDING", "RUNNING", "CONFIGURING", "COMPLETING", "SUSPENDED", "REQUEUED", "RESIZING")


def current_job(env: dict[str, str] | None = None) -> str | None:
    """``<array job>_<task>`` for an array task, the job id otherwise; None outside SLURM."""
    env = os.environ if env is None else env
    if env.get("SLURM_ARRAY_JOB_ID") and env.get("SLURM_ARRAY_TASK_ID"):
        return f"{env['SLURM_ARRAY_JOB_ID']}_{env['SLURM_ARRAY_TASK_ID']}"
    return env.get("SLURM_JOB_ID") or None


def _squeue(job: str, fields: str) -> list[str] | None:
    """``squeue``'s ``fields`` for the job; None when SLURM no longer lists it or can't say."""
    if shutil.which("squeue") is None:
        return None
    try:
        done = subprocess.run(
            ["squeue", "-h", "-j", job, "-o", fields],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = done.stdout.split()
    return lines[0].split("|") if done.returncode == 0 and lines else None


def job_state(job: str) -> str | None:
    """The job's state by ``squeue`` (RUNNING, PENDING, ...); None when SLURM no longer lists it
    or cannot be asked (then nobody can tell whether it lives)."""
    found = _squeue(job, "%T")
    return found[0] if found else None


def slurm_seconds(text: str) -> int | None:
    """Seconds in SLURM's ``[days-][hours:]minutes:seconds`` (``squeue`` %M, %l); None for
    UNLIMITED, NOT_SET or anything else."""
    days, _, clock = text.strip().rpartition("-")
    parts = clock.split(":")
    if (
        not 2 <= len(parts) <= 3
        or not all(p.isdigit() for p in parts)
        or not (days == "" or days.isdigit())
    ):
        return None
    seconds = 0
    for part in parts:
        seconds = seconds * 60 + int(part)
    return seconds + int(days or 0) * 86400


def past_time_limit(state: str, used: str, limit: str) -> bool:
    """Whether a job SLURM is ending was ended by its time limit: SLURM says TIMEOUT, or the time
    it ran reached its limit (while it ends, ``squeue`` shows COMPLETING, not TIMEOUT)."""
    if state == "TIMEOUT":
        return True
    used_s, limit_s = slurm_seconds(used), slurm_seconds(limit)
    return used_s is not None and limit_s is not None and used_s >= limit_s


def job_gone(job: str) -> bool:
    """Whether SLURM says the job ended (it lists it no more, or in a final state)."""
    if shutil.which("squeue") is None:
        return False
    state = job_state(job)
    return state is None or state not in ALIVE


def slurm_reason(signum: int, job: str | None) -> str:
    """What SLURM's signal means: the time limit near (SIGUSR2), or the job ended (SIGTERM:
    ``scancel``, the time limit reached, preemption), with the state SLURM shows."""
    if signum == signal.SIGUSR2:
        return f"SLURM job {job}'s time limit is near (hydra.launcher.timeout_min)"
    if signum == signal.SIGTERM:
        found = _squeue(job, "%T|%M|%l") if job else None
        if found is None or len(found) != 3:
            return f"SLURM ended job {job}"
        state, used, limit = found
        if past_time_limit(state, used, limit):
            return f"SLURM ended job {job} at its time limit ({limit}, hydra.launcher.timeout_min)"
        return f"SLURM ended job {job} (state {state})"
    return f"SLURM job {job} was signalled"
