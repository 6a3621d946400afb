"""Europarl-NER en->de projection benchmark: F1 on a dev and a held-out portion, and speed.

Aligns the 799 parallel sentences with the default eflomal aligner (conf/aligner/eflomal.yaml;
it learns from all 799 pairs, which needs no labels), projects the gold English entities and
scores the German projections against the German gold labels separately on

- dev: sentences 0-599 (the only sentences defaults may be tuned on, DESIGN §9), and
- test: sentences 600-798 (the test split of ``experiment=europarl``; report only).

Projectors: the defaults (conf/projector/heuristic.yaml, ilp.yaml exact and greedy) and the
reference presets (heuristic_paper.yaml, ilp_paper.yaml). eflomal samples without a seed:
``--repeat N`` re-aligns N times and prints the mean and min-max of each column.
``--grid`` also sweeps the projectors' parameters and the way eflomal's runs are combined
(symmetrisation, votes) and lists every setting by dev F1 (test F1 alongside, never used to
choose). ``--links DIR`` stores the raw alignments (every run, both directions) and reuses them.

    python bench/projection_europarl.py [--data DIR] [--repeat 5] [--grid] [--links DIR]
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
from xner.metrics import score  # noqa: E402

DEV = range(0, 600)
TEST = range(600, 799)


def load(name: str, **override):
    cfg = OmegaConf.load(ROOT / "conf" / name)
    return instantiate(OmegaConf.merge(cfg, override))


def projectors() -> dict[str, object]:
    return {
        "heuristic": load("projector/heuristic.yaml"),
        "ilp-exact": load("projector/ilp.yaml"),
        "ilp-greedy": load("projector/ilp.yaml", solver="greedy"),
        "heuristic_paper": load("projector/heuristic_paper.yaml"),
        "ilp_paper": load("projector/ilp_paper.yaml"),
        "ilp_paper-greedy": load("projector/ilp_paper.yaml", solver="greedy"),
    }


def grid() -> dict[str, object]:
    """Settings swept on dev: the heuristic's d, k, thr, merge rule, collisions; the ILP's
    min_score, max_len and solver."""
    out = {}
    for d, k, thr, moi, col in itertools.product(
        (0, 1, 2, 3), (1, None), (0.0, 0.5, 0.8), (False, True), ("longest", "reference")
    ):
        name = f"heur d={d} k={k} thr={thr} moi={int(moi)} {col}"
        out[name] = load(
            "projector/heuristic.yaml", d=d, k=k, thr=thr, merge_only_i_labels=moi, collisions=col
        )
    for min_score, max_len, solver in itertools.product(
        (0.0, 0.25, 0.4, 0.5, 0.6), (10, 25), ("exact", "greedy")
    ):
        name = f"ilp min={min_score} max_len={max_len} {solver}"
        out[name] = load("projector/ilp.yaml", min_score=min_score, max_len=max_len, solver=solver)
    return out


def project_all(projector, src, tgt, links) -> tuple[list[list[str]], float]:
    """Projected target tags and sentences per second (alignment excluded)."""
    preds = []
    start = time.perf_counter()
    for s, t, lk in zip(src, tgt, links, strict=True):
        preds.append(projector.project(s.words, entities(s.tags), t.words, lk).tags(len(t.words)))
    return preds, len(src) / (time.perf_counter() - start)


def alignments(src, tgt, repeat: int, folder: str | None) -> list[list]:
    """``repeat`` eflomal alignments of all pairs (each: every run's forward and reverse links),
    stored in / reused from ``folder``."""
    aligner = load("aligner/eflomal.yaml")
    out = []
    for rep in range(repeat):
        path = Path(folder) / f"directions-{rep}.json" if folder else None
        if path is not None and path.is_file():
            data = json.loads(path.read_text())
            sets = [tuple([{tuple(x) for x in s} for s in side] for side in run) for run in data]
            out.append(sets)
            continue
        t0 = time.perf_counter()
        dirs = aligner.align_directions([(s.words, t.words) for s, t in zip(src, tgt, strict=True)])
        print(f"alignment {rep + 1}/{repeat}: {time.perf_counter() - t0:.0f} s", flush=True)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            plain = [[[sorted(s) for s in side] for side in run] for run in dirs]
            path.write_text(json.dumps(plain))
        out.append(dirs)
    return out


def aligner_grid() -> dict[str, object]:
    """eflomal combination settings swept on dev (from the same runs: no re-alignment)."""
    out = {}
    for sym, votes, on in itertools.product(
        ("intersection", "grow-diag-final-and", "union"), (1, 2, 3, 4, 5), ("directions", "links")
    ):
        out[f"{sym} votes={votes} on={on}"] = load(
            "aligner/eflomal.yaml", symmetrize=sym, min_votes=votes, vote_on=on, runs=5
        )
    return out


def f1(preds, gold, part: range) -> float:
    return score([preds[i] for i in part], [gold[i] for i in part])["f1"]


def spread(values: list[float]) -> str:
    if len(values) == 1:
        return f"{values[0]:.4f}"
    return f"{statistics.mean(values):.4f} [{min(values):.4f}-{max(values):.4f}]"


def evaluate(named: dict[str, object], src, tgt, runs) -> list[tuple[str, list, list, float]]:
    gold = [t.tags for t in tgt]
    rows = []
    for name, projector in named.items():
        dev, test, speed = [], [], []
        for links in runs:
            preds, sps = project_all(projector, src, tgt, links)
            dev.append(f1(preds, gold, DEV))
            test.append(f1(preds, gold, TEST))
            speed.append(sps)
        rows.append((name, dev, test, statistics.mean(speed)))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "europarl"))
    parser.add_argument("--repeat", type=int, default=1, help="re-align and re-score N times")
    parser.add_argument("--grid", action="store_true", help="also sweep parameters on dev")
    parser.add_argument("--links", default=None, help="folder to store / reuse alignments in")
    args = parser.parse_args(argv)
    try:
        src = read_conll(Path(args.data) / "en-europarl.test.conll02")
        tgt = read_conll(Path(args.data) / "de-europarl.test.conll02")
        if len(src) != len(tgt) or len(src) != len(DEV) + len(TEST):
            raise XnerError(f"{len(src)} English, {len(tgt)} German sentences; expected 799")
        directions = alignments(src, tgt, args.repeat, args.links)
        aligner = load("aligner/eflomal.yaml")
        runs = [aligner.combine(d[: aligner.runs]) for d in directions]
        width = 38 if args.grid else 18
        header = f"{'projector':<{width}} {'dev F1 (0-599)':>24} {'test F1 (600-798)':>24}"
        print(f"\n{len(runs)} alignment(s); F1 mean [min-max]\n{header} {'sent/s':>8}")
        for name, dev, test, speed in evaluate(projectors(), src, tgt, runs):
            print(f"{name:<{width}} {spread(dev):>24} {spread(test):>24} {speed:8.0f}")
        if args.grid:
            rows = evaluate(grid(), src, tgt, runs)
            rows.sort(key=lambda r: -statistics.mean(r[1]))
            print(f"\ngrid, by dev F1 (test shown, not used to choose)\n{header}")
            for name, dev, test, _ in rows:
                print(f"{name:<{width}} {spread(dev):>24} {spread(test):>24}")
            print(f"\naligner grid (projectors: the defaults), by dev F1\n{header}")
            named = {"heuristic": projectors()["heuristic"], "ilp": projectors()["ilp-exact"]}
            rows = []
            for setting, combiner in aligner_grid().items():
                combined = [combiner.combine(d) for d in directions]
                for name, dev, test, _ in evaluate(named, src, tgt, combined):
                    rows.append((f"{setting} {name}", dev, test))
            rows.sort(key=lambda r: -statistics.mean(r[1]))
            for name, dev, test in rows:
                print(f"{name:<{width}} {spread(dev):>24} {spread(test):>24}")
    except XnerError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
