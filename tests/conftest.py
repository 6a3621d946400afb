"""Shared test setup: offline model hubs, the repo root on sys.path, the shared data folder,
Hypothesis's deterministic profile."""

import os
import sys
from pathlib import Path

import pytest
from hypothesis import settings

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))  # the top-level scripts (evaluate.py, train.py, ...)

# property tests: the same examples on every run (no example database), no time limit per example
settings.register_profile("xner", derandomize=True, database=None, deadline=None, max_examples=100)
settings.load_profile("xner")


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto``: one worker more than the cores, at most four. The tests wait on child
    processes (CLI runs, SLURM, servers) much of the time. Measured on 2 shared cores with
    ``python -m pytest -n N``: 3 workers 777 s and 844 s, 2 workers 852 s."""
    return min(4, (os.cpu_count() or 1) + 1)


# tests that share one expensive session resource run on one xdist worker, so it starts once
ONE_WORKER = {"slurm": "slurm", "postgres": "postgres"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.parent.name == "e2e":
            item.add_marker(pytest.mark.slow)  # tests/e2e/: whole sweeps, out of the fast loop
        groups = [group for marker, group in ONE_WORKER.items() if item.get_closest_marker(marker)]
        if item.path.name == "test_me5.py":
            groups.append("me5")  # its session fixtures compile e5.c and embed real text once
        if groups:
            item.add_marker(pytest.mark.xdist_group(groups[0]))


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """``../shared`` beside the repository (or $XNER_SHARED); missing is a failure, not a skip."""
    path = Path(os.environ.get("XNER_SHARED") or REPO_ROOT.parent / "shared").resolve()
    if not path.is_dir():
        pytest.fail(
            f"shared data folder {path} is missing: check out ../shared beside the repository "
            "or set XNER_SHARED=/path/to/shared"
        )
    return path


@pytest.fixture(scope="session")
def europarl_dir(shared_dir: Path) -> Path:
    """The Europarl-NER files (en, de) in ``shared/data/europarl``."""
    path = shared_dir / "data" / "europarl"
    missing = [
        lang for lang in ("en", "de") if not (path / f"{lang}-europarl.test.conll02").is_file()
    ]
    if missing:
        pytest.fail(f"{path} lacks the Europarl-NER file(s) for {', '.join(missing)}")
    return path


@pytest.fixture(scope="session")
def masakhaner2_dir(shared_dir: Path) -> Path:
    """The unmodified MasakhaNER 2.0 files (yor, swa) in ``shared/data/masakhaner2``."""
    path = shared_dir / "data" / "masakhaner2"
    missing = [
        f"{lang}/{split}.txt"
        for lang in ("yor", "swa")
        for split in ("train", "dev", "test")
        if not (path / lang / f"{split}.txt").is_file()
    ]
    if missing:
        pytest.fail(f"{path} lacks the MasakhaNER 2.0 file(s) {', '.join(missing)}")
    return path


@pytest.fixture(scope="module")
def postgres_mlflow_server(request):
    """PostgreSQL + an authenticated ``mlflow server`` (tests/tracking_server.py), per module."""
    from tracking_server import start_shared_store, stop_shared_store

    try:
        store = start_shared_store()
    except RuntimeError as err:  # the dev extra is missing: fail, never skip
        pytest.fail(str(err))
    yield store
    stop_shared_store(store)


@pytest.fixture
def shared_store(request, postgres_mlflow_server, monkeypatch):
    """The module's server, with this process logged in as the jobs' account.

    Only for tests marked ``postgres``, so ``-m 'not postgres'`` deselects every one of them.
    """
    from tracking_server import tracking_env

    if request.node.get_closest_marker("postgres") is None:
        pytest.fail(f"{request.node.nodeid} uses shared_store but is not marked postgres")
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    for name, value in tracking_env(postgres_mlflow_server).items():
        monkeypatch.setenv(name, value)
    return postgres_mlflow_server


@pytest.fixture(scope="module")
def slurm_cluster(tmp_path_factory):
    """A one-node SLURM cluster (xner.cluster.slurm_local) per module; missing packages fail."""
    from xner.cluster.slurm_local import LocalSlurm, missing_packages
    from xner.errors import ConfigError

    missing = missing_packages()
    if missing:
        pytest.fail(f"the slurm tests need the Debian packages {', '.join(missing)}")
    cluster = LocalSlurm(tmp_path_factory.mktemp("slurm"), cpus=4)  # 4 tasks at once
    try:
        cluster.start()
    except ConfigError as err:
        pytest.fail(str(err))
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def tiny_train_sweep(repo_root, tmp_path_factory):
    """Every method under ``+debug=tiny`` in one train.py sweep, run once per session
    (tests/tiny_runs.py); tests read its store and must not change it."""
    from tiny_runs import TRAIN_SWEEP, run_sweep, session_root, shared_sweep

    return shared_sweep(
        session_root(tmp_path_factory),
        "tiny_train_sweep",
        lambda folder: run_sweep(repo_root, folder, "train.py", TRAIN_SWEEP),
    )


@pytest.fixture(scope="session")
def tiny_project_sweep(repo_root, tmp_path_factory):
    """project.py's tiny pipeline with both projectors in one sweep, run once per session."""
    from tiny_runs import PROJECT_SWEEP, run_sweep, session_root, shared_sweep

    return shared_sweep(
        session_root(tmp_path_factory),
        "tiny_project_sweep",
        lambda folder: run_sweep(repo_root, folder, "project.py", PROJECT_SWEEP),
    )
