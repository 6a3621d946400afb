"""Neural aligners on me5_small beside eflomal: Europarl-NER en->X projection F1 and speed.

The protocol of bench/projection_europarl.py (which chose eflomal's defaults): the gold English
entities of the 799 Europarl-NER pairs are projected onto X with the default heuristic projector
(conf/projector/heuristic.yaml) and the default ILP (conf/projector/ilp.yaml, exact) and scored
against X's gold labels on dev (sentences 0-599), test (600-798) and all (0-798).

1. Grid, on --choose (default de) only: aligner=simalign (argmax / itermax / match) and
   aligner=awesome (softmax thresholds) on model=me5_small, at each layer of --layers and each
   level (subword / word). The layers come from one forward pass per sentence, stored under
   --vectors and reused. Rows are sorted by heuristic dev F1, the only column used to choose;
   test is shown, never used.
2. Report, on every --lang (default de and es): the shipped configs (conf/aligner/simalign_me5.yaml,
   awesome_me5.yaml; their own align(), end to end) beside conf/aligner/eflomal.yaml aligned once
   per --eflomal-seeds seed (mean [min-max]). Spanish is never used to choose anything, so all
   three of its columns are held out.
3. Speed: each aligner's wall seconds per 100 sentence pairs when aligning all 799 pairs (model
   loading excluded; eflomal learns from the 799 pairs, so its time does not grow linearly
   with fewer), on CPU with --threads torch threads (default 1).

    python bench/neural_aligners.py [--data DIR] [--choose de] [--lang de --lang es]
        [--layers 4-12] [--vectors DIR] [--no-grid] [--threads 1] [--eflomal-seeds 0,1,2]

The whole run took 22 minutes, vectors already stored, on a 2-core machine shared with other jobs
(the vectors: about 45 MB per language and layer; embedding 799 sentences at every layer: 25 s).
"""

import argparse
import itertools
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from projection_europarl import PARTS, f1, languages, load  # noqa: E402

from xner.align.subwords import SubwordVectors  # noqa: E402
from xner.data.conll import read_conll  # noqa: E402
from xner.data.tags import entities  # noqa: E402
from xner.errors import XnerError  # noqa: E402
from xner.models.registry import resolve_checkpoint  # noqa: E402

MODEL = "me5_small"
SHIPPED = ("simalign_me5", "awesome_me5")
METHODS = ("argmax", "itermax", "match")
THRESHOLDS = (1e-3, 1e-2, 0.1, 0.3, 0.5, 0.7)
LEVELS = ("subword", "word")


def corpus(data: Path, lang: str) -> tuple[list, list]:
    """The 799 English and ``lang`` sentences of Europarl-NER."""
    src = read_conll(data / "en-europarl.test.conll02")
    tgt = read_conll(data / f"{lang}-europarl.test.conll02")
    if len(src) != len(tgt) or len(src) != len(PARTS["all F1 (0-798)"]):
        raise XnerError(f"{len(src)} English, {len(tgt)} {lang} sentences; expected 799")
    return src, tgt


def projectors() -> dict[str, object]:
    return {"heuristic": load("projector/heuristic.yaml"), "ilp": load("projector/ilp.yaml")}


def scores(projector, src, tgt, links) -> list[float]:
    """F1 of the projections on each of ``PARTS``."""
    preds = [
        projector.project(s.words, entities(s.tags), t.words, lk).tags(len(t.words))
        for s, t, lk in zip(src, tgt, links, strict=True)
    ]
    gold = [t.tags for t in tgt]
    return [f1(preds, gold, part) for part in PARTS.values()]


# ------------------------------------------------------------------ stored layer vectors


def vector_file(folder: Path, name: str, layer: int) -> Path:
    return folder / Path(resolve_checkpoint(MODEL)).name / f"{name}-layer{layer}.npz"


def store_layers(
    encoder: Callable, sentences: list, layers: list[int], folder: Path, name: str
) -> None:
    """Embed ``sentences`` once for every layer not stored yet and store each layer's vectors."""
    missing = [layer for layer in layers if not vector_file(folder, name, layer).is_file()]
    if not missing:
        return
    start = time.perf_counter()
    by_layer = encoder().layer_vectors([s.words for s in sentences], missing)
    print(f"embedded {name} ({len(sentences)} sentences): {time.perf_counter() - start:.0f} s")
    for layer, subs in by_layer.items():
        path = vector_file(folder, name, layer)
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(
            path,
            vectors=np.concatenate([s.vectors for s in subs]),
            word_index=np.concatenate([s.word_index for s in subs]),
            sizes=np.array([len(s.word_index) for s in subs]),
            n_words=np.array([s.n_words for s in subs]),
        )


def read_layer(folder: Path, name: str, layer: int) -> list[SubwordVectors]:
    with np.load(vector_file(folder, name, layer)) as stored:
        bounds = np.cumsum([0, *stored["sizes"]])
        vectors, index = stored["vectors"], stored["word_index"]
        return [
            SubwordVectors(vectors[a:b], index[a:b], int(n))
            for a, b, n in zip(bounds[:-1], bounds[1:], stored["n_words"], strict=True)
        ]


# ------------------------------------------------------------------ 1. the grid on dev


def settings(layer: int) -> dict[str, tuple[str, dict]]:
    """Grid rows of one layer: name -> (aligner config, overrides)."""
    rows = {}
    for method, level in itertools.product(METHODS, LEVELS):
        over = {"layer": layer, "method": method, "level": level}
        rows[f"simalign L{layer} {method} {level}"] = ("simalign", over)
    for threshold, level in itertools.product(THRESHOLDS, LEVELS):
        over = {"layer": layer, "threshold": threshold, "level": level}
        rows[f"awesome L{layer} t={threshold:g} {level}"] = ("awesome", over)
    return rows


def grid(args, lang: str, named: dict[str, object]) -> None:
    """Every setting of ``settings`` at every layer, by heuristic dev F1."""
    data, folder = Path(args.data), Path(args.vectors)
    src, tgt = corpus(data, lang)
    first = neural(args, "simalign", layer=max(args.layers))
    for name, sentences in (("en", src), (lang, tgt)):
        store_layers(lambda: first.encoder, sentences, args.layers, folder, name)
    rows = []
    for layer in args.layers:
        en, xx = read_layer(folder, "en", layer), read_layer(folder, lang, layer)
        for name, (config, over) in settings(layer).items():
            aligner = neural(args, config, **over)
            links = [aligner.links(s, t) for s, t in zip(en, xx, strict=True)]
            rows.append((name, {p: scores(pr, src, tgt, links) for p, pr in named.items()}))
        print(f"layer {layer} done", flush=True)
    rows.sort(key=lambda row: -row[1]["heuristic"][0])
    print(f"\n== grid en->{lang}, by heuristic dev F1 (test and all shown, never used to choose)")
    header(named, "setting", 34)
    for name, by_projector in rows:
        line(name, {p: [[v] for v in s] for p, s in by_projector.items()}, 34)
    for family in ("simalign", "awesome"):
        best = next(name for name, _ in rows if name.startswith(family))
        print(f"best {family} on {lang} dev: {best}")


def neural(args, config: str, **over):
    return load(f"aligner/{config}.yaml", model=MODEL, device="cpu", **over)


# ------------------------------------------------------------------ 2-3. report and speed


def timed(align: Callable, pairs) -> tuple[list, float]:
    start = time.perf_counter()
    links = align(pairs)
    return links, time.perf_counter() - start


def report(args, lang: str, named: dict[str, object]) -> None:
    """Shipped neural configs and eflomal on en->lang: F1 per projector and part, and speed."""
    src, tgt = corpus(Path(args.data), lang)
    pairs = [(s.words, t.words) for s, t in zip(src, tgt, strict=True)]
    rows: dict[str, tuple[list[list], list[float]]] = {}
    for config in SHIPPED:
        aligner = load(f"aligner/{config}.yaml", device="cpu")
        aligner.encoder  # noqa: B018 - load the model outside the timing
        links, seconds = timed(aligner.align, pairs)
        rows[f"{config} (L{aligner.layer} {aligner.level})"] = ([links], [seconds])
        print(f"{config}: {seconds:.0f} s for {len(pairs)} pairs", flush=True)
    runs, times = [], []
    for seed in args.eflomal_seeds:
        links, seconds = timed(load("aligner/eflomal.yaml", seed=seed).align, pairs)
        runs.append(links)
        times.append(seconds)
        print(f"eflomal seed {seed}: {seconds:.0f} s for {len(pairs)} pairs", flush=True)
    rows[f"eflomal (seeds {','.join(map(str, args.eflomal_seeds))})"] = (runs, times)
    print(f"\n== en->{lang}: F1 mean [min-max]; s/100 pairs on CPU, {args.threads} torch thread(s)")
    header(named, "aligner", 34, speed=True)
    for name, (runs, times) in rows.items():
        by_projector = {
            p: list(zip(*(scores(pr, src, tgt, lk) for lk in runs), strict=True))
            for p, pr in named.items()
        }
        per_100 = statistics.mean(times) / len(pairs) * 100
        line(name, by_projector, 34, per_100)


def spread(values) -> str:
    if len(values) == 1:
        return f"{values[0]:.3f}"
    return f"{statistics.mean(values):.3f} [{min(values):.3f}-{max(values):.3f}]"


def header(named: dict, first: str, width: int, speed: bool = False) -> None:
    parts = [f"{p} {part.split()[0]}" for p in named for part in PARTS]
    print(f"{first:<{width}}" + "".join(f" {c:>19}" for c in parts) + (" s/100" if speed else ""))


def line(name: str, by_projector: dict, width: int, per_100: float | None = None) -> None:
    cells = "".join(f" {spread(v):>19}" for columns in by_projector.values() for v in columns)
    print(f"{name:<{width}}{cells}" + (f" {per_100:5.1f}" if per_100 is not None else ""))


def numbers(text: str) -> list[int]:
    """``4-12`` or ``4,8,12``: a list of whole numbers."""
    if "-" in text:
        low, high = text.split("-")
        return list(range(int(low), int(high) + 1))
    return [int(v) for v in text.split(",")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "europarl"))
    parser.add_argument("--choose", default="de", help="the language the grid runs on")
    parser.add_argument("--lang", action="append", help="report language(s); default: all found")
    parser.add_argument("--layers", type=numbers, default=numbers("4-12"))
    parser.add_argument("--vectors", default=str(ROOT / "mlruns" / "bench-neural-vectors"))
    parser.add_argument("--no-grid", action="store_true", help="only the shipped configs")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--eflomal-seeds", type=numbers, default=[0, 1, 2])
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    named = projectors()
    try:
        if not args.no_grid:
            grid(args, args.choose, named)
        for lang in languages(Path(args.data), args.lang):
            report(args, lang, named)
    except XnerError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
