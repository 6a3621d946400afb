"""Projectors: candidate scores, the heuristic's parameters, the ILP's solvers and constraints."""

import itertools
import random

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpers import CONF_DIR, from_config
from strategies import spans
from xner.data.entity import Entity
from xner.errors import ConfigError
from xner.project.candidates import aligned_window, link_counts, ngram_spans
from xner.project.ilp import _Problem, cpsat_solve, greedy_solve
from xner.project.scores import (
    HFNMTScorer,
    NMTScorer,
    ScoreInputs,
    align_scores,
    fused_scores,
    ner_scores,
)

SRC = ["the", "European", "Parliament", "met", "Nikitin"]
TGT = ["das", "Europäische", "Parlament", "traf", "Nikitin"]


def heuristic_projector(**settings):
    """The shipped heuristic projector (conf/projector/heuristic.yaml) with ``settings``."""
    return from_config("projector", "heuristic", **settings)


def ilp_projector(**settings):
    """The shipped reference ILP projector (conf/projector/ilp_paper.yaml) with ``settings``."""
    return from_config("projector", "ilp_paper", **settings)


def spans_dict(n, max_len=10):
    starts, ends = ngram_spans(n, max_len)
    return {(a, b): k for k, (a, b) in enumerate(zip(starts.tolist(), ends.tolist(), strict=False))}


# ---- candidates and scores -------------------------------------------------------------------
def test_ngram_spans_enumerates_all_short_intervals():
    starts, ends = ngram_spans(4, max_len=2)
    assert list(zip(starts.tolist(), ends.tolist(), strict=False)) == [
        (0, 1),
        (0, 2),
        (1, 2),
        (1, 3),
        (2, 3),
        (2, 4),
        (3, 4),
    ]


def test_alignment_score_matrix_small_example():
    # entity "European Parliament" (source 1..2) linked to target words 1 and 2; "Nikitin" to 4
    ents = [Entity(1, 3, "ORG"), Entity(4, 5, "PER")]
    links = {(1, 1), (2, 2), (4, 4), (0, 0)}
    counts = link_counts(ents, 5, links)
    assert counts.tolist() == [[0, 1, 1, 0, 0], [0, 0, 0, 0, 1]]
    starts, ends = ngram_spans(5)
    scores = align_scores(counts, np.array([2, 1]), starts, ends)
    at = spans_dict(5)
    assert scores[0, at[(1, 3)]] == pytest.approx(1.0)  # 2·2/(2+2)
    assert scores[0, at[(1, 2)]] == pytest.approx(2 / 3)  # 2·1/(2+1)
    assert scores[0, at[(0, 3)]] == pytest.approx(0.8)  # 2·2/(2+3)
    assert scores[0, at[(1, 5)]] == pytest.approx(4 / 6)
    assert scores[0, at[(3, 5)]] == 0
    assert scores[1, at[(4, 5)]] == pytest.approx(1.0)
    assert scores[1, at[(3, 5)]] == pytest.approx(2 / 3)
    window = aligned_window(counts, starts, ends)
    assert {s for s, k in at.items() if window[0, k]} == {(1, 2), (1, 3), (2, 3)}
    assert {s for s, k in at.items() if window[1, k]} == {(4, 5)}


def test_ner_score_formula_and_cutoff():
    names = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
    probs = np.array(
        [
            [0.1, 0.8, 0.1, 0.0, 0.0],
            [0.2, 0.1, 0.6, 0.1, 0.0],
            [0.9, 0.02, 0.02, 0.03, 0.03],
        ]
    )
    starts, ends = ngram_spans(3)
    at = spans_dict(3)
    ents = [Entity(0, 1, "PER"), Entity(0, 1, "LOC")]
    out = ner_scores(ents, probs, names, starts, ends, alpha_rule="all")
    assert out[0, at[(0, 1)]] == pytest.approx(0.8)
    assert out[0, at[(0, 2)]] == pytest.approx(1.15 * (0.8 + 0.6) / 2)
    assert out[0, at[(0, 3)]] == pytest.approx(1.15**2 * (0.8 + 0.6 + 0.02) / 3)
    assert out[0, at[(2, 3)]] == 0  # 0.02 < 0.05 cut-off
    assert out[1, at[(1, 2)]] == pytest.approx(0.1)
    assert out[1, at[(0, 1)]] == 0
    at_cutoff = ner_scores(ents, probs, names, starts, ends, cutoff=0.1)
    assert at_cutoff[1, at[(1, 2)]] == 0  # thesis: kept only when above the cut-off


def test_ner_alpha_only_where_the_model_tags_the_span_itself():
    # argmax per word: B-PER, I-PER, O. The bonus applies to PER on [0,1) and [0,2) only.
    names = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
    probs = np.array(
        [
            [0.1, 0.6, 0.1, 0.2, 0.0],
            [0.1, 0.1, 0.5, 0.0, 0.3],
            [0.5, 0.1, 0.2, 0.0, 0.2],
        ]
    )
    starts, ends = ngram_spans(3)
    at = spans_dict(3)
    per, loc = Entity(0, 1, "PER"), Entity(0, 1, "LOC")
    out = ner_scores([per, loc], probs, names, starts, ends, alpha_rule="argmax")
    assert out[0, at[(0, 2)]] == pytest.approx(1.15 * (0.6 + 0.5) / 2)
    assert out[0, at[(0, 3)]] == pytest.approx((0.6 + 0.5 + 0.2) / 3)  # word 2 is O: no bonus
    assert out[0, at[(1, 3)]] == pytest.approx((0.1 + 0.2) / 2)  # starts with I-PER: no bonus
    assert out[1, at[(0, 2)]] == pytest.approx((0.2 + 0.3) / 2)  # the model says PER, not LOC
    # class-agnostic (the thesis' fused score): every entity gets the best class of the span
    any_class = ner_scores([per, loc], probs, names, starts, ends, per_class=False)
    assert any_class[1, at[(0, 2)]] == pytest.approx(1.15 * (0.6 + 0.5) / 2)
    assert any_class[0, at[(0, 1)]] == any_class[1, at[(0, 1)]] == pytest.approx(0.6)
    assert any_class[1, at[(1, 3)]] == pytest.approx((0.1 + 0.2) / 2)  # PER beats LOC's 0.1


def test_ilp_ner_fusion_is_class_agnostic_by_default():
    names = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
    probs = np.array([[0.1, 0.0, 0.0, 0.9, 0.0], [0.9, 0.0, 0.0, 0.05, 0.05]])
    ents = [Entity(0, 1, "PER")]  # the target model calls word 0 a LOC
    inputs = ScoreInputs(ner_probs=probs, label_names=names)
    fused = ilp_projector(score="fused", weights={"ner": 1.0})
    assert fused.project(["x"], ents, ["a", "b"], set(), inputs).entities == [Entity(0, 1, "PER")]
    per_class = ilp_projector(score="fused", weights={"ner": 1.0}, ner_per_class=True)
    assert per_class.project(["x"], ents, ["a", "b"], set(), inputs).entities == []
    ner_only = ilp_projector(score="ner")
    assert ner_only.project(["x"], ents, ["a", "b"], set(), inputs).entities == []


def test_fused_score_is_weighted_sum():
    a, b = np.array([[1.0, 0.5]]), np.array([[0.2, 0.4]])
    assert fused_scores({"align": a, "ner": b}, {"align": 0.5, "ner": 2.0}).tolist() == [
        [0.9, 1.05]
    ]
    with pytest.raises(ConfigError):
        fused_scores({"align": a}, {"nmt": 1.0})


class LexiconNMT(NMTScorer):
    """1 for exact dictionary translations, 0 otherwise."""

    def __init__(self, table):
        self.table = table

    def score(self, src_phrases, tgt_phrases):
        pairs = zip(src_phrases, tgt_phrases, strict=True)
        return [float(self.table.get(s) == t) for s, t in pairs]


def test_ilp_with_nmt_and_ner_scores():
    ents = [Entity(1, 3, "ORG"), Entity(4, 5, "PER")]
    nmt = LexiconNMT({"European Parliament": "Europäische Parlament", "Nikitin": "Nikitin"})
    out = ilp_projector(score="nmt").project(SRC, ents, TGT, set(), ScoreInputs(nmt=nmt))
    assert out.entities == [Entity(1, 3, "ORG"), Entity(4, 5, "PER")]
    assert out.status == "optimal"
    names = ["O", "B-ORG", "I-ORG", "B-PER", "I-PER"]
    probs = np.full((5, 5), 0.01)
    probs[1, 1] = probs[2, 2] = probs[4, 3] = 0.9
    inputs = ScoreInputs(ner_probs=probs, label_names=names, nmt=nmt)
    fused = ilp_projector(score="fused", weights={"ner": 1.0, "nmt": 1.0, "align": 1.0})
    out = fused.project(SRC, ents, TGT, {(1, 1)}, inputs)
    assert out.entities == [Entity(1, 3, "ORG"), Entity(4, 5, "PER")]
    with pytest.raises(ConfigError):
        ilp_projector(score="ner").project(SRC, ents, TGT, set())


# ---- heuristic -------------------------------------------------------------------------------
def heuristic(links, entity, n_tgt=8, **kw):
    src = [f"s{i}" for i in range(8)]
    tgt = [f"t{j}" for j in range(n_tgt)]
    return heuristic_projector(**kw).project(src, [entity], tgt, links).entities


def test_heuristic_merge_distance_d():
    ent = Entity(0, 2, "ORG")
    links = {(0, 1), (1, 3)}  # ranges [1,2) and [3,4), one unaligned word between
    assert heuristic(links, ent, d=1, thr=0.0) == [Entity(1, 4, "ORG")]
    assert heuristic(links, ent, d=0, thr=0.0) == [Entity(1, 2, "ORG")]  # k=1: leftmost of ties
    far = {(0, 1), (1, 4)}  # two unaligned words between
    assert heuristic(far, ent, d=1, thr=0.0) == [Entity(1, 2, "ORG")]
    assert heuristic(far, ent, d=2, thr=0.0) == [Entity(1, 5, "ORG")]


def test_heuristic_k_keeps_longest_ranges():
    ent = Entity(0, 3, "LOC")
    links = {(0, 0), (1, 3), (2, 4), (0, 7)}  # ranges [0,1), [3,5), [7,8)
    assert heuristic(links, ent, d=0, k=1, thr=0.0) == [Entity(3, 5, "LOC")]
    assert heuristic(links, ent, d=0, k=2, thr=0.0) == [Entity(0, 1, "LOC"), Entity(3, 5, "LOC")]
    assert len(heuristic(links, ent, d=0, k=None, thr=0.0)) == 3


def test_heuristic_ratio_threshold():
    ent = Entity(0, 3, "PER")  # three words projected onto one: ratio 1/3
    links = {(0, 2)}
    assert heuristic(links, ent, thr=0.8) == []
    assert heuristic(links, ent, thr=0.3) == [Entity(2, 3, "PER")]
    assert heuristic(links, ent, thr=1 / 3) == []  # "above", not "at least"
    two = {(0, 2), (1, 3), (2, 4)}
    assert heuristic(two, ent, thr=0.8) == [Entity(2, 5, "PER")]


def test_heuristic_merge_only_i_labels():
    # thesis option: a range starting at a word aligned to the entity's FIRST word is not merged
    ent = Entity(0, 2, "ORG")
    first_right = {(1, 1), (0, 3)}  # right range [3,4) starts at a word aligned to s0
    other_right = {(0, 1), (1, 3)}  # right range [3,4) is aligned to s1 only
    assert heuristic(first_right, ent, d=1, thr=0.0) == [Entity(1, 4, "ORG")]
    assert heuristic(first_right, ent, d=1, thr=0.0, k=None, merge_only_i_labels=True) == [
        Entity(1, 2, "ORG"),
        Entity(3, 4, "ORG"),
    ]
    assert heuristic(other_right, ent, d=1, thr=0.0, merge_only_i_labels=True) == [
        Entity(1, 4, "ORG")
    ]


def test_heuristic_collision_order():
    # PER (1 word) -> t2 t3; ORG (2 words) -> t1 t2 t3. Both ranges overlap.
    ents = [Entity(0, 1, "PER"), Entity(1, 3, "ORG")]
    links = {(0, 2), (0, 3), (1, 1), (2, 2), (2, 3)}
    longest = heuristic_projector(d=1, thr=0.0, collisions="longest")  # the longest range wins
    assert longest.project(["a"] * 3, ents, ["b"] * 5, links).entities == [Entity(1, 4, "ORG")]
    ref = heuristic_projector(d=1, thr=0.0, collisions="reference")
    out = ref.project(["a"] * 3, ents, ["b"] * 5, links)
    assert out.entities == [Entity(2, 4, "PER")]  # thesis: the shorter entity claims first
    assert out.dropped == [Entity(1, 3, "ORG")]
    with pytest.raises(ConfigError):
        heuristic_projector(collisions="random")


def test_heuristic_never_overlaps_between_entities():
    ents = [Entity(0, 1, "PER"), Entity(1, 3, "ORG")]
    links = {(0, 2), (1, 1), (2, 2), (2, 3)}
    projector = heuristic_projector(d=1, thr=0.0, collisions="longest")
    out = projector.project(["a"] * 3, ents, ["b"] * 5, links)
    assert out.entities == [Entity(1, 4, "ORG")]
    assert out.dropped == [Entity(0, 1, "PER")]
    assert out.tags(5) == ["O", "B-ORG", "I-ORG", "I-ORG", "O"]


@given(
    spans(),
    st.integers(1, 12),
    st.lists(st.tuples(st.integers(0, 15), st.integers(0, 11)), max_size=20),
    st.fixed_dictionaries(
        {
            "d": st.integers(0, 3),
            "k": st.none() | st.integers(1, 3),
            "thr": st.sampled_from([0.0, 0.5, 0.8]),
            "merge_only_i_labels": st.booleans(),
            "collisions": st.sampled_from(["longest", "reference"]),
        }
    ),
)
def test_heuristic_spans_never_overlap_and_keep_their_source_labels(source, n_tgt, pairs, options):
    n_src, ents = source
    links = {(i, j) for i, j in pairs if i < n_src and j < n_tgt}
    out = heuristic_projector(**options).project(["s"] * n_src, ents, ["t"] * n_tgt, links)
    found = sorted(out.entities)
    assert all(0 <= e.start < e.end <= n_tgt for e in found)
    assert all(a.end <= b.start for a, b in zip(found, found[1:], strict=False))
    assert {e.label for e in found} <= {e.label for e in ents}
    assert set(out.dropped) <= set(ents)


# ---- ILP -------------------------------------------------------------------------------------
def problem(rows):
    """rows: (entity, start, end, score)."""
    e, a, b, s = zip(*rows, strict=False)
    return _Problem(np.array(e), np.array(a), np.array(b), np.array(s, dtype=float))


def objective(p, chosen):
    return float(sum(p.score[c] for c in chosen))


def assert_disjoint(p, chosen):
    spans = sorted((int(p.start[c]), int(p.end[c])) for c in chosen)
    for (_a1, b1), (a2, _b2) in zip(spans, spans[1:], strict=False):
        assert b1 <= a2, spans


def test_exact_beats_greedy_on_known_instance():
    # A: [1,2) 1.0 or [2,3) 0.8; B: [0,2) 0.9. Greedy takes A@[1,2) and blocks B: 1.0.
    # Optimum: A@[2,3) + B@[0,2) = 1.7.
    p = problem([(0, 1, 2, 1.0), (0, 2, 3, 0.8), (1, 0, 2, 0.9)])
    g, g_status = greedy_solve(p, 2, "le", 1)
    x, x_status = cpsat_solve(p, np.arange(3), "le", 1)
    assert objective(p, g) == pytest.approx(1.0) and g_status == "feasible"
    assert objective(p, x) == pytest.approx(1.7) and x_status == "optimal"
    assert sorted(x) == [1, 2]


def test_project_exact_vs_greedy_end_to_end():
    # entity 0 "a b" linked to t1,t2 ; entity 1 "c" linked to t2 and t0 (t0 weaker candidate)
    src, tgt = ["a", "b", "c"], ["t0", "t1", "t2", "t3"]
    ents = [Entity(0, 2, "ORG"), Entity(2, 3, "PER")]
    links = {(0, 1), (1, 2), (2, 2), (2, 3)}
    exact = ilp_projector().project(src, ents, tgt, links)
    greedy = ilp_projector(solver="greedy").project(src, ents, tgt, links)
    assert exact.status == "optimal" and greedy.status == "feasible"
    assert exact.objective >= greedy.objective - 1e-9
    assert exact.entities == [Entity(1, 3, "ORG"), Entity(3, 4, "PER")]


def test_constraint_types_never_label_an_entity_without_evidence():
    src, tgt = ["a", "b", "c"], ["t0", "t1", "t2", "t3"]
    ents = [Entity(0, 1, "PER"), Entity(1, 2, "LOC")]
    links = {(0, 0), (0, 2)}  # PER aligned to two separate words, LOC to nothing
    le = ilp_projector(constraint="le", restrict=False).project(src, ents, tgt, links)
    assert le.entities == [Entity(0, 1, "PER")] and le.dropped == [Entity(1, 2, "LOC")]
    for solver in ("exact", "greedy"):
        eq = ilp_projector(constraint="eq", restrict=False, solver=solver)
        out = eq.project(src, ents, tgt, links)
        assert len(out.entities) == 1 and out.entities[0].label == "PER"
        assert out.dropped == [Entity(1, 2, "LOC")]  # no evidence: dropped, not put on a word
        assert not out.unmet and out.objective == pytest.approx(1.0)
    ge = ilp_projector(constraint="ge", restrict=False).project(src, ents, tgt, links)
    assert ge.entities == [Entity(0, 1, "PER"), Entity(2, 3, "PER")]  # both positive candidates
    eq2 = ilp_projector(constraint="eq", n_proj=2).project(src, ents[:1], tgt, links)
    assert eq2.entities == [Entity(0, 1, "PER"), Entity(2, 3, "PER")]


def test_n_proj_zero():
    src, tgt = ["a"], ["t0", "t1", "t2"]
    ents, links = [Entity(0, 1, "PER")], {(0, 0), (0, 2)}
    for constraint in ("le", "eq"):
        for solver in ("exact", "greedy"):
            out = ilp_projector(constraint=constraint, n_proj=0, solver=solver).project(
                src, ents, tgt, links
            )
            assert out.entities == [] and out.dropped == ents and not out.unmet
    ge = ilp_projector(constraint="ge", n_proj=0, restrict=False).project(src, ents, tgt, links)
    assert ge.entities == [Entity(0, 1, "PER"), Entity(2, 3, "PER")]


def test_infeasible_eq_is_configurable_and_reported():
    # two entities whose only evidence is the same target word: '= 1' cannot hold
    src, tgt = ["a", "b"], ["x", "y"]
    ents, links = [Entity(0, 1, "PER"), Entity(1, 2, "PER")], {(0, 0), (1, 0)}
    for solver in ("exact", "greedy"):
        empty = ilp_projector(constraint="eq", solver=solver).project(src, ents, tgt, links)
        assert empty.status == "infeasible" and empty.unmet  # the reference: no labels at all
        assert empty.entities == [] and empty.dropped == ents
        relax = ilp_projector(constraint="eq", solver=solver, on_infeasible="relax")
        out = relax.project(src, ents, tgt, links)
        assert out.status == "relaxed" and out.unmet
        assert out.entities == [Entity(0, 1, "PER")] and len(out.dropped) == 1
    with pytest.raises(ConfigError):
        ilp_projector(on_infeasible="ignore")


def test_stop_words_exclude_candidates():
    # thesis candidate extractor: no candidate contains "!" or "?"
    src, tgt = ["A", "B"], ["x", "!", "y"]
    ents, links = [Entity(0, 2, "ORG")], {(0, 0), (1, 2)}
    plain = ilp_projector(stop_words=[], ties="shorter")
    assert plain.project(src, ents, tgt, links).entities == [Entity(0, 3, "ORG")]
    stop = ilp_projector(stop_words=["!", "?"], ties="shorter").project(src, ents, tgt, links)
    assert stop.entities == [Entity(0, 1, "ORG")]  # ties (x, y): shorter, then leftmost


def brute_force(p, n_entities, constraint, n_proj):
    best = None
    for r in range(len(p.ent) + 1):
        for subset in itertools.combinations(range(len(p.ent)), r):
            present = np.unique(p.ent)  # the projector gives every entity a candidate
            counts = np.bincount(p.ent[list(subset)], minlength=n_entities)[present]
            ok = {"le": counts <= n_proj, "eq": counts == n_proj, "ge": counts >= n_proj}
            if not ok[constraint].all():
                continue
            cover = np.zeros(20, dtype=int)
            for c in subset:
                cover[p.start[c] : p.end[c]] += 1
            if cover.max(initial=0) > 1:
                continue
            value = objective(p, subset)
            best = value if best is None else max(best, value)
    return best


def test_exact_matches_brute_force_on_small_instances():
    rng = random.Random(7)
    for _ in range(60):
        n_ent, n_tgt = rng.randint(1, 3), rng.randint(2, 6)
        rows = set()
        while len(rows) < rng.randint(1, 9):
            a = rng.randrange(n_tgt)
            rows.add((rng.randrange(n_ent), a, rng.randint(a + 1, n_tgt), round(rng.random(), 3)))
        p = problem(sorted(rows))
        for constraint in ("le", "eq", "ge"):
            chosen, status = cpsat_solve(p, np.arange(len(p.ent)), constraint, 1)
            best = brute_force(p, n_ent, constraint, 1)
            if best is None:
                assert status == "infeasible"
                continue
            assert status == "optimal"
            assert objective(p, chosen) == pytest.approx(best, abs=1e-5)


@pytest.mark.parametrize("constraint", ["le", "eq", "ge"])
def test_random_instances_exact_dominates_greedy_and_never_overlaps(constraint):
    rng = random.Random(11)
    for _ in range(80):
        n_src, n_tgt = rng.randint(1, 8), rng.randint(1, 14)
        src, tgt = [f"s{i}" for i in range(n_src)], [f"t{j}" for j in range(n_tgt)]
        cuts = sorted(rng.sample(range(n_src + 1), min(n_src + 1, rng.randint(2, 5))))
        spans = zip(cuts, cuts[1:], strict=False)
        ents = [Entity(a, b, "X") for a, b in spans if rng.random() < 0.8]
        links = {(rng.randrange(n_src), rng.randrange(n_tgt)) for _ in range(rng.randint(0, 12))}
        kw = dict(constraint=constraint, max_len=rng.randint(1, 10), min_score=rng.random() / 2)
        exact = ilp_projector(**kw).project(src, ents, tgt, links)
        greedy = ilp_projector(solver="greedy", **kw).project(src, ents, tgt, links)
        for result in (exact, greedy):
            result.tags(n_tgt)  # raises on overlapping spans
            assert len(result.entities) + len(result.dropped) >= len(ents) or constraint == "ge"
        assert exact.status in ("optimal", "infeasible")
        if exact.status == "infeasible":
            assert exact.entities == [] and constraint != "le"
        if exact.status == "optimal" and greedy.status != "infeasible":
            assert exact.objective >= greedy.objective - 1e-5
        if constraint == "le":
            assert greedy.status in ("feasible", "optimal")  # optimal: nothing to project
            assert len(exact.entities) + len(exact.dropped) == len(ents)


def test_ilp_rejects_bad_config():
    for bad in (dict(score="bleu"), dict(constraint="lt"), dict(solver="gurobi"), dict(n_proj=-1)):
        with pytest.raises(ConfigError):
            ilp_projector(**bad)


# ---- NMT scorer over a tiny random model ----------------------------------------------------
@pytest.fixture(scope="module")
def tiny_marian(tmp_path_factory):
    import torch

    from xner.testing.tiny_models import build_tiny_seq2seq

    torch.set_num_threads(1)
    corpus = ["the european parliament met", "das europäische parlament traf", "nikitin"] * 5
    return build_tiny_seq2seq(tmp_path_factory.mktemp("marian"), "marian", corpus, seed=0)


def test_hf_nmt_scorer_symmetric_and_self_similarity(tiny_marian):
    scorer = HFNMTScorer(str(tiny_marian), batch_size=2)
    out = scorer.score(["parliament", "nikitin", "parliament"], ["parlament", "nikitin", "das"])
    assert len(out) == 3 and all(np.isfinite(out)) and all(v > 0 for v in out)
    assert scorer.score(["nikitin"], ["nikitin"]) == [pytest.approx(1.0, rel=1e-4)]
    swapped = scorer.score(["parlament"], ["parliament"])
    assert swapped[0] == pytest.approx(out[0], rel=1e-4)  # direction-free for a shared model


def test_every_projector_config_instantiates():

    from hydra.utils import instantiate
    from omegaconf import OmegaConf

    folder = CONF_DIR / "projector"
    names = sorted(p.stem for p in folder.glob("*.yaml"))
    assert {"heuristic", "ilp", "heuristic_paper", "ilp_paper"} <= set(names)
    for name in names:
        assert instantiate(OmegaConf.load(folder / f"{name}.yaml")) is not None
