"""Same command, same numbers: cold tiny runs repeat with their seed; what cannot is tagged."""

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from helpers import composed, run_app, store_uri
from xner.config import group_config
from xner.methods.teacher_student import TeacherStudent
from xner.methods.translate_test import TranslateTest
from xner.methods.translate_train import TranslateTrain
from xner.tracking.determinism import nondeterministic_parts, on_gpu
from xner.tracking.job_tags import job_tags
from xner.tracking.names import NONDETERMINISTIC_TAG

UNSEEDED = "aligner unseeded (aligner.seed=null)"

MEASURED = ("cost/", "system/")  # what a run cost: measured, never the same twice


def resolved(*overrides: str) -> dict:
    return group_config(composed("train", *overrides))


def no_gpu() -> bool:
    return False


def gpu() -> bool:
    return True


def test_a_cpu_run_with_a_seeded_aligner_is_deterministic():
    cfg = resolved("+variant=translate_train_heuristic", "trainer.accelerator=cpu")
    assert cfg["aligner"]["seed"] == cfg["seed"]
    assert nondeterministic_parts(cfg, TranslateTrain.kind, no_gpu) == []


def test_the_parts_that_stay_nondeterministic():
    cfg = resolved("+variant=translate_test_heuristic", "aligner.seed=null", "translator=hf")
    cfg["translator"]["model"] = "m"
    assert nondeterministic_parts(cfg, TranslateTest.kind, no_gpu) == [UNSEEDED]
    assert nondeterministic_parts(cfg, TranslateTest.kind, gpu) == [
        "training on GPU",
        "translator on GPU",
        "labeler on GPU",
        UNSEEDED,
    ]
    # methods that never align or translate are not marked for the aligner or translator
    assert nondeterministic_parts(cfg, TeacherStudent.kind, no_gpu) == []
    markers = resolved("+variant=translate_test_markers", "aligner.seed=null")
    assert nondeterministic_parts(markers, TranslateTest.kind, no_gpu) == []
    simalign = resolved("+variant=translate_test_heuristic", "aligner=simalign")
    assert nondeterministic_parts(simalign, TranslateTest.kind, gpu)[-1] == "aligner on GPU"


def test_devices():
    assert on_gpu("cuda:1", no_gpu) and on_gpu("gpu", no_gpu) and on_gpu("auto", gpu)
    assert not on_gpu("auto", no_gpu) and not on_gpu("cpu", gpu) and not on_gpu(None, gpu)


def test_the_job_run_carries_the_tag_only_when_something_is_nondeterministic():
    choices = {"method": "translate_train", "projector": "heuristic"}
    seeded = resolved("+variant=translate_train_heuristic", "trainer.accelerator=cpu")
    assert NONDETERMINISTIC_TAG not in job_tags(seeded, "train", choices, None, "c", False)
    unseeded = resolved(
        "+variant=translate_train_heuristic", "trainer.accelerator=cpu", "aligner.seed=null"
    )
    tags = job_tags(unseeded, "train", choices, None, "c", False)
    assert tags[NONDETERMINISTIC_TAG] == UNSEEDED


# --- two cold tiny runs -------------------------------------------------------------------------


def tiny_run(repo_root: Path, folder: Path, seed: int) -> tuple[dict, dict, list[str]]:
    """A cold ``+debug=tiny`` translate-train run (its own store and stage cache): every
    logged metric's full history, its tags, and the cached alignments and projections."""
    from mlflow.tracking import MlflowClient

    done = run_app(
        repo_root,
        folder,
        "train.py",
        "+debug=tiny",
        "+variant=translate_train_heuristic",
        f"seed={seed}",
        # one sampler, no collocation units: the seed's effect on the links shows on 40 tiny
        # sentences (eflomal's defaults, made stable across seeds, give them the same links)
        "aligner.n_samplers=1",
        "aligner.collocation_share=0.0",
        "trainer.log_every_n_steps=1",  # the training loss of every step joins the metrics
        timeout=900,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    client = MlflowClient(tracking_uri=store_uri(folder))
    (run,) = client.search_runs([client.get_experiment_by_name("xner").experiment_id])
    history = {  # what the run computed and read from the cache, not what it cost
        key: [(m.step, m.value) for m in client.get_metric_history(run.info.run_id, key)]
        for key in run.data.metrics
        if not key.startswith(MEASURED)
    }
    stages = [
        path.read_text(encoding="utf-8")
        for stage in ("align", "project")
        for path in sorted((folder / "cache" / stage).glob("*/value.json"))
    ]
    return history, run.data.tags, stages


@pytest.mark.slow
def test_two_cold_tiny_runs_with_one_seed_are_identical_and_another_seed_differs(
    repo_root, tmp_path
):
    # the three cold runs at once: the same seed must give the same numbers under load too
    with ThreadPoolExecutor(3) as pool:
        runs = [
            pool.submit(tiny_run, repo_root, tmp_path / name, seed)
            for name, seed in (("a", 1), ("b", 1), ("c", 2))
        ]
        first, again, other = (run.result() for run in runs)
    history, tags, stages = first
    assert any(len(values) > 1 for values in history.values())  # the per-step loss is there
    assert len(stages) == 2
    assert again[0] == history and again[2] == stages
    assert other[0] != history
    assert other[2][0] != stages[0]  # the alignment itself moved with the seed
    assert NONDETERMINISTIC_TAG not in tags and tags["seed"] == "1"
