"""The one entry point of the Hydra apps (``train.py``, ``project.py``), as plain steps:

1. check the config-group choices and plan the command line (:class:`SweepPlan`); a sweep's
   jobs are checked before any MLflow run exists (one ``error:`` line, exit status 2);
2. hand the planned command line to Hydra, which reads only ``sys.argv`` (no public Hydra API
   takes an argument list), with a :class:`~xner.run.sweep_record.SweepRecord` the sweep's
   callback reports its parent run and failed jobs to;
3. run Hydra with the job body wrapped by :func:`xner.run.app.one_line_errors`, which notes the
   jobs of this process that failed in a list it is given;
4. an interrupt (Ctrl-C, SIGTERM) or a crash ends the sweep's parent run KILLED or FAILED and
   prints one line; a sweep with a failed job exits 1.
"""

import sys
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

import hydra
from omegaconf import DictConfig

from xner.errors import ConfigError
from xner.paths import CONF_DIR
from xner.run import signals
from xner.run.app import one_line_errors
from xner.run.callbacks import end_interrupted
from xner.run.choices import check_choices
from xner.run.command_line import check_modes, hydra_help_argv, override_words
from xner.run.stdout import stdout_may_close
from xner.run.sweep import (
    defaults_of,
    job_overrides,
    left_out_lines,
    plan,
    preset_sweep,
    refusal,
    shared_output,
    sweep_checks,
)
from xner.run.sweep_record import RECORD_OVERRIDE, SweepRecord

Main = Callable[[DictConfig], Any]


@dataclass(frozen=True)
class SweepPlan:
    """The command line as Hydra will run it and, under ``-m``, the override list of each job."""

    argv: list[str]
    multirun: bool
    jobs: list[list[str]] = field(default_factory=list)

    @classmethod
    def of(cls, argv: Sequence[str], config_name: str, columns: bool) -> "SweepPlan":
        """``columns``: a bare ``-m`` sweeps the gap table's columns (train.py)."""
        check_modes(argv)
        help_argv = hydra_help_argv(argv)
        if help_argv is not None:
            return cls(help_argv, multirun=False)
        multirun = any(a in ("-m", "--multirun") for a in argv)
        planned = plan(argv, defaults_of(config_name), multirun, columns)
        jobs = job_overrides([*preset_sweep(planned), *planned]) if multirun else []
        return cls(planned, multirun, jobs)

    def refusal(self, config_name: str) -> str | None:
        """Why no job of the sweep can run (or two would write one file); None when some can,
        after one line per language and reason for the jobs it leaves out (``skip_unavailable``)."""
        if not self.multirun:
            return None
        checks = sweep_checks(config_name, self.jobs)
        reason = shared_output(self.jobs) or refusal([c.problems for c in checks])
        if reason is None:
            for line in left_out_lines(checks):
                print(line, file=sys.stderr)
        return reason

    def hydra_argv(self, record: SweepRecord | None) -> list[str]:
        """The arguments Hydra reads: a sweep also names the record its callback writes."""
        if record is None:
            return list(self.argv)
        given = override_words(self.argv)
        at = next((i for i, a in enumerate(self.argv) if a in given), len(self.argv))
        return [*self.argv[:at], f"{RECORD_OVERRIDE}={record.path}", *self.argv[at:]]


def xner_app(config_name: str, columns: bool = True) -> Callable[[Main], Callable[[], Any]]:
    """The decorator of an app's ``main(cfg)``: the steps of this module's docstring."""

    def decorate(body: Main) -> Callable[[], Any]:
        @stdout_may_close
        def main() -> Any:
            argv = sys.argv[1:]
            try:
                check_choices(argv)
                sweep = SweepPlan.of(argv, config_name, columns)
                reason = sweep.refusal(config_name)
                if reason:
                    raise ConfigError(reason)
            except ConfigError as err:
                print(f"error: {err}", file=sys.stderr)
                sys.exit(2)
            failures: list[str] = []
            job = one_line_errors(body, failures)
            run = hydra.main(config_path=str(CONF_DIR), config_name=config_name, version_base="1.3")
            run = run(job)
            with SweepRecord.temporary() if sweep.multirun else nullcontext() as record:
                sys.argv[1:] = sweep.hydra_argv(record)
                result = _run(run, record)
                if failures or (record is not None and record.failed_jobs):
                    sys.exit(1)
            return result

        main.__doc__ = body.__doc__
        return main

    return decorate


def _run(run: Callable[[], Any], record: SweepRecord | None) -> Any:
    """Hydra's run under xner's signal handlers; an interrupt or crash ends the open parent."""
    with signals.installed():
        try:
            return run()
        except BaseException as err:
            open_parent = record.open_parent if record is not None else None
            signum = signals.signal_of(err)
            if signum is None:
                end_interrupted(open_parent, err)
                raise
            signals.ignore()
            ended = [*_run_of(err), *end_interrupted(open_parent, err)]
            print(_interrupted_line(signum, ended), file=sys.stderr)
            sys.exit(signals.exit_status(signum))


def _run_of(err: BaseException) -> list[str]:
    """The job's run an interrupt ended, if it had one."""
    run_id = getattr(err, "run_id", None)
    return [f"run {run_id}"] if run_id else []


def _interrupted_line(signum: int, ended: Sequence[str]) -> str:
    """``interrupted (SIGINT): run … and the sweep's parent run … ended KILLED``: one line."""
    what = " and ".join(ended) + " ended KILLED" if ended else "no run was started"
    return f"interrupted ({signals.name(signum)}): {what}"
