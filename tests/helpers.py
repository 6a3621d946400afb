"""Helpers shared by test modules: the real Hydra CLIs with a private store, temporary stores."""

import atexit
import contextlib
import functools
import io
import logging
import os
import runpy
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]  # the checkout (helpers.py stays in tests/)
CONF_DIR = REPO_ROOT / "conf"


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment, offline, without an outside ``MLFLOW_TRACKING_URI``."""
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    env["HF_HUB_OFFLINE"] = "1"
    env.update(extra)
    return env


def store_uri(folder: Path) -> str:
    """The SQLite MLflow store that :func:`run_app` gives a run in ``folder``."""
    return f"sqlite:///{folder}/mlflow.db"


def composed(app: str, *overrides: str, hydra: bool = False) -> Any:
    """The config ``python <app>.py overrides...`` would run with, composed in this process
    (``hydra``: with Hydra's own node)."""
    from hydra import compose, initialize_config_dir

    from xner.config import register_resolvers

    register_resolvers()
    with initialize_config_dir(str(CONF_DIR), version_base="1.3"):
        return compose(app, overrides=list(overrides), return_hydra_config=hydra)


@functools.cache
def _group_node(group: str, name: str) -> dict:
    """conf/<group>/<name>.yaml as train.py composes it, interpolations resolved."""
    from omegaconf import OmegaConf

    return OmegaConf.to_container(composed("train", f"{group}={name}")[group], resolve=True)


def from_config(group: str, name: str, /, **overrides: Any) -> Any:
    """The object a user gets from ``<group>=<name>`` (the shipped file, not the class's
    constructor), with ``overrides`` replacing or adding keyword arguments (objects allowed)."""
    from xner.config import build

    node = {k: v for k, v in _group_node(group, name).items() if k not in overrides}
    return build(node, **overrides)


def app_arguments(tmp_path: Path, *overrides: str) -> list[str]:
    """The store, cache and outputs in ``tmp_path``, then ``overrides``."""
    return [
        f"tracking.uri={store_uri(tmp_path)}",
        f"cache.dir={tmp_path}/cache",
        f"paths.outputs={tmp_path}/outputs",
        *overrides,
    ]


def run_app(
    repo_root: Path,
    tmp_path: Path,
    app: str,
    *overrides: str,
    multirun: bool = False,
    timeout: float = 600,
) -> subprocess.CompletedProcess:
    """``python <app> [-m] ...``: a Hydra entry point with its store, cache and outputs in
    ``tmp_path``; ``overrides`` come last."""
    command = [sys.executable, app, *(["-m"] if multirun else []), *app_arguments(tmp_path)]
    return subprocess.run(
        [*command, *overrides],
        cwd=repo_root,
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=timeout,
    )


def run_app_here(
    repo_root: Path, tmp_path: Path, app: str, *overrides: str
) -> subprocess.CompletedProcess:
    """:func:`run_app` for a single run in this process: the script run as ``__main__`` (choices,
    plan, Hydra, checks), its exit status from ``SystemExit``; for refusals before any work."""
    out, err = io.StringIO(), io.StringIO()
    argv = [app, *app_arguments(tmp_path), *overrides]
    with _process_state_kept(repo_root, argv), _redirected(out, err):
        try:
            runpy.run_path(str(repo_root / app), run_name="__main__")
            status = 0
        except SystemExit as exit_:
            status = exit_.code if isinstance(exit_.code, int) else int(exit_.code is not None)
    return subprocess.CompletedProcess(argv, status, out.getvalue(), err.getvalue())


@contextlib.contextmanager
def _redirected(out: io.StringIO, err: io.StringIO) -> Iterator[None]:
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        yield


@contextlib.contextmanager
def _process_state_kept(repo_root: Path, argv: list[str]) -> Iterator[None]:
    """What a Hydra run changes in its process (argv, cwd, environment, logging, Hydra's
    singletons), put back afterwards; the environment is :func:`clean_env`'s meanwhile."""
    from hydra.core.global_hydra import GlobalHydra

    saved_argv, saved_cwd, saved_env = sys.argv, os.getcwd(), dict(os.environ)
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    sys.argv = argv
    os.chdir(repo_root)
    os.environ.clear()
    os.environ.update(clean_env())
    try:
        yield
    finally:
        for handler in [h for h in root.handlers if h not in handlers]:
            handler.close()
        root.handlers[:], root.level = handlers, level
        os.environ.clear()
        os.environ.update(saved_env)
        os.chdir(saved_cwd)
        sys.argv = saved_argv
        GlobalHydra.instance().clear()


def error_line(done: subprocess.CompletedProcess) -> str:
    """The one ``error:`` line of a refused run (exit 2, no traceback)."""
    assert done.returncode == 2, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, done.stderr[-2000:]
    return errors[0]


@functools.cache
def _empty_store() -> Path:
    """This process's SQLite store with MLflow's tables and nothing else, made once (its
    migrations take seconds) and copied for each new store."""
    from mlflow.tracking import MlflowClient

    folder = Path(tempfile.mkdtemp(prefix="xner-empty-store-"))
    atexit.register(shutil.rmtree, folder, True)
    MlflowClient(tracking_uri=store_uri(folder)).search_experiments()
    return folder / "mlflow.db"


def mlflow_store(root: Path) -> tuple[str, Any, str]:
    """A new SQLite MLflow store in ``root`` with an ``xner`` experiment: (uri, client, id).

    A copy of an empty store made once per process: the in-process tests that need a store
    do not test its creation (the CLI tests do, on stores of their own)."""
    from mlflow.tracking import MlflowClient  # imported when used: mlflow is slow to import

    root.mkdir(parents=True, exist_ok=True)
    if not (root / "mlflow.db").exists():
        shutil.copyfile(_empty_store(), root / "mlflow.db")
    uri = store_uri(root)
    client = MlflowClient(tracking_uri=uri)
    experiment = client.create_experiment("xner", artifact_location=(root / "artifacts").as_uri())
    return uri, client, experiment


# conf/debug/tiny.yaml sizes the synthetic corpus; another corpus takes no n_* keys
NOT_SYNTHETIC = ("~data.n_train", "~data.n_dev", "~data.n_test")


def write_language(root: Path, lang: str = "zz", dev: bool = False) -> Path:
    """``root/lang/{train,test}.txt`` (no dev unless asked) from the synthetic corpus, as a user's
    files may be: CR LF line ends and a byte order mark in train, an orphan I- tag in test."""
    from xner.data.conll import format_conll
    from xner.data.synthetic import generate

    corpus = generate(seed=3, n_train=40, n_dev=8, n_test=16)
    folder = root / lang
    folder.mkdir(parents=True)
    train = format_conll(corpus.split("syn", "train"))
    (folder / "train.txt").write_bytes(b"\xef\xbb\xbf" + train.replace("\n", "\r\n").encode())
    test = corpus.split("syn", "test")
    first = next(s for s in test if s.tags[0].startswith("B-"))
    first.tags[0] = "I-" + first.tags[0][2:]  # an I- at a sentence start: an orphan
    (folder / "test.txt").write_text(format_conll(test), encoding="utf-8")
    if dev:
        (folder / "dev.txt").write_text(format_conll(corpus.split("syn", "dev")), "utf-8")
    return root
