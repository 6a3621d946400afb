"""What tiny runs produce, pinned: a change that moves a training loss, a method's test counts or
a projector's tags fails here. The numbers live in ``tests/pinned/tiny_runs.json``; a change that
means to move them regenerates that file (``python tests/pinned/regenerate.py``) and commits its
diff with it."""

import json

import pytest

from tiny_runs import (
    PINNED,
    PROJECT_SWEEP,
    TRAIN_SWEEP,
    TRAIN_VARIANTS,
    differences,
    moved_message,
    project_numbers,
    projector_numbers,
    train_numbers,
)


@pytest.fixture(scope="module")
def pinned() -> dict:
    return json.loads(PINNED.read_text(encoding="utf-8"))


def test_the_pinned_file_is_of_the_sweeps_the_tests_run(pinned):
    assert pinned["train.py"]["overrides"] == list(TRAIN_SWEEP), "regenerate tiny_runs.json"
    assert pinned["project.py"]["overrides"] == list(PROJECT_SWEEP), "regenerate tiny_runs.json"
    assert len(pinned["train"]) == len(TRAIN_VARIANTS)
    assert set(pinned["project"]) == {"heuristic", "ilp"}
    trained = {name for job in pinned["train"].values() for name in job["losses"]}
    assert {"train/loss", "source_model-train/loss"} <= trained
    assert all(job["test"]["gold"] > 0 for job in pinned["train"].values())


def test_a_loss_moves_beyond_the_tolerance_and_a_count_at_all():
    was = {"a": {"losses": {"train/loss": [1.0, 0.5]}, "test": {"correct": 3}}}
    assert (
        differences(was, {"a": {"losses": {"train/loss": [1.00005, 0.5]}, "test": {"correct": 3}}})
        == []
    )
    now = {"a": {"losses": {"train/loss": [1.0, 0.5002]}, "test": {"correct": 4}}}
    assert differences(was, now) == [
        "/a/losses/train/loss[1]: pinned 0.5, now 0.5002 (tolerance 0.0001)",
        "/a/test/correct: pinned 3, now 4",
    ]


@pytest.mark.slow
def test_every_method_trains_and_scores_the_pinned_numbers(tiny_train_sweep, pinned, tmp_path):
    tiny_train_sweep.check()
    moved = differences(pinned["train"], train_numbers(tiny_train_sweep.uri, tmp_path), "train")
    assert not moved, moved_message("train.py", moved, pinned["environment"])


@pytest.mark.slow
def test_both_projectors_project_the_pinned_tags(tiny_project_sweep, pinned, tmp_path):
    tiny_project_sweep.check()
    now = project_numbers(tiny_project_sweep.uri, tmp_path)
    moved = differences(pinned["project"], now, "project")
    assert not moved, moved_message("project.py", moved, pinned["environment"])


def test_the_shipped_projectors_project_the_pinned_entities_on_fixed_real_links(
    repo_root, europarl_dir, pinned
):
    """Pure projection, no training: heuristic and ILP (their shipped files) on one fixed
    eflomal alignment of the 799 Europarl en->de pairs; a changed constant of either moves it."""
    now = projector_numbers(repo_root, europarl_dir)
    moved = differences(pinned["projectors_on_reference_links"], now, "projectors")
    assert not moved, moved_message("projector", moved, pinned["environment"])
