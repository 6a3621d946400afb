"""Labellers: gold lookup, label mapping, and the offline MiniLM through ModelLabeler."""

import numpy as np
import pytest
import torch

from helpers import from_config
from xner.data.conll import TaggedSentence
from xner.errors import DataError
from xner.labelers import ModelLabeler
from xner.labelers.model import label_matrix

NAMES = ["O", "B-PER", "I-PER", "B-MISC", "I-MISC", "B-LOC", "I-LOC"]


def test_gold_labeler_looks_up_exact_sentences_and_drops_labels():
    data = [
        TaggedSentence(["Obama", "met", "Merkel"], ["B-PER", "O", "B-PER"]),
        TaggedSentence(["Euro", "zone"], ["B-MISC", "I-MISC"]),
    ]
    labeler = from_config("labeler", "gold", source=None, sentences=data, drop_labels=["MISC"])
    out = labeler.label([["Euro", "zone"], ["Obama", "met", "Merkel"]])
    assert [o.tags for o in out] == [["O", "O"], ["B-PER", "O", "B-PER"]]
    assert out[0].probs is None
    with pytest.raises(DataError, match="sentence 1 .*'Obama met'.* not in the gold en"):
        labeler.label([["Euro", "zone"], ["Obama", "met"]])


def test_label_matrix_folds_dropped_types_into_o_and_merges_renamed_ones():
    names, matrix = label_matrix(["O", "B-PERSON", "B-PER", "I-MISC"], {"PERSON": "PER"}, ["MISC"])
    assert names == ["O", "B-PER", "I-PER"]
    probs = np.array([[0.1, 0.2, 0.3, 0.4]]) @ matrix
    np.testing.assert_allclose(probs, [[0.5, 0.5, 0.0]])


@pytest.fixture(scope="module")
def minilm_labeler() -> ModelLabeler:
    torch.set_num_threads(1)
    torch.manual_seed(0)
    return from_config(
        "labeler",
        "model",
        checkpoint="minilm",
        label_names=NAMES,
        drop_labels=["MISC"],
        max_length=16,
        stride=4,
        batch_size=4,
        device="cpu",
    )


def test_minilm_labels_every_word_of_a_sentence_longer_than_max_length(minilm_labeler):
    long = [f"Word{i}" if i % 3 else "Nairobi" for i in range(45)]  # > 16 subwords
    out = minilm_labeler.label([long, ["Obama"], []])
    assert [len(o.tags) for o in out] == [45, 1, 0]
    assert out[0].label_names == ["O", "B-LOC", "I-LOC", "B-PER", "I-PER"]
    assert out[0].probs.shape == (45, 5)
    np.testing.assert_allclose(out[0].probs.sum(axis=1), 1.0, rtol=1e-5)
    for o in out:
        assert all(t == "O" or t[2:] in {"PER", "LOC"} for t in o.tags)
        for prev, tag in zip(["O", *o.tags], o.tags, strict=False):
            assert not tag.startswith("I-") or prev[2:] == tag[2:]  # valid IOB2
    assert [t for t in out[0].tags] == [
        minilm_labeler.label([long])[0].tags[i] for i in range(45)
    ]  # deterministic
