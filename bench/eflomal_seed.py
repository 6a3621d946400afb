"""Seeded vs unseeded eflomal: time and repeatability of the default aligner on the same pairs.

Aligns the 799 Europarl-NER en->X pairs (``X-europarl.test.conll02`` beside the English file)
with conf/aligner/eflomal.yaml, ``--repeat`` times each way, alternating: ``seed: null`` (the
installed binary, OpenMP at its default threads, /dev/urandom) and a fixed seed (the seeded copy,
``OMP_NUM_THREADS=2,1``; xner.align.eflomal_seed). Prints each way's mean and min seconds,
their ratio, and how many of the sentences' links differ between runs of each way (seeded:
must be 0).

    python bench/eflomal_seed.py [--data DIR] [--lang de] [--repeat 5] [--seed 42]
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hydra.utils import instantiate  # noqa: E402
from omegaconf import OmegaConf  # noqa: E402

from xner.data.conll import read_conll  # noqa: E402


def aligner(seed: int | None):
    cfg = OmegaConf.load(ROOT / "conf" / "aligner" / "eflomal.yaml")
    return instantiate(OmegaConf.merge(cfg, {"seed": seed}))


def differing(runs: list[list]) -> int:
    """Sentences whose links differ between any two of ``runs``."""
    per_sentence = zip(*runs, strict=True)
    return sum(len({frozenset(links) for links in each}) > 1 for each in per_sentence)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "europarl"))
    parser.add_argument("--lang", default="de")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    data = Path(args.data)
    src = read_conll(data / "en-europarl.test.conll02")
    tgt = read_conll(data / f"{args.lang}-europarl.test.conll02")
    pairs = [(s.words, t.words) for s, t in zip(src, tgt, strict=True)]
    ways = {"unseeded": aligner(None), f"seed {args.seed}": aligner(args.seed)}
    times: dict[str, list[float]] = {name: [] for name in ways}
    links: dict[str, list[list]] = {name: [] for name in ways}
    print(f"en->{args.lang}: {len(pairs)} pairs, {os.cpu_count()} CPUs, {args.repeat} runs each")
    for rep in range(args.repeat):
        for name, way in ways.items():
            start = time.perf_counter()
            links[name].append(way.align(pairs))
            times[name].append(time.perf_counter() - start)
            print(f"  run {rep + 1} {name}: {times[name][-1]:.2f} s", flush=True)
    for name in ways:
        print(
            f"{name}: mean {statistics.mean(times[name]):.2f} s, min {min(times[name]):.2f} s; "
            f"sentences whose links differ between its runs: {differing(links[name])}"
        )
    plain, seeded = (statistics.mean(t) for t in times.values())
    print(f"seeded / unseeded time: {seeded / plain:.2f}x (mean); ", end="")
    print(f"{min(list(times.values())[1]) / min(list(times.values())[0]):.2f}x (min)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
