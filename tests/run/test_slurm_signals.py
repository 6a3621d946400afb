"""A job's run ends KILLED with the reason whenever a signal comes: for a SLURM task in the
checks before training and in the run's own ending too (CI saw a slow job get SIGUSR2 outside
training and end FAILED with submitit's error), and for every job while its run is being
started (a signal cut a store write in half, SQLite stayed locked and the sweep's parent run
stayed RUNNING)."""

import os
import signal
from types import SimpleNamespace

import pytest
from hydra.types import RunMode
from omegaconf import OmegaConf

from xner.run import app, signals


class FakeJob:
    """The job's run: the status it ends with and its tags."""

    run_id = "run-1"

    def __init__(self) -> None:
        self.status: str | None = None
        self.tags: dict[str, str] = {}

    def set_tags(self, tags: dict[str, str]) -> None:
        self.tags.update(tags)

    def finish(self, status: str) -> None:
        if self.status is None and status == "FINISHED" and self.signal_in_finish:
            os.kill(os.getpid(), signal.SIGUSR2)
        self.status = status

    signal_in_finish = False


def submitit_handler(signum, frame):
    raise RuntimeError("Job not requeued because: timed-out and not checkpointable.")


@pytest.fixture
def slurm_task(monkeypatch):
    """This process as a SLURM task of a sweep whose SIGUSR2 handler is submitit's."""
    monkeypatch.setenv("SUBMITIT_EXECUTOR", "slurm")
    monkeypatch.setenv("SLURM_JOB_ID", "7")
    hc = SimpleNamespace(
        mode=RunMode.MULTIRUN,
        runtime=SimpleNamespace(choices={}),
        overrides=SimpleNamespace(task=[]),
        job=SimpleNamespace(num=0),
    )
    monkeypatch.setattr(app.HydraConfig, "get", staticmethod(lambda: hc))
    monkeypatch.setattr(app.HydraConfig, "initialized", staticmethod(lambda: True))
    monkeypatch.setattr(app, "quiet_libraries", lambda: None)
    monkeypatch.setattr(app, "_before_run", lambda cfg, hc: (True, "parent-run"))
    previous = {signum: signal.getsignal(signum) for signum in signals.SLURM_TASK}
    signal.signal(signal.SIGUSR2, submitit_handler)
    yield
    for signum, handler in previous.items():
        signal.signal(signum, handler)


def _run(monkeypatch, job: FakeJob, check=lambda cfg: None) -> FakeJob:
    monkeypatch.setattr(app, "start_job_run", lambda *args: job)
    monkeypatch.setattr(app, "check_before_run", check)
    with pytest.raises(signals.Interrupted) as raised:
        app.run_job(OmegaConf.create({}), "train", lambda cfg, job: {"test/f1": 1.0})
    assert raised.value.run_id == "run-1"
    return job


def test_the_time_limit_signal_during_the_checks_ends_the_run_killed(slurm_task, monkeypatch):
    job = _run(monkeypatch, FakeJob(), check=lambda cfg: os.kill(os.getpid(), signal.SIGUSR2))
    assert job.status == "KILLED"
    assert job.tags["xner.error"] == (
        "interrupted (SIGUSR2): SLURM job 7's time limit is near (hydra.launcher.timeout_min)"
    )


def test_the_time_limit_signal_while_the_run_ends_ends_it_killed(slurm_task, monkeypatch):
    job = FakeJob()
    job.signal_in_finish = True
    assert _run(monkeypatch, job).status == "KILLED"
    assert job.tags["xner.error"].startswith("interrupted (SIGUSR2): SLURM job 7")


def test_submitits_handler_is_back_after_the_job(slurm_task, monkeypatch):
    monkeypatch.setattr(app, "start_job_run", lambda *args: FakeJob())
    monkeypatch.setattr(app, "check_before_run", lambda cfg: None)
    assert app.run_job(OmegaConf.create({}), "train", lambda cfg, job: {"f1": 1.0}) == {"f1": 1.0}
    assert signal.getsignal(signal.SIGUSR2) is submitit_handler


def test_the_time_limit_signal_before_the_run_exists_says_so(slurm_task, monkeypatch, capsys):
    def signalled(cfg, hc):
        os.kill(os.getpid(), signal.SIGUSR2)
        return True, "parent-run"

    monkeypatch.setattr(app, "_before_run", signalled)
    failures: list[str] = []
    main = app.one_line_errors(
        lambda: app.run_job(OmegaConf.create({}), "train", lambda cfg, job: {}), failures
    )
    assert main() is None and failures == ["0"]
    assert capsys.readouterr().err == "error: job 0: stopped before its run\n"


def _starts_signalled(signum: int, job: FakeJob):
    """A start_job_run that is signalled half-way through its store writes (seen under load)."""

    def start(*args):
        os.kill(os.getpid(), signum)
        return job

    return start


def test_a_signal_while_the_run_starts_waits_for_it_and_ends_it_killed(slurm_task, monkeypatch):
    job = FakeJob()
    monkeypatch.setattr(app, "start_job_run", _starts_signalled(signal.SIGUSR2, job))
    monkeypatch.setattr(app, "check_before_run", lambda cfg: None)
    with pytest.raises(signals.Interrupted) as raised:
        app.run_job(OmegaConf.create({}), "train", lambda cfg, job: {})
    assert raised.value.run_id == "run-1" and job.status == "KILLED"


def test_sigterm_while_a_local_run_starts_ends_it_killed(monkeypatch):
    hc = SimpleNamespace(
        mode=RunMode.RUN, runtime=SimpleNamespace(choices={}), overrides=SimpleNamespace(task=[])
    )
    monkeypatch.delenv("SUBMITIT_EXECUTOR", raising=False)
    monkeypatch.setattr(app.HydraConfig, "get", staticmethod(lambda: hc))
    monkeypatch.setattr(app, "quiet_libraries", lambda: None)
    monkeypatch.setattr(app, "_before_run", lambda cfg, hc: (True, None))
    job = FakeJob()
    monkeypatch.setattr(app, "start_job_run", _starts_signalled(signal.SIGTERM, job))
    with signals.installed(), pytest.raises(signals.Interrupted) as raised:
        app.run_job(OmegaConf.create({}), "train", lambda cfg, job: {})
    assert raised.value.run_id == "run-1" and job.status == "KILLED"
    assert job.tags["xner.error"] == "interrupted (SIGTERM)"
