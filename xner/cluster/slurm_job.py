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


def job_state(job: str) -> str | None:
    """The job's state by ``squeue`` (RUNNING, PENDING, ...); None when SLURM no longer lists it
    or cannot be asked (then nobody can tell whether it lives)."""
    if shutil.which("squeue") is None:
        return None
    try:
        done = subprocess.run(
            ["squeue", "-h", "-j", job, "-o", "%T"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    states = done.stdout.split()
    return states[0] if done.returncode == 0 and states else None


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
        state = job_state(job) if job else None
        return f"SLURM ended job {job}" + (f" (state {state})" if state else "")
    return f"SLURM job {job} was signalled"
