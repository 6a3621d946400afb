"""The tiny sweeps several end-to-end tests share (run once per test session, also across
pytest-xdist workers), and the numbers of theirs that ``tests/pinned/tiny_runs.json`` pins."""

import json
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from helpers import run_app, store_uri
from sweep_support import TINY

# Every method (every projector of the methods that project) on the synthetic corpus, in one
# sweep: train.py trains the source model once for all of them, and each ensemble finds its
# parts in the stage cache. log_every_n_steps=1: each training step's loss is a metric.
TRAIN_VARIANTS = (
    "supervised",
    "model_transfer",
    "teacher_student",
    "translate_test_heuristic",
    "translate_test_ilp",
    "translate_train_heuristic",
    "translate_train_ilp",
    "ensemble_heuristic",
    "ensemble_ilp",
)
TRAIN_SWEEP = (
    "+debug=tiny",
    "lang=syn",
    "+variant=" + ",".join(TRAIN_VARIANTS),
    "trainer.log_every_n_steps=1",
)
# project.py's tiny translate-test pipeline (20 test sentences), both projectors on one alignment
PROJECT_SWEEP = (*TINY, "projector=heuristic,ilp")

PINNED = Path(__file__).resolve().parent / "pinned" / "tiny_runs.json"
REGENERATE = "python tests/pinned/regenerate.py"
LOSS_TOLERANCE = 1e-4


@dataclass(frozen=True)
class Sweep:
    """A finished ``-m`` run of an app: its folder (store, cache, outputs) and its output."""

    folder: Path
    returncode: int
    stdout: str
    stderr: str

    @property
    def uri(self) -> str:
        return store_uri(self.folder)

    def check(self) -> None:
        assert self.returncode == 0, self.stdout[-2000:] + self.stderr[-4000:]


def run_sweep(repo_root: Path, folder: Path, app: str, overrides: tuple[str, ...]) -> Sweep:
    folder.mkdir(parents=True, exist_ok=True)
    done = run_app(repo_root, folder, app, *overrides, multirun=True, timeout=1800)
    return Sweep(folder, done.returncode, done.stdout, done.stderr)


def shared_sweep(root: Path, name: str, run: Callable[[Path], Sweep]) -> Sweep:
    """``run(root / name)`` once for every process of the session: the first one to take the
    lock runs it and writes what it printed beside it; the others read that."""
    from filelock import FileLock

    folder = root / name
    record = root / f"{name}.json"
    with FileLock(str(root / f"{name}.lock")):
        if not record.exists():
            done = run(folder)
            fields = {"returncode": done.returncode, "stdout": done.stdout, "stderr": done.stderr}
            record.write_text(json.dumps(fields), encoding="utf-8")
    return Sweep(folder, **json.loads(record.read_text(encoding="utf-8")))


def session_root(tmp_path_factory) -> Path:
    """A folder all pytest-xdist workers of this session share (the session's own otherwise)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


# --- the pinned numbers -------------------------------------------------------------------------


def job_runs(uri: str) -> list:
    """The job runs (children of the sweep's parent) of the ``xner`` experiment in ``uri``."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name("xner")
    runs = client.search_runs([experiment.experiment_id])
    return [r for r in runs if "mlflow.parentRunId" in r.data.tags]


def train_numbers(uri: str, downloads: Path) -> dict:
    """Per job (its variant): every training loss each step logged, and the test entity counts
    of its logged predictions."""
    from mlflow.tracking import MlflowClient

    from xner.data.conll import read_conll
    from xner.evaluation.metrics import count

    client = MlflowClient(tracking_uri=uri)
    numbers = {}
    for run in job_runs(uri):
        run_id = run.info.run_id
        losses = {
            key: [m.value for m in sorted(client.get_metric_history(run_id, key), key=_step)]
            for key in sorted(run.data.metrics)
            if key.endswith("train/loss")
        }
        files = [
            read_conll(client.download_artifacts(run_id, f"predictions/{name}", str(downloads)))
            for name in ("test.conll", "test.gold.conll")
        ]
        pred, gold = ([s.tags for s in sentences] for sentences in files)
        correct, predicted, total = count(pred, gold).totals()
        test = {"correct": correct, "predicted": predicted, "gold": total}
        numbers[run.data.tags["variant"]] = {"losses": losses, "test": test}
    return dict(sorted(numbers.items()))


def _step(metric) -> int:
    return metric.step


def project_numbers(uri: str, downloads: Path) -> dict:
    """Per projector: the projected tags of each sentence (one string per sentence)."""
    from mlflow.tracking import MlflowClient

    from xner.data.conll import read_conll

    client = MlflowClient(tracking_uri=uri)
    numbers = {}
    for run in job_runs(uri):
        path = client.download_artifacts(
            run.info.run_id, "projected/translate_test.test.conll", str(downloads)
        )
        numbers[run.data.tags["projector"]] = [" ".join(s.tags) for s in read_conll(path)]
    return dict(sorted(numbers.items()))


def environment() -> dict:
    """The libraries the numbers were computed with (a float may move with any of them)."""
    import importlib.metadata as metadata

    return {name: metadata.version(name) for name in ("torch", "transformers", "eflomal")}


def differences(pinned: dict, now: dict, path: str = "") -> list[str]:
    """What moved between two pinned-number trees: one line per number, named by its path."""
    if isinstance(pinned, dict) and isinstance(now, dict):
        lines = [f"{path}/{k}: pinned but no longer produced" for k in pinned if k not in now]
        lines += [f"{path}/{k}: produced but not pinned" for k in now if k not in pinned]
        for key in (k for k in pinned if k in now):
            lines += differences(pinned[key], now[key], f"{path}/{key}")
        return lines
    if isinstance(pinned, list) and isinstance(now, list):
        if len(pinned) != len(now):
            return [f"{path}: {len(pinned)} values pinned, {len(now)} now"]
        return [
            line
            for i, (a, b) in enumerate(zip(pinned, now, strict=True))
            for line in differences(a, b, f"{path}[{i}]")
        ]
    if isinstance(pinned, float) or isinstance(now, float):
        if math.isclose(pinned, now, rel_tol=0.0, abs_tol=LOSS_TOLERANCE):
            return []
        return [f"{path}: pinned {pinned!r}, now {now!r} (tolerance {LOSS_TOLERANCE})"]
    return [] if pinned == now else [f"{path}: pinned {pinned!r}, now {now!r}"]


def moved_message(what: str, lines: list[str], pinned_env: dict) -> str:
    """The failure of a pinned-numbers test: which numbers moved and how to pin new ones."""
    now = environment()
    changed = [f"{k} {pinned_env.get(k)} -> {v}" for k, v in now.items() if pinned_env.get(k) != v]
    return "\n".join(
        [
            f"{len(lines)} number(s) of the tiny {what} runs moved from {PINNED.name}:",
            *lines[:40],
            *([f"... and {len(lines) - 40} more"] if len(lines) > 40 else []),
            *(
                [f"(the libraries changed since they were pinned: {', '.join(changed)})"]
                if changed
                else []
            ),  # fmt: skip
            f"If the change is intended (a training or projection change, new eflomal settings "
            f"in conf/aligner/eflomal.yaml), pin the new numbers with `{REGENERATE}` and commit "
            f"the diff of tests/pinned/{PINNED.name} with the change.",
        ]
    )


# the shipped projectors on fixed real links: one eflomal alignment of the 799 Europarl-NER
# en->de pairs kept in ../shared (data/europarl/thesis-reference, intersection of its directions)
PROJECTORS = ("heuristic", "ilp")


def reference_links(europarl: Path) -> tuple[list, list, list[set[tuple[int, int]]]]:
    """English and German sentences and the fixed intersected links of each pair."""
    from xner.data.conll import read_conll

    src = read_conll(europarl / "en-europarl.test.conll02")
    tgt = read_conll(europarl / "de-europarl.test.conll02")
    sides = []
    for name in ("eflomal-de.fwd", "eflomal-de.rev"):
        lines = (europarl / "thesis-reference" / name).read_text(encoding="utf-8").split("\n")
        sides.append(
            [{tuple(map(int, p.split("-"))) for p in line.split()} for line in lines[: len(src)]]
        )
    return src, tgt, [f & r for f, r in zip(*sides, strict=True)]


def projector_numbers(repo_root: Path, europarl: Path) -> dict:
    """Per shipped projector (conf/projector/<name>.yaml): the entity counts of its projection
    of the gold English entities onto German over the fixed links, and a digest of every tag."""
    import hashlib

    from hydra.utils import instantiate
    from omegaconf import OmegaConf

    from xner.data.tags import entities
    from xner.evaluation.metrics import count

    src, tgt, links = reference_links(europarl)
    numbers = {}
    for name in PROJECTORS:
        projector = instantiate(OmegaConf.load(repo_root / "conf" / "projector" / f"{name}.yaml"))
        pred = [
            projector.project(s.words, entities(s.tags), t.words, lk).tags(len(t.words))
            for s, t, lk in zip(src, tgt, links, strict=True)
        ]
        correct, predicted, total = count(pred, [t.tags for t in tgt]).totals()
        digest = hashlib.sha256("\n".join(" ".join(tags) for tags in pred).encode()).hexdigest()
        numbers[name] = {"correct": correct, "predicted": predicted, "gold": total}
        numbers[name]["tags_sha256"] = digest[:16]
    return numbers


def run_pinned_sweeps(repo_root: Path, folder: Path) -> dict:
    """Both sweeps in ``folder`` and the numbers they produce, as ``tiny_runs.json`` holds them."""
    train = run_sweep(repo_root, folder / "train", "train.py", TRAIN_SWEEP)
    train.check()
    project = run_sweep(repo_root, folder / "project", "project.py", PROJECT_SWEEP)
    project.check()
    return {
        "regenerate": REGENERATE,
        "train.py": {"overrides": list(TRAIN_SWEEP)},
        "project.py": {"overrides": list(PROJECT_SWEEP)},
        "environment": environment(),
        "train": train_numbers(train.uri, folder / "downloads"),
        "project": project_numbers(project.uri, folder / "downloads"),
        "projectors_on_reference_links": projector_numbers(repo_root, europarl_dir()),
    }


def europarl_dir() -> Path:
    """``../shared/data/europarl`` (or under $XNER_SHARED), as tests/conftest.py finds it."""
    import os

    shared = os.environ.get("XNER_SHARED") or Path(__file__).resolve().parents[2] / "shared"
    return Path(shared) / "data" / "europarl"
