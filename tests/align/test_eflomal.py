"""eflomal aligner: in-bounds links, symmetrisation modes, voting, malformed input."""

import pytest

from helpers import from_config
from xner.align.eflomal import (
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


def eflomal(**settings):
    """The shipped eflomal aligner (conf/aligner/eflomal.yaml) with ``settings``."""
    return from_config("aligner", "eflomal", **settings)


@pytest.fixture(scope="module")
def directions():
    return eflomal(runs=1, min_votes=1, n_samplers=1).align_directions(PAIRS)[0]


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
    links = eflomal(runs=2, min_votes=1, n_samplers=1, symmetrize="union").align(PAIRS[:5] * 3)
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
        eflomal(runs=1, min_votes=1).align([(["a"], ["b"]), (["c"], [])])


def test_bad_config():
    with pytest.raises(ConfigError):
        eflomal(symmetrize="grow")
    with pytest.raises(ConfigError):
        eflomal(runs=2, min_votes=3)
    with pytest.raises(ConfigError):
        eflomal(via="pivot")


def test_training_pairs_are_learnt_from_but_not_linked():
    # "Nikitin 1999" alone is too little text to align; the training pairs teach eflomal the
    # other words, and links come back for the two projected pairs only
    aligner = eflomal(runs=1, min_votes=1, n_samplers=1, symmetrize="union")
    pairs = [PAIRS[0], PAIRS[4]]
    links = aligner.align(pairs, training=PAIRS[5:])
    assert len(links) == 2
    for (src, tgt), sent in zip(pairs, links, strict=True):
        assert all(0 <= i < len(src) and 0 <= j < len(tgt) for i, j in sent)
    with pytest.raises(DataError, match="training pair 0: the source sentence is empty"):
        aligner.align(pairs, training=[([], ["x"])])


def test_stem_cuts_folded_words_to_a_prefix_and_priors_find_the_stems():
    aligner = eflomal(stem=4)
    assert [aligner.form(w) for w in ("Kommission", "Kommissionen", "ist", "New York")] == [
        "komm",
        "komm",
        "ist",
        "new_",
    ]
    assert eflomal(stem=0).form("New York") == "New_York"
    index = _Index({"komm": 0, "haus": 1}, aligner.form)
    assert (index["Kommissionen"], index["Hauses"], index["Hund"]) == (1, 2, None)
    with pytest.raises(ConfigError, match="aligner.stem=-1"):
        eflomal(stem=-1)


def test_frequent_words_are_kept_whole_when_stemming():
    aligner = eflomal(stem=4, stem_keep=2)
    keep = aligner.frequent_words(["Kommission", "kommt", "Kommissar"], ["die Kommission"])
    assert keep == frozenset({"kommission"})
    forms = [aligner.form(w, keep) for w in ("Kommission", "kommt", "Kommissar", "Ratsbeschluß")]
    assert forms == ["kommission", "komm", "komm", "rats"]
    assert eflomal(stem=4, stem_keep=0).frequent_words(["ab", "ab", "ab"]) == frozenset()
    with pytest.raises(ConfigError, match="aligner.stem_keep=-1"):
        eflomal(stem_keep=-1)


def test_collocations_are_symmetrised_as_one_unit():
    aligner = eflomal(collocation_share=0.5, collocation_min=2, symmetrize="intersection")
    pairs = [
        (["the", "Member", "States"], ["los", "Estados", "miembros"]),
        (["Member", "States", "agree"], ["Estados", "miembros", "acuerdan"]),
    ]
    # member states / estados miembros: twice, every time each word occurs; nothing else twice
    units = aligner.units(pairs, training=[(["the", "end"], ["el", "fin"])])
    assert units == [([[0], [1, 2]], [[0], [1, 2]]), ([[0, 1], [2]], [[0, 1], [2]])]
    # forward crossed, reverse in order: the word intersection keeps the / los only
    fwd, rev = [{(0, 0), (1, 2), (2, 1)}], [{(0, 0), (1, 1), (2, 2)}]
    assert aligner.combine([(fwd, rev)], units[:1]) == [{(0, 0), (1, 1), (1, 2), (2, 1), (2, 2)}]
    assert aligner.combine([(fwd, rev)]) == [{(0, 0)}]
    off = eflomal(collocation_share=0.0).units(pairs[:1])
    assert off == [([[0], [1], [2]], [[0], [1], [2]])]
    with pytest.raises(ConfigError, match="collocation_share"):
        eflomal(collocation_share=1.5)


def test_stemmed_alignment_links_inflected_forms_within_bounds():
    links = eflomal(runs=1, min_votes=1, n_samplers=1, stem=4).align(PAIRS)
    assert len(links) == len(PAIRS)
    for (src, tgt), sent in zip(PAIRS, links, strict=True):
        assert all(0 <= i < len(src) and 0 <= j < len(tgt) for i, j in sent)


# --- seeded sampling (xner.align.eflomal_seed) -------------------------------------------------


@pytest.fixture(scope="module")
def synthetic_pairs():
    """150 pairs of the synthetic corpus: enough text for the samplers' choices to show."""
    from xner.data.synthetic import generate

    corpus = generate(seed=0, n_train=150, n_dev=0, n_test=0)
    return [
        (en.words, syn.words)
        for en, syn in zip(corpus.split("en", "train"), corpus.split("syn", "train"), strict=True)
    ]


def seeded(seed, runs=1, **kw):
    return eflomal(seed=seed, runs=runs, min_votes=1, n_samplers=6, rel_iterations=0.2, **kw)


@pytest.fixture(scope="module")
def seed3(synthetic_pairs):
    """The forward and reverse links of one run seeded 3."""
    return seeded(3).align_directions(synthetic_pairs)


def test_same_seed_gives_identical_links_twice(synthetic_pairs, seed3):
    aligner = seeded(3)
    again = aligner.align_directions(synthetic_pairs)
    assert again == seed3
    links = aligner.combine(again)
    assert links == aligner.combine(seed3) and sum(map(len, links)) > len(synthetic_pairs)


def test_another_seed_changes_the_links(synthetic_pairs, seed3):
    other = seeded(4).align_directions(synthetic_pairs)
    assert other != seed3
    assert seeded(4).combine(other) != seeded(3).combine(seed3)


def test_voted_runs_are_seeded_apart(synthetic_pairs, seed3):
    """Run k is seeded by (seed, k): run 0 is the one-run alignment, run 1 differs from it
    (a vote over identical copies would vote nothing)."""
    first, second = seeded(3, runs=2).align_directions(synthetic_pairs)
    assert [first] == seed3
    assert first != second


def test_seeded_alignment_leaves_no_temporary_files(synthetic_pairs, tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    seeded(5).align(synthetic_pairs[:20])
    with pytest.raises(DataError):
        seeded(5).align([(["a"], [])])
    assert list(tmp_path.iterdir()) == []


def test_patched_binary_differs_only_in_the_seed_path(tmp_path):
    from xner.align.eflomal_seed import SEED_FILE, URANDOM, installed_binary, seeded_binary

    original = installed_binary().read_bytes()
    copy = seeded_binary(tmp_path)
    patched = copy.read_bytes()
    assert len(SEED_FILE) == len(URANDOM) and len(patched) == len(original)
    diff = [k for k, (a, b) in enumerate(zip(original, patched, strict=True)) if a != b]
    start = original.index(URANDOM + b"\0")
    assert diff and start <= diff[0] and diff[-1] < start + len(URANDOM)
    assert seeded_binary(tmp_path) == copy and len(list(tmp_path.iterdir())) == 1


def test_a_binary_without_one_urandom_path_is_refused():
    from xner.align.eflomal_seed import patched

    with pytest.raises(ConfigError, match="aligner.seed=null"):
        patched(b"\x7fELF no seed path here\0", "eflomal")
    with pytest.raises(ConfigError, match="holds 2"):
        patched(b"/dev/urandom\0/dev/urandom\0", "eflomal")


def test_seed_state_is_a_function_of_seed_and_run():
    from xner.align.eflomal_seed import seed_state

    assert seed_state(1) == seed_state(1, 0) and len(seed_state(1)) == 8
    assert len({seed_state(1), seed_state(2), seed_state(1, 1)}) == 3


def test_the_run_seed_enters_the_alignment_config_and_key():
    from helpers import composed
    from xner.config import group_config
    from xner.pipeline.cache import StageCache

    configs = [group_config(composed("train", f"seed={s}").aligner) for s in (1, 2)]
    assert [c["seed"] for c in configs] == [1, 2]
    cache = StageCache(enabled=False)
    keys = {cache.key("align", c, ["pairs"]) for c in configs}
    assert len(keys) == 2
    assert group_config(composed("train", "aligner.seed=null").aligner)["seed"] is None
