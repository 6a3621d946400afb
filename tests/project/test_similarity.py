"""String-similarity candidate score: folding, word Dice, soft-F1 candidate scores, ILP fusion."""

import numpy as np
import pytest

from helpers import from_config
from xner.align.eflomal import lexical_priors, orthographic_priors
from xner.data.entity import Entity
from xner.data.spelling import char_ngrams, fold
from xner.errors import ConfigError
from xner.project.candidates import ngram_spans
from xner.project.similarity import similarity_scores, word_similarity


def test_fold_lowercases_strips_diacritics_and_transliterates():
    assert fold("Europäischen") == "europaischen"
    assert fold("Rußland") == "russland"  # casefold: ß -> ss
    assert fold("Αθήνα") == "athina"
    assert fold("Москва") == "moskva"
    assert fold("PPE-DE") == "ppede"
    assert fold("„") == ""


def test_char_ngrams_are_padded():
    assert char_ngrams("Ab", 2) == frozenset({" a", "ab", "b "})
    assert char_ngrams("a", 3) == frozenset({" a "})
    assert char_ngrams("!", 2) == frozenset()


def test_word_similarity_hand_worked():
    # " kommission " and " commission ": 11 bigrams each, 9 shared (all but " k"/" c", "ko"/"co")
    assert word_similarity("Kommission", "Commission", 2) == pytest.approx(18 / 22)
    # " ab " vs " ac ": trigrams {" ab", "ab "} and {" ac", "ac "} share nothing
    assert word_similarity("ab", "ac", 3) == 0.0
    assert word_similarity("Barroso", "BARROSO") == 1.0
    assert word_similarity("!", "?") == 0.0


def test_similarity_scores_soft_f1_hand_worked():
    src = ["Mr", "Barroso", "said"]
    tgt = ["Herr", "Barroso", "sagte", "Barrosos"]
    starts, ends = ngram_spans(len(tgt), 3)
    scores = similarity_scores(src, [Entity(1, 2, "PER")], tgt, starts, ends, n=2, word_cutoff=0.5)
    got = {(a, b): s for a, b, s in zip(starts.tolist(), ends.tolist(), scores[0], strict=True)}
    # bigram sets of " barroso " and " barrosos " ("os" twice): 8 each, all but "o "/"s " shared
    w = word_similarity("Barroso", "Barrosos", 2)
    assert w == pytest.approx(14 / 16)
    assert got[(1, 2)] == pytest.approx(1.0)  # (1 + 1) / (1 + 1)
    assert got[(0, 2)] == pytest.approx(2 / 3)  # (1 + 1) / (1 + 2): "Herr" matches nothing
    assert got[(3, 4)] == pytest.approx(w)  # (w + w) / 2
    assert got[(1, 4)] == pytest.approx((1 + 1 + w) / 4)  # best source match 1; target 1 + 0 + w
    assert got[(2, 3)] == 0.0


def test_cutoff_drops_weak_word_matches():
    starts, ends = ngram_spans(2, 2)
    ent = [Entity(0, 1, "LOC")]
    loose = similarity_scores(["Russia"], ent, ["Rußland", "x"], starts, ends, 3, 0.4)
    strict = similarity_scores(["Russia"], ent, ["Rußland", "x"], starts, ends, 3, 0.5)
    # trigrams of " russia " and " russland ": 6 and 8, 3 shared -> Dice 6/14 = 0.43
    assert loose[0, 0] == pytest.approx(6 / 14)
    assert not strict.any()


def test_fused_ilp_projects_an_unaligned_name_by_its_spelling():
    src = ["Mr", "Ponnambalam", "and", "Parliament"]
    tgt = ["Herr", "Ponnambalam", "und", "das", "Parlament"]
    ents = [Entity(1, 2, "PER"), Entity(3, 4, "ORG")]
    links = {(3, 4)}
    align_only = from_config("projector", "ilp_paper", max_len=5).project(src, ents, tgt, links)
    assert align_only.entities == [Entity(4, 5, "ORG")]
    fused = from_config("projector", "ilp", max_len=5, weights={"align": 1.0, "sim": 1.0})
    assert fused.sim_ngram == 2
    assert fused.project(src, ents, tgt, links).entities == [
        Entity(1, 2, "PER"),
        Entity(4, 5, "ORG"),
    ]
    only_sim = from_config("projector", "ilp", max_len=5, score="sim").project(
        src, ents, tgt, set()
    )
    assert [e.label for e in only_sim.entities] == ["PER", "ORG"]


def test_bad_similarity_settings():
    with pytest.raises(ConfigError, match="sim_ngram"):
        from_config("projector", "ilp", sim_ngram=0)
    with pytest.raises(ConfigError, match="sim_cutoff"):
        from_config("projector", "ilp", sim_cutoff=1.5)
    with pytest.raises(ConfigError, match="needs sim_ngram and sim_cutoff"):
        from_config("projector", "ilp_paper", score="sim")  # the preset has no sim settings


def test_orthographic_priors_tie_capitalised_source_words_to_similar_target_words():
    pairs = [
        (["the", "Commission", "and", "Russia"], ["die", "Kommission", "und", "Russland"]),
        (["Commission", "said"], ["Kommission", "sagte"]),
        (["commission"], ["Kommission"]),  # lowercase source word: not a name, no prior
    ]
    priors = orthographic_priors(pairs, 2.0, 0.5)
    # Commission/Kommission (trigram Dice 16/20) in two pairs; Russia/Russland only 6/14
    assert priors == [("Commission", "Kommission", 4.0)]
    assert orthographic_priors(pairs, 2.0, 0.4)[-1] == ("Russia", "Russland", 2.0)
    both = lexical_priors([(["Nikitin"], ["Nikitin"])] + pairs, 1.0, 2.0, 0.5)
    assert both == [("Nikitin", "Nikitin", 1.0), ("Commission", "Kommission", 4.0)]
    assert lexical_priors(pairs, 0.0, 0.0, 0.5) is None


def test_similarity_scores_without_candidates():
    empty = np.zeros(0, dtype=np.int64)
    assert similarity_scores(["A"], [Entity(0, 1, "X")], [], empty, empty).shape == (1, 0)


def test_short_words_match_only_when_identical():
    starts, ends = ngram_spans(3, 1)
    src, tgt = ["Social", "Fund", "EU"], ["und", "EU", "Funds"]
    scores = similarity_scores(src, [Entity(1, 3, "ORG")], tgt, starts, ends, n=2)
    # "und" is short: no match with "Fund" though their bigram Dice is 6/9; "EU" == "EU" counts.
    # Candidate [2, 3) "Funds": Dice(" fund ", " funds ") = 2*4/(5+6), soft F1 (w + w) / (2 + 1)
    w = word_similarity("Fund", "Funds", 2)
    assert w == pytest.approx(8 / 11)
    assert scores[0].tolist() == pytest.approx([0.0, 2 / 3, 2 * w / 3])
