"""Long work shows progress (a line per epoch and per pipeline stage); library noise is quiet."""

import logging
import warnings

import pytest

from helpers import run_app
from xner.pipeline.cache import StageCache
from xner.pipeline.stages import _cached
from xner.run.app import quiet_libraries

NOISE = (
    "The `srun` command is available on your system but is not used. HINT: ...",
    "`isinstance(treespec, LeafSpec)` is deprecated, use `isinstance(treespec, TreeSpec)`",
    "The number of training batches (3) is smaller than the logging interval Trainer(...)",
)


@pytest.fixture(scope="module")
def tiny_run(repo_root, tmp_path_factory):
    done = run_app(repo_root, tmp_path_factory.mktemp("tiny"), "train.py", "+debug=tiny")
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def test_the_targeted_library_warnings_are_silenced_and_no_others():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        quiet_libraries()
        for message in NOISE:
            warnings.warn(message, UserWarning, stacklevel=1)
        warnings.warn("a warning a user can act on", UserWarning, stacklevel=1)
    assert [str(w.message) for w in caught] == ["a warning a user can act on"]


@pytest.mark.slow
def test_a_tiny_run_keeps_stderr_free_of_library_hints(tiny_run):
    for start in ("The `srun` command", "isinstance(treespec, LeafSpec)", "logging interval"):
        assert start not in tiny_run.stderr, tiny_run.stderr[-3000:]


@pytest.mark.slow
def test_a_run_without_progress_bar_logs_a_line_per_epoch(tiny_run):
    lines = [line for line in tiny_run.stdout.splitlines() if "model epoch 1/1" in line]
    assert len(lines) == 1, tiny_run.stdout[-3000:]
    assert "train loss " in lines[0] and "val F1 " in lines[0] and lines[0].endswith(" s")


def test_each_pipeline_stage_logs_sentences_seconds_and_whether_cached(tmp_path, caplog):
    cache = StageCache(tmp_path, True)
    config = {"_target_": "xner.translate.lexicon.LexiconTranslator"}
    with caplog.at_level(logging.INFO, logger="xner.pipeline.stages"):
        for _ in range(2):
            _cached(cache, "translate", config, ["k"], lambda: [["a", "b"], ["c"]])
    lines = [r.getMessage() for r in caplog.records if r.name == "xner.pipeline.stages"]
    assert len(lines) == 2
    assert lines[0].startswith("stage translate: 2 sentences, ") and lines[0].endswith(" computed")
    assert lines[1].endswith(" cached")
