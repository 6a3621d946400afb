"""eflomal aligner: in-bounds links, symmetrisation modes, voting, malformed input."""

import pytest

from xner.align.eflomal import (
    EflomalAligner,
    _Index,
    grow_diag_final_and,
    identical_priors,
    symmetrize,
    vote,
)
from xner.errors import ConfigError, DataError

EN = ["the house is small", "the house is big", "a small house", "the dog is big", "Nikitin 1999"]
DE = [
    "das Haus ist klein",
    "das Haus ist groß",
    "ein kleines Haus",
    "der Hund ist groß",
    "Nikitin 1999",
]
PAIRS = [(e.split(), d.split()) for e, d in zip(EN * 4, DE * 4, strict=False)]


@pytest.fixture(scope="module")
def directions():
    return EflomalAligner(runs=1, min_votes=1, n_samplers=1).align_directions(PAIRS)[0]


def test_links_in_bounds_and_modes_nest(directions):
    fwd, rev = directions
    assert len(fwd) == len(rev) == len(PAIRS)
    for (src, tgt), f, r in zip(PAIRS, fwd, rev, strict=False):
        for i, j in f | r:
            assert 0 <= i < len(src) and 0 <= j < len(tgt)
        inter, union = symmetrize(f, r, "intersection"), symmetrize(f, r, "union")
        gdfa = symmetrize(f, r, "grow-diag-final-and")
        assert inter <= f and inter <= r
        assert f <= union and r <= union
        assert inter <= gdfa <= union
    assert sum(len(f) for f in fwd) > 0


def test_aligner_end_to_end_with_voting():
    links = EflomalAligner(runs=2, min_votes=1, n_samplers=1, symmetrize="union").align(
        PAIRS[:5] * 3
    )
    assert len(links) == 15 and all(links)


def test_grow_diag_final_and_hand_worked():
    fwd = {(0, 0), (1, 1), (2, 3)}
    rev = {(0, 0), (1, 2), (2, 3), (3, 3)}
    # intersection {(0,0),(2,3)}; grows to (1,1) (diagonal of (0,0)) and (1,2) (neighbour of (2,3)
    # whose target word 2 is unaligned); (3,3): target 3 already aligned, source 3 not -> grows.
    assert grow_diag_final_and(fwd, rev) == {(0, 0), (1, 1), (1, 2), (2, 3), (3, 3)}
    assert grow_diag_final_and(set(), {(0, 1)}) == {(0, 1)}


def test_vote_keeps_links_with_enough_runs():
    runs = [[{(0, 0), (1, 1)}], [{(0, 0)}], [{(0, 0), (2, 2)}]]
    assert vote(runs, 2) == [{(0, 0)}]
    assert vote(runs, 1) == [{(0, 0), (1, 1), (2, 2)}]


def test_identical_priors_only_names_and_numbers():
    priors = identical_priors(
        [(["the", "Nikitin", "1999"], ["die", "Nikitin", "1999", "the"])], 1.0
    )
    assert priors == [("1999", "1999", 1.0), ("Nikitin", "Nikitin", 1.0)]


def test_empty_sentence_is_a_data_error():
    with pytest.raises(DataError, match="sentence pair 1: the target sentence is empty"):
        EflomalAligner(runs=1, min_votes=1).align([(["a"], ["b"]), (["c"], [])])


def test_bad_config():
    with pytest.raises(ConfigError):
        EflomalAligner(symmetrize="grow")
    with pytest.raises(ConfigError):
        EflomalAligner(runs=2, min_votes=3)
    with pytest.raises(ConfigError):
        EflomalAligner(via="pivot")


def test_training_pairs_are_learnt_from_but_not_linked():
    # "Nikitin 1999" alone is too little text to align; the training pairs teach eflomal the
    # other words, and links come back for the two projected pairs only
    aligner = EflomalAligner(runs=1, min_votes=1, n_samplers=1, symmetrize="union")
    pairs = [PAIRS[0], PAIRS[4]]
    links = aligner.align(pairs, training=PAIRS[5:])
    assert len(links) == 2
    for (src, tgt), sent in zip(pairs, links, strict=True):
        assert all(0 <= i < len(src) and 0 <= j < len(tgt) for i, j in sent)
    with pytest.raises(DataError, match="training pair 0: the source sentence is empty"):
        aligner.align(pairs, training=[([], ["x"])])


def test_stem_cuts_folded_words_to_a_prefix_and_priors_find_the_stems():
    aligner = EflomalAligner(stem=4)
    assert [aligner.form(w) for w in ("Kommission", "Kommissionen", "ist", "New York")] == [
        "komm",
        "komm",
        "ist",
        "new_",
    ]
    assert EflomalAligner(stem=0).form("New York") == "New_York"
    index = _Index({"komm": 0, "haus": 1}, aligner.form)
    assert (index["Kommissionen"], index["Hauses"], index["Hund"]) == (1, 2, None)
    with pytest.raises(ConfigError, match="aligner.stem=-1"):
        EflomalAligner(stem=-1)


def test_stemmed_alignment_links_inflected_forms_within_bounds():
    links = EflomalAligner(runs=1, min_votes=1, n_samplers=1, stem=4).align(PAIRS)
    assert len(links) == len(PAIRS)
    for (src, tgt), sent in zip(PAIRS, links, strict=True):
        assert all(0 <= i < len(src) and 0 <= j < len(tgt) for i, j in sent)
