"""Europarl-NER en->X projection benchmark: F1 on a dev and a held-out portion, and speed.

For each target language X with a file ``X-europarl.test.conll02`` next to the English one
(de in ../shared; es, it, ... when present), aligns the 799 parallel sentences with the default
eflomal aligner (conf/aligner/eflomal.yaml; it learns from all 799 pairs, which needs no labels),
projects the gold English entities and scores the projections against X's gold labels on

- dev: sentences 0-599 (the only sentences defaults may be tuned on:
  docs/explanation/reproducibility.md),
- test: sentences 600-798 (the test split of ``experiment=europarl``; report only), and
- all: the whole corpus, as the reference work reports it (report only).

Each alignment is timed next to one plain eflomal run (eflomal's own defaults: 3 samplers, the
default iterations, no priors, both directions) on the same pairs in the same process, run
just before it.

Projectors: the defaults (conf/projector/heuristic.yaml, ilp.yaml exact and greedy) and the
reference presets (heuristic_paper.yaml, ilp_paper.yaml). ``--repeat N`` re-aligns N times,
alignment k seeded k (the plain run unseeded), and prints the mean and min-max of each column.
``--grid`` also sweeps the projectors' parameters and lists every setting by dev F1 (test F1
alongside, never used to choose). ``--links DIR`` stores the raw alignments (every run, both
directions; one folder per language) and reuses them.

    python bench/projection_europarl.py [--data DIR] [--lang de] [--repeat 5] [--grid] [--links DIR]
"""

import argparse
import itertools
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hydra.utils import instantiate  # noqa: E402
from omegaconf import OmegaConf  # noqa: E402

from xner.data.conll import read_conll  # noqa: E402
from xner.data.tags import entities  # noqa: E402
from xner.errors import XnerError  # noqa: E402
from xner.evaluation.metrics import score  # noqa: E402

DEV = range(0, 600)
TEST = range(600, 799)
PARTS = {"dev F1 (0-599)": DEV, "test F1 (600-798)": TEST, "all F1 (0-798)": range(0, 799)}


def load(name: str, **override):
    cfg = OmegaConf.load(ROOT / "conf" / name)
    return instantiate(OmegaConf.merge(cfg, override))


def projectors() -> dict[str, object]:
    return {
        "heuristic": load("projector/heuristic.yaml"),
        "ilp-exact": load("projector/ilp.yaml"),
        "ilp-greedy": load("projector/ilp.yaml", solver="greedy"),
        "ilp align-only": load("projector/ilp.yaml", score="align", restrict=True),
        "heuristic_paper": load("projector/heuristic_paper.yaml"),
        "ilp_paper": load("projector/ilp_paper.yaml"),
        "ilp_paper-greedy": load("projector/ilp_paper.yaml", solver="greedy"),
    }


def grid() -> dict[str, object]:
    """Settings swept on dev: the heuristic's d, k, thr, merge rule, collisions; the ILP's
    string-similarity weight, n-gram size and word cutoff."""
    out = {}
    for d, k, thr, moi, col in itertools.product(
        (0, 1, 2, 3), (1, None), (0.0, 0.5, 0.8), (False, True), ("longest", "reference")
    ):
        name = f"heur d={d} k={k} thr={thr} moi={int(moi)} {col}"
        out[name] = load(
            "projector/heuristic.yaml", d=d, k=k, thr=thr, merge_only_i_labels=moi, collisions=col
        )
    for lam, n, cut in itertools.product((0.0, 0.5, 1.0, 1.5), (2, 3), (0.3, 0.5, 0.7)):
        if lam == 0.0 and (n, cut) != (2, 0.5):
            continue
        name = f"ilp sim={lam} n={n} cutoff={cut}"
        weights = {"align": 1.0, "sim": lam}
        out[name] = load("projector/ilp.yaml", weights=weights, sim_ngram=n, sim_cutoff=cut)
    return out


def project_all(projector, src, tgt, links) -> tuple[list[list[str]], float]:
    """Projected target tags and sentences per second (alignment excluded)."""
    preds = []
    start = time.perf_counter()
    for s, t, lk in zip(src, tgt, links, strict=True):
        preds.append(projector.project(s.words, entities(s.tags), t.words, lk).tags(len(t.words)))
    return preds, len(src) / (time.perf_counter() - start)


PLAIN = {"runs": 1, "min_votes": 1, "n_samplers": 3, "rel_iterations": 1.0, "null_prior": 0.2,
         "identical_prior": 0.0, "ortho_prior": 0.0, "model": 3}  # fmt: skip


def alignments(src, tgt, repeat: int, folder: str | None) -> tuple[list[list], list[tuple]]:
    """``repeat`` eflomal alignments of all pairs (each: every run's forward and reverse links),
    stored in / reused from ``folder``, and (aligner seconds, plain eflomal seconds) of each
    alignment computed here."""
    plain = load("aligner/eflomal.yaml", **PLAIN, seed=None)
    pairs = [(s.words, t.words) for s, t in zip(src, tgt, strict=True)]
    out, times = [], []
    for rep in range(repeat):
        path = Path(folder) / f"directions-{rep}.json" if folder else None
        if path is not None and path.is_file():
            data = json.loads(path.read_text())
            sets = [tuple([{tuple(x) for x in s} for s in side] for side in run) for run in data]
            out.append(sets)
            continue
        aligner = load("aligner/eflomal.yaml", seed=rep)
        t0 = time.perf_counter()
        plain.align(pairs)
        t1 = time.perf_counter()
        dirs = aligner.align_directions(pairs)
        aligner.combine(dirs, aligner.units(pairs))
        t2 = time.perf_counter()
        times.append((t2 - t1, t1 - t0))
        print(
            f"alignment {rep + 1}/{repeat}: aligner {t2 - t1:.1f} s, "
            f"one plain eflomal run {t1 - t0:.1f} s ({(t2 - t1) / (t1 - t0):.2f}x)",
            flush=True,
        )
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            plain_links = [[[sorted(s) for s in side] for side in run] for run in dirs]
            path.write_text(json.dumps(plain_links))
        out.append(dirs)
    return out, times


def f1(preds, gold, part: range) -> float:
    return score([preds[i] for i in part], [gold[i] for i in part])["f1"]


def spread(values: list[float]) -> str:
    if len(values) == 1:
        return f"{values[0]:.4f}"
    return f"{statistics.mean(values):.4f} [{min(values):.4f}-{max(values):.4f}]"


def evaluate(named: dict[str, object], src, tgt, runs) -> list[tuple[str, list[list], float]]:
    """Per projector: its F1 on each of ``PARTS`` for every alignment, and sentences/s."""
    gold = [t.tags for t in tgt]
    rows = []
    for name, projector in named.items():
        scores: list[list[float]] = [[] for _ in PARTS]
        speed = []
        for links in runs:
            preds, sps = project_all(projector, src, tgt, links)
            for column, part in zip(scores, PARTS.values(), strict=True):
                column.append(f1(preds, gold, part))
            speed.append(sps)
        rows.append((name, scores, statistics.mean(speed)))
    return rows


def table(rows, width: int, speed: bool) -> None:
    header = "".join(f" {name:>24}" for name in PARTS)
    print(f"{'projector':<{width}}{header}" + (f" {'sent/s':>8}" if speed else ""))
    for name, scores, sps in rows:
        line = "".join(f" {spread(column):>24}" for column in scores)
        print(f"{name:<{width}}{line}" + (f" {sps:8.0f}" if speed else ""))


def languages(data: Path, wanted: list[str] | None) -> list[str]:
    """Target languages with a Europarl-NER file next to the English one."""
    found = sorted(
        p.name.split("-")[0]
        for p in data.glob("*-europarl.test.conll02")
        if not p.name.startswith("en-")
    )
    if wanted:
        missing = [lang for lang in wanted if lang not in found]
        if missing:
            raise XnerError(f"no {missing[0]}-europarl.test.conll02 in {data}")
        return wanted
    return found


def bench_language(args, lang: str) -> None:
    """Alignment timing and the F1 table (and the grids) for en->lang."""
    data = Path(args.data)
    src = read_conll(data / "en-europarl.test.conll02")
    tgt = read_conll(data / f"{lang}-europarl.test.conll02")
    if len(src) != len(tgt) or len(src) != len(DEV) + len(TEST):
        raise XnerError(f"{len(src)} English, {len(tgt)} {lang} sentences; expected 799")
    print(f"\n== en->{lang}", flush=True)
    folder = str(Path(args.links) / lang) if args.links else None
    directions, times = alignments(src, tgt, args.repeat, folder)
    if times:
        mine, plain = (statistics.mean(t[k] for t in times) for k in (0, 1))
        print(
            f"aligner {mine:.1f} s, one plain eflomal run {plain:.1f} s on the same 799 pairs "
            f"(mean of {len(times)}): {mine / plain:.2f}x"
        )
    aligner = load("aligner/eflomal.yaml", seed=None)
    units = aligner.units([(s.words, t.words) for s, t in zip(src, tgt, strict=True)])
    runs = [aligner.combine(d[: aligner.runs], units) for d in directions]
    width = 38 if args.grid else 18
    print(f"\n{len(runs)} alignment(s); F1 mean [min-max]")
    rows = evaluate(projectors(), src, tgt, runs)
    table(rows, width, speed=True)
    by_name = {name: scores for name, scores, _ in rows}
    for k, part in enumerate(PARTS):
        heur, ilp = by_name["heuristic"][k], by_name["ilp-exact"][k]
        worse = sum(i < h for h, i in zip(heur, ilp, strict=True))
        print(f"{part.split()[0]}: ILP below the heuristic in {worse} of {len(heur)} alignments")
    if args.grid:
        grid_rows = evaluate(grid(), src, tgt, runs)
        grid_rows.sort(key=lambda r: -statistics.mean(r[1][0]))
        print("\ngrid, by dev F1 (test and all shown, never used to choose)")
        table(grid_rows, width, speed=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "europarl"))
    parser.add_argument("--lang", action="append", help="target language(s); default: all found")
    parser.add_argument("--repeat", type=int, default=1, help="re-align and re-score N times")
    parser.add_argument("--grid", action="store_true", help="also sweep parameters on dev")
    parser.add_argument("--links", default=None, help="folder to store / reuse alignments in")
    args = parser.parse_args(argv)
    try:
        for lang in languages(Path(args.data), args.lang):
            bench_language(args, lang)
    except XnerError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
