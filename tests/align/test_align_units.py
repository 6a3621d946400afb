"""Word units for symmetrisation (xner.align.units): collocations, units, links between units."""

from xner.align.eflomal import symmetrize
from xner.align.units import collocations, to_units, to_words, units

TEXT = [
    ["the", "member", "states", "agree"],
    ["member", "states", "decide"],
    ["the", "states", "of", "the", "union"],
]


def test_collocations_need_the_share_of_both_words_and_the_count():
    # member states: 2 times; member 2 times (share 1.0), states 3 times (share 2/3)
    assert collocations(TEXT, share=0.6, min_count=2) == {("member", "states")}
    assert collocations(TEXT, share=0.7, min_count=2) == set()  # 2 < 0.7 * 3
    assert collocations(TEXT, share=0.6, min_count=3) == set()  # seen twice only
    # "the states" once, of 3 "the" and 3 "states": a share of 1/3 of each
    assert ("the", "states") in collocations(TEXT, share=0.3, min_count=1)
    assert ("the", "states") not in collocations(TEXT, share=0.4, min_count=1)
    assert collocations([["a", "a", "a"]] * 9, share=0.1, min_count=1) == set()


def test_units_pair_words_left_to_right_once():
    assert units(TEXT[0], {("member", "states")}) == [[0], [1, 2], [3]]
    assert units(["a", "b", "c"], {("a", "b"), ("b", "c")}) == [[0, 1], [2]]
    assert units(["a"], {("a", "b")}) == [[0]]
    assert units([], set()) == []


def test_a_reordered_pair_is_linked_whole_where_the_word_intersection_is_empty():
    # Member States / Estados miembros: forward crossed, reverse in order
    fwd, rev = {(0, 1), (1, 0)}, {(0, 0), (1, 1)}
    assert symmetrize(fwd, rev, "intersection") == set()
    src, tgt = [[0, 1]], [[0, 1]]
    assert to_units(fwd, src, tgt) == to_units(rev, src, tgt) == {(0, 0)}
    assert to_words({(0, 0)}, src, tgt) == {(0, 0), (0, 1), (1, 0), (1, 1)}


def test_a_pair_against_one_word_keeps_both_words_whichever_each_direction_chose():
    # the Member States / die Mitgliedstaaten: forward links Mitgliedstaaten to Member, the
    # reverse direction links States to it and leaves Member unaligned
    fwd, rev = {(0, 0), (1, 1)}, {(0, 0), (2, 1)}
    src, tgt = [[0], [1, 2]], [[0], [1]]
    assert symmetrize(fwd, rev, "intersection") == {(0, 0)}
    joined = symmetrize(to_units(fwd, src, tgt), to_units(rev, src, tgt), "intersection")
    assert joined == {(0, 0), (1, 1)}
    assert to_words(joined, src, tgt) == {(0, 0), (1, 1), (2, 1)}
