"""Projection as candidate matching, solved exactly (OR-Tools CP-SAT) or greedily.

Maximise Σ c(s, t)·x(s, t) over source entities s and target n-grams t, with x binary, each
entity matched to ≤ / = / ≥ ``n_proj`` candidates and at most one chosen candidate covering each
target word (candidates are intervals, so this is the no-overlap constraint).

Only candidates with a positive score (evidence) can be chosen: an entity without any is left
out of the = / ≥ constraints and dropped (as the reference thesis code does), never placed on an
arbitrary word. When = / ≥ cannot be met, ``on_infeasible`` decides: ``empty`` (the reference:
its solver returns no solution, so the sentence gets no labels) or ``relax`` (solve ≤ instead).
Either way the projection's status says so, and the pipeline counts and logs those sentences.

The exact path is fast because most of the work never reaches the solver: entities whose
candidate hulls do not overlap form independent components; in a component where every entity's
best candidate is disjoint from the others' (the common case) that choice is optimal by
inspection (each entity's best is an upper bound of its own term). Only the remaining components
go to CP-SAT, with scores scaled to integers (``SCALE``): the objective is then optimal to within
0.5/SCALE per chosen candidate.
"""

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Literal

import numpy as np

from xner.data.entity import Entity
from xner.errors import ConfigError
from xner.options import Range, check_fields
from xner.project.base import Projection, Projector
from xner.project.candidates import aligned_window, link_counts, ngram_spans
from xner.project.scores import (
    AlphaRule,
    Score,
    ScoreInputs,
    align_scores,
    fused_scores,
    ner_scores,
    nmt_scores,
)
from xner.project.similarity import similarity_scores

# Scores equal to this many decimals tie (reference ties): equal fractions computed two ways
TIE_DECIMALS = 12
SCALE = 1_000_000


@dataclass
class ILPProjection(Projection):
    """A projection plus the optimisation outcome: ``status`` is optimal, feasible (greedy),
    infeasible (= / ≥ could not be met; no labels) or relaxed (≤ was solved instead)."""

    status: str = "optimal"
    objective: float = 0.0


@dataclass
class _Problem:
    """Candidates with a positive score (at least ``min_score``), flattened."""

    ent: np.ndarray
    start: np.ndarray
    end: np.ndarray
    score: np.ndarray
    ties: str = "shorter"

    def tie_order(self, members: np.ndarray | None = None) -> np.ndarray:
        """Indices of ``members`` (default all), best first: the higher score, then (``shorter``)
        the shorter and leftmost candidate or (``reference``) the thesis code's order: its greedy
        ``argmax`` over the [entity, candidate] matrix takes the lower entity, then the first
        candidate of its n-gram list (by start, then end)."""
        idx = np.arange(len(self.ent)) if members is None else members
        if self.ties == "shorter":
            keys = (self.start[idx], self.end[idx] - self.start[idx], -self.score[idx])
        else:
            score = np.round(self.score[idx], TIE_DECIMALS)
            keys = (self.end[idx], self.start[idx], self.ent[idx], -score)
        return idx[np.lexsort(keys)]


def check_sim_settings(
    score: str, weights: Mapping[str, float], ngram: int | None, cutoff: float | None
) -> None:
    """The sim score's settings, needed only where it is used (conf/projector/ilp_paper.yaml
    sets them null: its score never reads them)."""
    uses_sim = score == "sim" or (score == "fused" and weights.get("sim", 0) != 0)
    if uses_sim and (ngram is None or cutoff is None):
        raise ConfigError(
            "projector: the sim score needs sim_ngram and sim_cutoff "
            "(conf/projector/ilp.yaml: sim_ngram: 2, sim_cutoff: 0.5)"
        )


@dataclass(eq=False, kw_only=True)
class ILPProjector(Projector):
    """Candidate matching (see the module's docstring); every setting from conf/projector/."""

    max_len: Annotated[int, Range(1)]
    score: Score
    weights: Mapping[str, float]
    constraint: Literal["le", "eq", "ge"]
    n_proj: Annotated[int, Range(0)]
    solver: Literal["exact", "greedy"]
    min_score: float
    ner_alpha: float
    ner_cutoff: float
    nmt_cutoff: float
    restrict: bool
    ner_alpha_rule: AlphaRule
    # thesis (None): per-class scores for score=ner, the class-agnostic span score when fused
    ner_per_class: bool | None
    stop_words: Collection[str]
    on_infeasible: Literal["empty", "relax"]
    sim_ngram: Annotated[int, Range(1)] | None
    sim_cutoff: Annotated[float, Range(0, 1)] | None
    ties: Literal["shorter", "reference"]

    def __post_init__(self) -> None:
        check_fields(self, "projector")
        check_sim_settings(self.score, self.weights, self.sim_ngram, self.sim_cutoff)
        self.weights = dict(self.weights)
        self.stop_words = frozenset(self.stop_words)
        if self.ner_per_class is None:
            self.ner_per_class = self.score == "ner"

    # ---- scores -------------------------------------------------------------------------
    def _uses(self, name: str) -> bool:
        return self.score == name or (self.score == "fused" and self.weights.get(name, 0) != 0)

    def score_matrix(
        self,
        src_words: Sequence[str],
        src_entities: Sequence[Entity],
        tgt_words: Sequence[str],
        links: Collection[tuple[int, int]],
        inputs: ScoreInputs | None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(starts, ends, scores [entities, candidates]); masked-out candidates score -inf."""
        starts, ends = ngram_spans(len(tgt_words), self.max_len)
        parts: dict[str, np.ndarray] = {}
        counts = None
        if self._uses("align"):
            counts = link_counts(src_entities, len(tgt_words), links)
            lengths = np.fromiter((e.length for e in src_entities), np.int64, len(src_entities))
            parts["align"] = align_scores(counts, lengths, starts, ends)
        if self._uses("ner"):
            parts["ner"] = self._ner_scores(src_entities, starts, ends, inputs)
        if self._uses("nmt"):
            if inputs is None or inputs.nmt is None:
                raise ConfigError("projector.score uses 'nmt' but no NMT scorer given")
            parts["nmt"] = nmt_scores(
                src_words, src_entities, tgt_words, starts, ends, inputs.nmt, self.nmt_cutoff
            )
        if self._uses("sim"):
            parts["sim"] = similarity_scores(
                src_words, src_entities, tgt_words, starts, ends, self.sim_ngram, self.sim_cutoff
            )
        scores = parts[self.score] if self.score != "fused" else fused_scores(parts, self.weights)
        if self.restrict and set(parts) == {"align"} and counts is not None:
            scores = np.where(aligned_window(counts, starts, ends), scores, -np.inf)
        return starts, ends, self._without_stop_words(scores, tgt_words, starts, ends)

    def _ner_scores(
        self,
        src_entities: Sequence[Entity],
        starts: np.ndarray,
        ends: np.ndarray,
        inputs: ScoreInputs | None,
    ) -> np.ndarray:
        if inputs is None or inputs.ner_probs is None or inputs.label_names is None:
            raise ConfigError("projector.score uses 'ner' but no target NER probabilities given")
        return ner_scores(
            src_entities,
            inputs.ner_probs,
            inputs.label_names,
            starts,
            ends,
            self.ner_alpha,
            self.ner_cutoff,
            self.ner_alpha_rule,
            self.ner_per_class,
        )

    def _without_stop_words(
        self, scores: np.ndarray, tgt_words: Sequence[str], starts: np.ndarray, ends: np.ndarray
    ) -> np.ndarray:
        """``scores`` with every candidate that contains a stop word at -inf."""
        if not self.stop_words:
            return scores
        stop = np.concatenate([[0], np.cumsum([w in self.stop_words for w in tgt_words])])
        return np.where((stop[ends] > stop[starts])[None, :], -np.inf, scores)

    def _problem(self, starts: np.ndarray, ends: np.ndarray, scores: np.ndarray) -> _Problem:
        keep = (scores > 0) & (scores >= self.min_score)
        if self.n_proj == 0 and self.constraint != "ge":
            keep[:] = False
        ent, cand = np.nonzero(keep)
        return _Problem(ent, starts[cand], ends[cand], scores[ent, cand], self.ties)

    # ---- projection ---------------------------------------------------------------------
    def project(
        self,
        src_words: Sequence[str],
        src_entities: Sequence[Entity],
        tgt_words: Sequence[str],
        links: Collection[tuple[int, int]],
        inputs: object | None = None,
    ) -> ILPProjection:
        if not src_entities or not tgt_words:
            return ILPProjection(dropped=list(src_entities))
        if inputs is not None and not isinstance(inputs, ScoreInputs):
            raise ConfigError(f"ILPProjector needs ScoreInputs, got {type(inputs).__name__}")
        starts, ends, scores = self.score_matrix(src_words, src_entities, tgt_words, links, inputs)
        problem = self._problem(starts, ends, scores)
        if self.solver == "greedy":
            chosen, status = greedy_solve(problem, len(src_entities), self.constraint, self.n_proj)
            if status == "infeasible" and self.on_infeasible == "relax":
                status = "relaxed"  # the greedy choice respects <= already
        else:
            chosen, status = self._exact(problem, len(src_entities))
        if status == "infeasible":
            chosen = []
        return self._projection(src_entities, problem, chosen, status)

    def _projection(
        self, src_entities: Sequence[Entity], problem: _Problem, chosen: list[int], status: str
    ) -> ILPProjection:
        spans = sorted(
            Entity(int(problem.start[c]), int(problem.end[c]), src_entities[problem.ent[c]].label)
            for c in chosen
        )
        projected = {int(problem.ent[c]) for c in chosen}
        return ILPProjection(
            entities=spans,
            dropped=[ent for e, ent in enumerate(src_entities) if e not in projected],
            status=status,
            objective=float(problem.score[chosen].sum()) if chosen else 0.0,
        )

    def _exact(self, problem: _Problem, n_entities: int) -> tuple[list[int], str]:
        chosen: list[int] = []
        status = "optimal"
        for comp in components(problem, n_entities):
            picked = None
            if self.n_proj == 1 and self.constraint != "ge":
                picked = best_if_disjoint(problem, comp)
            if picked is None:
                picked, comp_status = cpsat_solve(problem, comp, self.constraint, self.n_proj)
                if comp_status == "infeasible":
                    if self.on_infeasible == "empty":
                        return [], "infeasible"
                    picked, _ = cpsat_solve(problem, comp, "le", self.n_proj)
                    status = "relaxed"
            chosen.extend(picked)
        return chosen, status


def components(problem: _Problem, n_entities: int) -> list[np.ndarray]:
    """Candidate index groups of entities whose candidate hulls overlap (transitively)."""
    if len(problem.ent) == 0:
        return []
    lo = np.full(n_entities, np.iinfo(np.int64).max)
    hi = np.full(n_entities, -1)
    np.minimum.at(lo, problem.ent, problem.start)
    np.maximum.at(hi, problem.ent, problem.end)
    present = np.nonzero(hi >= 0)[0]
    order = present[np.argsort(lo[present], kind="stable")]
    groups: list[list[int]] = []
    reach = -1
    for e in order.tolist():
        if groups and lo[e] < reach:
            groups[-1].append(e)
            reach = max(reach, int(hi[e]))
        else:
            groups.append([e])
            reach = int(hi[e])
    if len(groups) == 1:
        return [np.arange(len(problem.ent))]
    group_of = np.empty(n_entities, dtype=np.int64)
    for g, members in enumerate(groups):
        group_of[members] = g
    cand_group = group_of[problem.ent]
    order_c = np.argsort(cand_group, kind="stable")
    bounds = np.searchsorted(cand_group[order_c], np.arange(len(groups) + 1))
    return [order_c[bounds[g] : bounds[g + 1]] for g in range(len(groups))]


def best_if_disjoint(problem: _Problem, comp: np.ndarray) -> list[int] | None:
    """Each entity's best candidate, if these are pairwise disjoint (then they are optimal).
    Best: the higher score; ties as :meth:`_Problem.tie_order` breaks them."""
    ranked = problem.tie_order(comp)
    ranked = ranked[np.argsort(problem.ent[ranked], kind="stable")]
    ents = problem.ent[ranked]
    first = np.ones(len(ranked), dtype=bool)
    first[1:] = ents[1:] != ents[:-1]
    best = ranked[first]
    picked = best[np.argsort(problem.start[best], kind="stable")].tolist()
    for prev, nxt in zip(picked, picked[1:], strict=False):
        if problem.end[prev] > problem.start[nxt]:
            return None
    return [int(c) for c in picked]


def cpsat_solve(
    problem: _Problem, comp: np.ndarray, constraint: str, n_proj: int
) -> tuple[list[int], str]:
    """Solve one component with CP-SAT; returns (chosen candidate indices, status)."""
    from ortools.sat.python import cp_model

    model = cp_model.CpModel()
    idx = comp.tolist()
    x = {c: model.new_bool_var(f"x{c}") for c in idx}
    by_entity: dict[int, list[int]] = {}
    by_word: dict[int, list[int]] = {}
    for c in idx:
        by_entity.setdefault(int(problem.ent[c]), []).append(c)
        for j in range(int(problem.start[c]), int(problem.end[c])):
            by_word.setdefault(j, []).append(c)
    for cands in by_entity.values():
        total = sum(x[c] for c in cands)
        if constraint == "le":
            model.add(total <= n_proj)
        elif constraint == "eq":
            model.add(total == n_proj)
        else:
            model.add(total >= n_proj)
    for cands in by_word.values():
        if len(cands) > 1:
            model.add_at_most_one(x[c] for c in cands)
    weights = np.maximum(np.rint(problem.score[comp] * SCALE), 1).astype(np.int64).tolist()
    model.maximize(sum(w * x[c] for w, c in zip(weights, idx, strict=True)))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    result = solver.solve(model)
    if result == cp_model.OPTIMAL:
        return [c for c in idx if solver.value(x[c])], "optimal"
    if result == cp_model.INFEASIBLE:
        return [], "infeasible"
    raise RuntimeError(f"CP-SAT ended with status {solver.status_name(result)}")


def greedy_solve(
    problem: _Problem, n_entities: int, constraint: str, n_proj: int
) -> tuple[list[int], str]:
    """Take the best remaining candidate that fits, repeatedly (ties: ``tie_order``)."""
    order = problem.tie_order().tolist()
    used = np.zeros(int(problem.end.max()) if len(problem.end) else 0, dtype=bool)
    count = [0] * n_entities
    cap = n_proj if constraint in ("le", "eq") else None
    chosen: list[int] = []
    for c in order:
        e, a, b = int(problem.ent[c]), int(problem.start[c]), int(problem.end[c])
        if cap is not None and count[e] >= cap:
            continue
        if used[a:b].any():
            continue
        used[a:b] = True
        count[e] += 1
        chosen.append(c)
    present = set(problem.ent.tolist())
    feasible = constraint == "le" or all(count[e] >= n_proj for e in present)
    return chosen, "feasible" if feasible else "infeasible"
