"""Paired bootstrap and `evaluate.py compare`: hand-made counts whose answers are known."""

from pathlib import Path

import numpy as np
import pytest

import evaluate
from helpers import mlflow_store
from xner.evaluation.bootstrap import paired_bootstrap, pooled_bootstrap
from xner.evaluation.counts import counts_artifact

# (correct, predicted, gold) per sentence; every sentence has one gold entity.
BETTER = np.array([[1, 1, 1]] * 8 + [[0, 1, 1]] * 2)  # 8 of 10 found: F1 0.8
WORSE = np.array([[1, 1, 1]] * 5 + [[0, 0, 1]] * 5)  # 5 found, none spurious: F1 2*5/15


def test_identical_systems_have_a_zero_interval_and_p_one():
    diff = paired_bootstrap([BETTER], [BETTER])
    assert (diff.delta, diff.low, diff.high, diff.p_value) == (0.0, 0.0, 0.0, 1.0)


def test_a_system_better_on_every_sentence_has_an_interval_above_zero():
    worse = BETTER.copy()
    worse[:, 0] = 0  # same predictions, none correct
    diff = paired_bootstrap([BETTER], [worse])
    assert diff.delta == pytest.approx(80.0)
    assert 0 < diff.low <= diff.delta <= diff.high
    assert diff.p_value == pytest.approx(1 / 1001)
    assert str(diff).startswith("+80.0 [")


def test_seeded_and_paired():
    a = paired_bootstrap([BETTER], [WORSE], seed=3)
    assert a == paired_bootstrap([BETTER], [WORSE], seed=3)
    assert a.delta == pytest.approx(100 * (0.8 - 10 / 15))
    assert a.n_sentences == 10 and a.n_resamples == 1000
    # several seeds of one system are averaged inside each draw
    two = paired_bootstrap([BETTER, WORSE], [WORSE], seed=3)
    assert two.delta == pytest.approx(100 * ((0.8 + 10 / 15) / 2 - 10 / 15))


def test_counts_over_different_sentences_are_refused():
    with pytest.raises(ValueError, match="same test sentences"):
        paired_bootstrap([BETTER], [WORSE[:9]])


def _logged_run(client, experiment: str, name: str, matrix: np.ndarray, digest: str) -> str:
    run_id = client.create_run(experiment, run_name=name).info.run_id
    record = {"mode": "conlleval", "ignore": [], "digest": digest, "counts": matrix.tolist()}
    client.log_dict(run_id, record, counts_artifact())
    client.set_terminated(run_id)
    return run_id


def test_compare_command(tmp_path: Path, capsys):
    uri, client, experiment = mlflow_store(tmp_path)
    a = _logged_run(client, experiment, "projection", BETTER, "d1")
    b = _logged_run(client, experiment, "student", WORSE, "d1")
    other = _logged_run(client, experiment, "elsewhere", WORSE, "d2")
    assert evaluate.main(["compare", "projection", b, "--tracking-uri", uri]) == 0
    out = capsys.readouterr().out
    assert "A  projection: test/f1 = 80.0" in out
    assert "A − B = +13.3 [" in out and "over 10 sentences, 1000 resamples); p = " in out
    assert evaluate.main(["compare", a, other, "--tracking-uri", uri]) == 2
    err = capsys.readouterr().err
    assert "scored on different test sentences" in err and err.count("\n") == 1
    bare = client.create_run(experiment, run_name="old").info.run_id
    assert evaluate.main(["compare", a, bare, "--tracking-uri", uri]) == 2
    assert "has no scores/test_counts.json" in capsys.readouterr().err


def test_pooled_bootstrap_is_the_mean_of_languages_resampled_apart():
    rng = np.random.default_rng(3)
    a1, b1 = rng.integers(0, 3, (40, 3)), rng.integers(0, 3, (40, 3))
    a2, b2 = rng.integers(0, 3, (25, 3)), rng.integers(0, 3, (25, 3))
    one = pooled_bootstrap([([a1], [b1])])
    assert one == paired_bootstrap([a1], [b1])  # one language: the paired bootstrap itself
    both = pooled_bootstrap([([a1], [b1]), ([a2], [b2])])
    second = paired_bootstrap([a2], [b2])
    assert both.delta == pytest.approx((one.delta + second.delta) / 2)
    assert both.n_sentences == 65 and both.low <= both.delta <= both.high
    assert both == pooled_bootstrap([([a1], [b1]), ([a2], [b2])])  # seeded
    with pytest.raises(ValueError, match="same test sentences"):
        pooled_bootstrap([([a1], [b2])])
