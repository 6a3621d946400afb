"""method=ensemble: the translate-train model's distribution and the projection, mixed per word."""

import numpy as np
import pytest
from mlflow.tracking import MlflowClient

from helpers import CONF_DIR, composed, from_config
from tiny_runs import job_runs
from xner.config import build
from xner.errors import ConfigError
from xner.method_kind import kind_of
from xner.methods.ensemble import Ensemble, ensemble_tags, mixed, projection_distribution
from xner.run.preflight import problems
from xner.tracking.names import variant_name

NAMES = ["O", "B-PER", "I-PER"]


def test_the_projection_is_a_smoothed_one_hot_row():
    # smoothing 0.5 over K = 3 labels: 1/6 on every label, plus 1/2 on the projected tag
    rows, unknown = projection_distribution(["B-PER", "O"], NAMES, 0.5)
    assert rows == pytest.approx(np.array([[1 / 6, 2 / 3, 1 / 6], [2 / 3, 1 / 6, 1 / 6]]))
    assert unknown == 0
    one_hot, _ = projection_distribution(["I-PER"], NAMES, 0.0)
    assert one_hot.tolist() == [[0.0, 0.0, 1.0]]


def test_a_projected_tag_the_model_does_not_know_is_read_as_o_and_counted():
    rows, unknown = projection_distribution(["B-LOC", "B-PER"], NAMES, 0.0)
    assert rows.tolist() == [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    assert unknown == 1


def test_the_weight_decides_whether_the_model_overrides_the_projection():
    # one word, projected O; the model says B-PER with 0.8 (margin 0.8 - 0.1 = 0.7 over O).
    model = np.array([[0.1, 0.8, 0.1]])
    # w = 0.5, s = 0.5: O = 0.05 + 1/3 = 0.383, B-PER = 0.4 + 1/12 = 0.483, I-PER = 0.133
    assert mixed(model, projection_distribution(["O"], NAMES, 0.5)[0], 0.5) == pytest.approx(
        np.array([[0.05 + 1 / 3, 0.4 + 1 / 12, 0.05 + 1 / 12]])
    )
    assert ensemble_tags(model, ["O"], NAMES, weight=0.5)[0] == ["B-PER"]
    # w = 0.3: O = 0.03 + 0.7 * 2/3 = 0.497, B-PER = 0.24 + 0.7/6 = 0.357: the projection wins
    # (the rule: w * 0.7 = 0.21 is not above (1 - w) * (1 - s) = 0.35)
    assert ensemble_tags(model, ["O"], NAMES, weight=0.3)[0] == ["O"]
    assert ensemble_tags(model, ["O"], NAMES, weight=1.0)[0] == ["B-PER"]  # the model alone
    assert ensemble_tags(model, ["O"], NAMES, weight=0.0)[0] == ["O"]  # the projection alone


def test_a_one_hot_projection_wins_at_equal_weight():
    # s = 0, w = 0.5: O = 0.025 + 0.5 = 0.525 beats B-PER = 0.45, however sure the model is
    model = np.array([[0.05, 0.9, 0.05]])
    assert ensemble_tags(model, ["O"], NAMES, weight=0.5, smoothing=0.0)[0] == ["O"]


def test_the_constrained_decoder_repairs_an_i_after_o():
    # projected O O; the model: word 0 B-PER 0.6 (O 0.3), word 1 I-PER 0.9. w = s = 0.5:
    #   word 0: O = 0.15 + 1/3 = 0.483, B-PER = 0.3 + 1/12 = 0.383, I-PER = 0.133
    #   word 1: O = 0.025 + 1/3 = 0.358, B-PER = 0.108, I-PER = 0.45 + 1/12 = 0.533
    # per word the best is O, I-PER (an I- after O). Of the valid sequences B-PER I-PER scores
    # 0.383 * 0.533 = 0.204 > O O 0.483 * 0.358 = 0.173 > O B-PER 0.052
    model = np.array([[0.3, 0.6, 0.1], [0.05, 0.05, 0.9]])
    assert ensemble_tags(model, ["O", "O"], NAMES, mode="argmax")[0] == ["O", "I-PER"]
    assert ensemble_tags(model, ["O", "O"], NAMES)[0] == ["B-PER", "I-PER"]
    # with a surer O on word 0 (0.9, B-PER 0.05) the repair drops the entity instead:
    # O O = 0.783 * 0.358 = 0.281 > B-PER I-PER = 0.108 * 0.533 = 0.058
    sure = np.array([[0.9, 0.05, 0.05], [0.05, 0.05, 0.9]])
    assert ensemble_tags(sure, ["O", "O"], NAMES, mode="argmax")[0] == ["O", "I-PER"]
    assert ensemble_tags(sure, ["O", "O"], NAMES)[0] == ["O", "O"]


def test_weight_and_smoothing_are_shares():
    with pytest.raises(ConfigError, match=r"method.weight=1.5: must be in \[0, 1\]"):
        from_config("method", "ensemble", weight=1.5)
    with pytest.raises(ConfigError, match=r"method.smoothing=-0.1"):
        from_config("method", "ensemble", smoothing=-0.1)


@pytest.mark.parametrize(
    "projector",
    sorted(p.stem.removeprefix("ensemble_") for p in CONF_DIR.glob("variant/ensemble_*")),
)
def test_every_ensemble_variant_composes_beside_its_two_parts(projector):
    for method in ("translate_test", "translate_train"):
        assert (CONF_DIR / "variant" / f"{method}_{projector}.yaml").is_file()
    cfg = composed("train", f"+variant=ensemble_{projector}", "lang=syn")
    assert kind_of(cfg) is Ensemble.kind and isinstance(build(cfg.method), Ensemble)
    assert variant_name(Ensemble.kind, projector) == f"ensemble[{projector}]"


def test_the_checks_ask_for_a_translator_in_both_directions():
    cfg = composed("train", "+variant=ensemble_ilp", "lang=yor", "data=masakhaner2")
    lexicon = [p for p in problems(cfg) if p.startswith("translator=lexicon")]
    assert [p.split("<")[1].split(" ")[0] for p in lexicon] == ["yor-en", "en-yor"]


# The parts' stages and model, all served from the cache in the ensemble's job.
REUSED = ("translate", "label", "align", "project", "source_model", "target_model")


@pytest.mark.slow
def test_an_ensemble_after_its_parts_reuses_their_stages_and_model(tiny_train_sweep):
    tiny_train_sweep.check()  # every method in one sweep: the ensembles after their parts
    done = tiny_train_sweep
    client = MlflowClient(tracking_uri=tiny_train_sweep.uri)
    children = job_runs(tiny_train_sweep.uri)
    by_variant = {r.data.tags["variant"]: r for r in children}
    ensemble = by_variant["ensemble[heuristic]"]
    assert ensemble.info.status == "FINISHED"
    metrics = ensemble.data.metrics
    assert not [k for k in metrics if k.startswith("cache/") and k.endswith("misses")], metrics
    for stage in REUSED:
        assert metrics[f"cache/{stage}.hits"] >= 1, stage
    # logged, reported and scored like every method; the parts' own scores beside
    assert 0.0 <= metrics["test/f1"] <= 1.0
    for part in ("translate_train", "translate_test"):
        own = by_variant[f"{part}[heuristic]"].data.metrics["test/f1"]
        assert metrics[f"{part}/test/f1"] == own, part
    assert metrics["translate_train/projection/sentences"] > 0
    assert metrics["projection/sentences"] == 16
    tags = ensemble.data.tags
    assert tags["method"] == "ensemble" and tags["projector"] == "heuristic"
    assert tags["aligner"] == "eflomal" and tags["translator"] == "lexicon"
    paths = {a.path for a in client.list_artifacts(ensemble.info.run_id, "predictions")}
    assert paths == {"predictions/test.conll", "predictions/test.gold.conll"}
    # the gap table's column order: the ensemble after the two it mixes
    header = next(line for line in done.stdout.splitlines() if line.startswith("| lang"))
    assert header.index("translate_train[heuristic]") < header.index("ensemble[heuristic]")
