"""Constrained Viterbi decoding: hand-worked matrices where the argmax is not valid IOB2."""

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from xner.data.tags import orphan_inside
from xner.models.decoding import decode

NAMES = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]


def rows(*values: list[float]) -> np.ndarray:
    return np.array(values, dtype=np.float64)


def test_orphan_argmax_becomes_the_best_valid_path():
    # argmax: I-PER I-PER O (invalid). Valid paths: O O O = .4*.3*.9 = .108 beats
    # B-PER I-PER O = .1*.6*.9 = .054 and O B-PER O = .4*.1*.9 = .036.
    probs = rows([0.4, 0.1, 0.5, 0, 0], [0.3, 0.1, 0.6, 0, 0], [0.9, 0.05, 0.05, 0, 0])
    assert decode(probs, NAMES, "argmax") == ["I-PER", "I-PER", "O"]
    assert decode(probs, NAMES) == ["O", "O", "O"]


def test_strong_inside_pulls_in_its_begin():
    # argmax: O I-PER (invalid). B-PER I-PER = .3*.9 = .27 beats O O = .6*.05 = .03
    # and O B-PER = .6*.05 = .03.
    probs = rows([0.6, 0.3, 0.1, 0, 0], [0.05, 0.05, 0.9, 0, 0])
    assert decode(probs, NAMES, "argmax") == ["O", "I-PER"]
    assert decode(probs, NAMES) == ["B-PER", "I-PER"]


def test_inside_of_another_type_is_not_a_continuation():
    # argmax: B-PER I-LOC (invalid). B-PER I-PER = .6*.3 = .18; B-LOC I-LOC = .4*.7 = .28;
    # B-PER B-LOC = .6*0 = 0. The best valid path switches the first word to LOC.
    probs = rows([0, 0.6, 0, 0.4, 0], [0, 0, 0.3, 0, 0.7])
    assert decode(probs, NAMES, "argmax") == ["B-PER", "I-LOC"]
    assert decode(probs, NAMES) == ["B-LOC", "I-LOC"]


def test_valid_argmax_is_kept_and_empty_sentence():
    probs = rows([0.1, 0.8, 0.1, 0, 0], [0.1, 0.1, 0.8, 0, 0], [0.7, 0.1, 0.1, 0.1, 0])
    assert decode(probs, NAMES) == decode(probs, NAMES, "argmax") == ["B-PER", "I-PER", "O"]
    assert decode(np.zeros((0, 5)), NAMES) == []


def test_random_matrices_decode_to_valid_iob2_and_beat_every_valid_alternative():
    rng = np.random.default_rng(0)
    for _ in range(50):
        probs = rng.dirichlet(np.ones(len(NAMES)) * 0.3, size=int(rng.integers(1, 7)))
        tags = decode(probs, NAMES)
        assert orphan_inside(tags) is None
        best = sum(np.log(probs[i, NAMES.index(t)]) for i, t in enumerate(tags))
        for _ in range(30):  # no random valid sequence scores higher
            other = [NAMES[k] for k in rng.integers(0, len(NAMES), len(tags))]
            if orphan_inside(other) is None:
                assert sum(np.log(probs[i, NAMES.index(t)]) for i, t in enumerate(other)) <= best


def test_unknown_decoder_and_non_iob2_labels_are_refused():
    with pytest.raises(ValueError, match="choose one of viterbi, argmax"):
        decode(rows([1, 0, 0, 0, 0]), NAMES, "beam")
    with pytest.raises(ValueError, match="needs IOB2"):
        decode(rows([1.0, 0.0]), ["O", "S-PER"])


def path_score(probs: np.ndarray, tags: list[str] | tuple[str, ...]) -> float:
    """The log-probability decode maximises (probabilities floored at 1e-12, as decode does)."""
    picked = [probs[i, NAMES.index(t)] for i, t in enumerate(tags)]
    return float(np.log(np.clip(picked, 1e-12, None)).sum())


@given(
    st.integers(1, 4).flatmap(
        lambda n: arrays(np.float64, (n, len(NAMES)), elements=st.floats(0.0, 1.0, width=32))
    )
)
def test_viterbi_finds_the_best_of_every_valid_tag_sequence(probs):
    tags = decode(probs, NAMES)
    assert len(tags) == len(probs) and orphan_inside(tags) is None
    valid = [s for s in itertools.product(NAMES, repeat=len(probs)) if orphan_inside(s) is None]
    best = max(path_score(probs, s) for s in valid)
    assert path_score(probs, tags) == pytest.approx(best, abs=1e-9)
