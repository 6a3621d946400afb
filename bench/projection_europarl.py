"""Europarl-NER en->de projection benchmark: F1 against the German gold labels and throughput.

Aligns the 799 parallel sentences with the default eflomal aligner (conf/aligner/eflomal.yaml),
projects the gold English entities with the default heuristic and ILP projectors
(conf/projector/*.yaml; the ILP both exact and greedy) and prints, per projector, seqeval strict
IOB2 F1 (all four types, and without MISC), projection speed (alignment excluded) and how many
sentences were solved with a provably optimal objective. ``--repeat N`` re-aligns N times (eflomal
samples without a seed) and reports the min / mean / max F1.

    python bench/projection_europarl.py [--data DIR] [--repeat 5]
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hydra.utils import instantiate  # noqa: E402
from omegaconf import OmegaConf  # noqa: E402

import xner.project.ilp as ilp  # noqa: E402
from xner.data.conll import read_conll  # noqa: E402
from xner.data.tags import entities  # noqa: E402
from xner.errors import XnerError  # noqa: E402
from xner.metrics import score  # noqa: E402


def load(name: str, **override):
    cfg = OmegaConf.load(ROOT / "conf" / name)
    return instantiate(OmegaConf.merge(cfg, override))


def project_all(projector, src, tgt, links) -> tuple[list[list[str]], float, int]:
    """Projected target tags, sentences per second (alignment excluded), optimal count."""
    src_entities = [entities(s.tags) for s in src]
    preds, optimal = [], 0
    start = time.perf_counter()
    for s, ents, t, lk in zip(src, src_entities, tgt, links, strict=True):
        result = projector.project(s.words, ents, t.words, lk)
        preds.append(result.tags(len(t.words)))
        optimal += getattr(result, "status", "") == "optimal"
    elapsed = time.perf_counter() - start
    return preds, len(src) / elapsed, optimal


def time_split(projector, src, tgt, links) -> dict[str, float]:
    """Seconds spent in candidates + scores, problem building, closed form, and CP-SAT."""
    calls = {"n": 0, "t": 0.0}
    original = ilp.cpsat_solve

    def counted(*args, **kwargs):
        t0 = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            calls["n"] += 1
            calls["t"] += time.perf_counter() - t0

    ilp.cpsat_solve = counted
    parts = {"scores": 0.0, "problem": 0.0, "solve": 0.0}
    try:
        for s, t, lk in zip(src, tgt, links, strict=True):
            ents = entities(s.tags)
            if not ents:
                continue
            t0 = time.perf_counter()
            starts, ends, sc = projector.score_matrix(s.words, ents, t.words, lk, None)
            t1 = time.perf_counter()
            problem = projector._problem(starts, ends, sc)
            t2 = time.perf_counter()
            projector._exact(problem, len(ents))
            t3 = time.perf_counter()
            parts["scores"] += t1 - t0
            parts["problem"] += t2 - t1
            parts["solve"] += t3 - t2
    finally:
        ilp.cpsat_solve = original
    parts["cpsat_calls"] = calls["n"]
    parts["cpsat_s"] = calls["t"]
    return parts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "europarl"))
    parser.add_argument("--repeat", type=int, default=1, help="re-align and re-score N times")
    args = parser.parse_args(argv)
    try:
        src = read_conll(Path(args.data) / "en-europarl.test.conll02")
        tgt = read_conll(Path(args.data) / "de-europarl.test.conll02")
        if len(src) != len(tgt):
            raise XnerError(f"{len(src)} English but {len(tgt)} German sentences")
        gold = [t.tags for t in tgt]
        aligner = load("aligner/eflomal.yaml")
        projectors = {
            "heuristic": load("projector/heuristic.yaml"),
            "ilp-exact": load("projector/ilp.yaml"),
            "ilp-greedy": load("projector/ilp.yaml", solver="greedy"),
        }
        f1s: dict[str, list[float]] = {name: [] for name in projectors}
        for rep in range(args.repeat):
            t0 = time.perf_counter()
            links = aligner.align([(s.words, t.words) for s, t in zip(src, tgt, strict=True)])
            align_s = time.perf_counter() - t0
            print(
                f"\nrun {rep + 1}/{args.repeat}: {len(src)} sentence pairs "
                f"aligned in {align_s:.1f} s"
            )
            print(
                f"{'projector':<12} {'F1':>6} {'P':>6} {'R':>6} {'F1-noMISC':>9} "
                f"{'sent/s':>9} {'optimal':>8}"
            )
            for name, projector in projectors.items():
                preds, speed, optimal = project_all(projector, src, tgt, links)
                full = score(preds, gold)
                no_misc = score(preds, gold, ignore=["MISC"])
                f1s[name].append(full["f1"])
                opt = f"{optimal}/{len(src)}" if name.startswith("ilp") else "-"
                print(
                    f"{name:<12} {full['f1']:6.4f} {full['precision']:6.4f} "
                    f"{full['recall']:6.4f} {no_misc['f1']:9.4f} {speed:9.0f} {opt:>8}"
                )
            split = time_split(projectors["ilp-exact"], src, tgt, links)
            print(
                f"ilp-exact time: scores {split['scores']:.3f} s, "
                f"problem {split['problem']:.3f} s, "
                f"solve {split['solve']:.3f} s (CP-SAT {split['cpsat_calls']} calls, "
                f"{split['cpsat_s']:.3f} s)"
            )
        if args.repeat > 1:
            print(f"\nF1 over {args.repeat} alignments: min / mean / max")
            for name, values in f1s.items():
                print(
                    f"{name:<12} {min(values):.4f} / {statistics.mean(values):.4f} / "
                    f"{max(values):.4f}"
                )
    except XnerError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
