"""Teacher weights by language similarity (Wu et al. 2020): hand-worked toys, checks, the edge."""

import numpy as np
import pytest
import torch

from helpers import composed, from_config
from xner.errors import ConfigError
from xner.methods.teacher_weights import sentence_features, similarity_settings, weights_problem
from xner.models.distill import teacher_alphas
from xner.models.language_similarity import (
    LanguageIdentifier,
    SimilaritySettings,
    domain_weights,
    similarity_weights,
)
from xner.run.preflight import problems

# Two source languages, each a tight cluster of 2-d sentence vectors; the target sits next to
# language "a"'s cluster. Small steps, many of them: the toy needs no schedule tuning.
A = np.array([[1.0, 0.0], [0.9, 0.1], [1.1, -0.1], [1.0, 0.2]])
B = np.array([[0.0, 1.0], [0.1, 0.9], [-0.1, 1.1], [0.2, 1.0]])
TARGET = np.array([[0.9, 0.2], [0.8, 0.1], [1.0, 0.3]])
TOY = dict(epochs=200, lr=0.05, batch_size=4, tau="none")


def teacher_student(**settings):
    """The shipped teacher-student method (conf/method/teacher_student.yaml) with ``settings``."""
    return from_config("method", "teacher_student", **settings)


def test_weights_are_the_mean_softmax_of_the_target_scores_scaled_by_tau():
    scores = np.array([[4.0, 0.0], [0.0, 0.0]])
    # none: rows softmax to (e^4, 1)/(e^4 + 1) and (1/2, 1/2)
    e4 = np.exp(4.0)
    none = domain_weights(scores, ["a", "b"], "none")
    assert none == pytest.approx({"a": (e4 / (e4 + 1) + 0.5) / 2, "b": (1 / (e4 + 1) + 0.5) / 2})
    # var: the four scores (4, 0, 0, 0) have mean 1 and sample variance (9 + 1 + 1 + 1) / 3 = 4,
    # so tau = 1/4 and the first row becomes (1, 0): (e / (e + 1) + 1/2) / 2
    e = np.exp(1.0)
    assert domain_weights(scores, ["a", "b"], "var") == pytest.approx(
        {"a": (e / (e + 1) + 0.5) / 2, "b": (1 / (e + 1) + 0.5) / 2}
    )
    # std: tau = 1/2, first row (2, 0)
    e2 = np.exp(2.0)
    assert domain_weights(scores, ["a", "b"], "std")["a"] == pytest.approx(
        (e2 / (e2 + 1) + 0.5) / 2
    )
    # equal scores everywhere: no spread to scale by, uniform weights
    assert domain_weights(np.zeros((3, 2)), ["a", "b"], "var") == {"a": 0.5, "b": 0.5}


@pytest.mark.parametrize("rank", [None, 8])
def test_two_teachers_weights_sum_to_one_and_favour_the_closer_language(rank):
    settings = SimilaritySettings(rank=rank, **TOY)
    weights = similarity_weights({"a": A, "b": B}, TARGET, settings, seed=3)
    assert list(weights) == ["a", "b"]
    assert sum(weights.values()) == pytest.approx(1.0)
    assert weights["a"] > 0.7 > 0.3 > weights["b"]
    # the other way round: a target by b's cluster favours b
    flipped = similarity_weights({"a": A, "b": B}, TARGET[:, ::-1], settings, seed=3)
    assert flipped["b"] > 0.7
    # deterministic with the seed, and the global random state is left alone
    state = torch.random.get_rng_state()
    assert similarity_weights({"a": A, "b": B}, TARGET, settings, seed=3) == weights
    assert torch.equal(torch.random.get_rng_state(), state)


def test_a_target_halfway_between_the_sources_gets_equal_weights():
    # B is A mirrored (x <-> y); full batches keep the training mirror-symmetric, so the
    # language embeddings stay mirror images and a target on the mirror line scores both alike
    settings = SimilaritySettings(rank=None, **{**TOY, "batch_size": 8})
    weights = similarity_weights({"a": A, "b": B}, np.array([[0.5, 0.5]]), settings, seed=0)
    assert weights["a"] == pytest.approx(0.5, abs=1e-6)


def test_the_orthogonality_regulariser_equals_the_reference_codes_up_to_a_constant():
    model = LanguageIdentifier(torch.tensor([[1.0, 0.0, 0.0], [0.0, 2.0, 0.0]]), rank=None)
    # M M^T = diag(1, 4): ||diag(0, 3)||^2 = 9
    assert float(model.orthogonality().detach()) == pytest.approx(9.0)
    # the reference penalises ||M^T M - I_d||^2: the same plus d - K = 3 - 2
    m = model.embeddings.detach()
    reference = float(((m.T @ m - torch.eye(3)) ** 2).sum())
    assert reference == pytest.approx(9.0 + 1.0)


def test_one_source_weighs_one_and_bad_inputs_are_named():
    assert similarity_weights({"en": A}, TARGET) == {"en": 1.0}
    with pytest.raises(ConfigError, match="do not match the sources' d=2"):
        similarity_weights({"a": A, "b": B}, np.ones((2, 3)))
    with pytest.raises(ConfigError, match=r"\['b'\]"):
        similarity_weights({"a": A, "b": np.zeros((0, 2))}, TARGET)
    with pytest.raises(ConfigError, match="tau='variance'"):
        SimilaritySettings(tau="variance")


def test_teacher_weights_option_is_checked_before_any_work():
    assert weights_problem(None, []) is None and weights_problem([1, 2], ["x", "y"]) is None
    assert weights_problem("similarity", []) is None
    with pytest.raises(ConfigError, match="method.teachers gives checkpoints without source text"):
        from_config(
            "method", "teacher_student", teachers=["org/ner-en"], teacher_weights="similarity"
        )
    with pytest.raises(ConfigError, match="'uniform'.*null \\(uniform\\)"):
        teacher_student(teacher_weights="uniform")
    with pytest.raises(ConfigError, match=r"unknown key\(s\) \['gama'\]"):
        from_config(
            "method", "teacher_student", teacher_weights="similarity", similarity={"gama": 0.1}
        )
    with pytest.raises(ConfigError, match="encoder='model'"):
        similarity_settings({"encoder": "model"})
    with pytest.raises(ConfigError, match="'similarity' are not numbers"):
        teacher_alphas(2, "similarity")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="2 non-negative numbers"):
        teacher_alphas(2, ["a", "b"])  # type: ignore[list-item]
    # the composed option passes; a sweep's preflight names the misfit before any run
    cfg = composed("train", "method=teacher_student", "method.teacher_weights=similarity")
    assert problems(cfg) == []
    given = composed(
        "train", "method=teacher_student", "method.teacher_weights=similarity",
        "method.teachers=[org/ner-en]",
    )  # fmt: skip
    assert any("without source text" in p for p in problems(given))
    bad = composed(
        "train", "method=teacher_student", "method.teacher_weights=similarity",
        "method.similarity.tau=variance",
    )  # fmt: skip
    assert any("tau='variance'" in p for p in problems(bad))


def test_sentence_features_are_the_mean_last_layer_subword_vector():
    from transformers import AutoModel, AutoTokenizer

    from xner.models.registry import minilm_path

    sentences = [["The", "Commission", "agrees", "."], ["Brussels"]]
    features = sentence_features("minilm", sentences, max_length=64)
    assert features.shape == (2, 384) and features.dtype == np.float32
    tokenizer = AutoTokenizer.from_pretrained(minilm_path())
    model = AutoModel.from_pretrained(minilm_path()).eval()
    encoded = tokenizer(sentences[0], is_split_into_words=True, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**encoded).last_hidden_state[0]
    inner = hidden[1:-1]  # [CLS] and [SEP] left out
    np.testing.assert_allclose(features[0], inner.mean(dim=0).numpy(), rtol=1e-4, atol=1e-5)
