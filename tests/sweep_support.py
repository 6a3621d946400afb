"""Helpers for the sweep and fault tests: the real CLI in a subprocess, stores, a local server."""

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from mlflow.tracking import MlflowClient

from helpers import clean_env

# conf/debug/tiny.yaml; the fault tests count the 20 test sentences of a job
TINY = ("+debug=tiny", "data.n_test=20")
# A dead server must fail in seconds, not after MLflow's default retries with backoff.
FAST_FAIL = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0", "MLFLOW_HTTP_REQUEST_TIMEOUT": "10"}


def project_command(tmp: Path, *overrides: str, uri: str | None = None, multirun: bool = False):
    """``python project.py`` on the small synthetic corpus with every location under ``tmp``."""
    given = {o.split("=", 1)[0] for o in overrides}
    small = [o for o in TINY if o.split("=", 1)[0] not in given]
    command = [sys.executable, "project.py", *(["-m"] if multirun else []), *small]
    command += [f"cache.dir={tmp}/cache", f"paths.outputs={tmp}/outputs"]
    if uri:
        command.append(f"tracking.uri={uri}")
    return command + list(overrides)


def run_cli(command: list[str], cwd: Path, env: Mapping[str, str] | None = None, timeout=900):
    return subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, env=env or clean_env(), timeout=timeout
    )


def all_runs(uri: str, experiment: str = "xner") -> list:
    client = MlflowClient(tracking_uri=uri)
    found = client.get_experiment_by_name(experiment)
    assert found is not None, f"no experiment {experiment!r} in {uri}"
    return client.search_runs([found.experiment_id], run_view_type=3, max_results=1000)


def split_runs(runs: list) -> tuple[list, list]:
    parents = [r for r in runs if r.data.tags.get("xner.role") == "parent"]
    children = [r for r in runs if "mlflow.parentRunId" in r.data.tags]
    return parents, children


def assert_one_parent_with_children(uri: str, n_children: int, experiment: str = "xner") -> list:
    """One FINISHED parent, ``n_children`` FINISHED children under it, no duplicate jobs."""
    runs = all_runs(uri, experiment)
    parents, children = split_runs(runs)
    assert len(runs) == 1 + n_children, [(r.info.run_name, r.info.status) for r in runs]
    assert len(parents) == 1 and parents[0].info.status == "FINISHED"
    assert len(children) == n_children
    assert {c.data.tags["mlflow.parentRunId"] for c in children} == {parents[0].info.run_id}
    assert all(c.info.status == "FINISHED" for c in children)
    assert all("test/f1" in c.data.metrics for c in children)
    hashes = [c.data.tags["xner.config_hash"] for c in children]
    assert len(set(hashes)) == n_children, "two runs of the same job config"
    return children


def assert_projector_seed_grid(children: list) -> None:
    """The 4 jobs of ``projector=heuristic,ilp seed=1,2``, run in more than one process."""
    assert {(c.data.tags["projector"], c.data.tags["seed"]) for c in children} == {
        ("heuristic", "1"),
        ("heuristic", "2"),
        ("ilp", "1"),
        ("ilp", "2"),
    }
    assert len({c.data.tags["xner.pid"] for c in children}) > 1, "jobs ran in one process"


def assert_sqlite_healthy(db: Path) -> None:
    with sqlite3.connect(db) as con:
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        (version,) = con.execute("SELECT version_num FROM alembic_version").fetchone()
        assert version


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_alive(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=3) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


@contextmanager
def mlflow_server(tmp: Path, startup_s: float = 180.0) -> Iterator[tuple[str, subprocess.Popen]]:
    """A real ``mlflow server`` on loopback with a SQLite backend and proxied artifacts in ``tmp``.

    Started in its own process group, so stopping it also stops its uvicorn workers.
    """
    tmp.mkdir(parents=True, exist_ok=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [
        *(sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", str(port)),
        *("--backend-store-uri", f"sqlite:///{tmp}/server.db"),
        *("--artifacts-destination", str(tmp / "artifacts"), "--workers", "1"),
    ]
    log = open(tmp / "server.log", "w")
    server = subprocess.Popen(
        command, cwd=tmp, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        deadline = time.monotonic() + startup_s
        while not server_alive(url):
            if server.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(
                    f"mlflow server did not answer on {url}: "
                    + (tmp / "server.log").read_text()[-2000:]
                )
            time.sleep(0.5)
        yield url, server
    finally:
        stop_group(server)
        log.close()


def wait_for(condition, what: str, timeout: float, process: subprocess.Popen | None = None):
    """Poll ``condition`` until it returns something true; fail if ``process`` ends first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        if process is not None and process.poll() is not None:
            raise AssertionError(f"process ended (rc {process.returncode}) before {what}")
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def stop_group(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    """Stop a process started with ``start_new_session=True`` and everything it started."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, sig)
            process.wait(timeout=20)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=20)
    try:  # workers the leader left behind
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def driver_command(hook: str, app: str, tmp: Path, *overrides: str, multirun: bool = False):
    """``app`` on the tiny synthetic corpus through ``tests/interrupt_driver.py`` with ``hook``,
    its store, cache and outputs under ``tmp``."""
    from helpers import app_arguments

    return [
        *(sys.executable, "tests/interrupt_driver.py", hook, app),
        *(["-m"] if multirun else []),
        *TINY,
        *app_arguments(tmp, *overrides),
    ]


def signalled_command(
    command: list[str],
    cwd: Path,
    sig: int,
    env: Mapping[str, str],
    logs: Path,
    at_mark=None,
    group: bool = True,
    timeout: float = 300,
) -> subprocess.CompletedProcess:
    """Run a :func:`driver_command` in its own session (its output in files in ``logs``); once
    its hook prints its mark, call ``at_mark()`` and send ``sig`` to its process group (a
    terminal's Ctrl-C reaches every process of the group) or, with ``group=False``, to it
    alone (``kill PID``)."""
    from interrupt_driver import MARK

    logs.mkdir(parents=True, exist_ok=True)
    out, err = logs / "signalled.out", logs / "signalled.err"
    with open(out, "w") as stdout, open(err, "w") as stderr:
        process = subprocess.Popen(
            command, cwd=cwd, env=dict(env), stdout=stdout, stderr=stderr, start_new_session=True
        )
    try:
        wait_for(lambda: MARK in err.read_text(), "the hook", timeout, process)
        if at_mark is not None:
            at_mark()
        if group:
            os.killpg(process.pid, sig)
        else:
            os.kill(process.pid, sig)
        process.wait(timeout=timeout)
    finally:
        stop_group(process, signal.SIGKILL)
    return subprocess.CompletedProcess(
        command, process.returncode, out.read_text(), err.read_text()
    )
