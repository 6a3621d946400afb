"""Apertium inside the pipeline and marker-based projection on Europarl-NER en<->es.

1. Throughput, English -> Spanish on the 799 English sentences: the bare ``apertium eng-spa``
   command on the whole text (one process), the pipeline's translate stage
   (``translator=apertium``, a cold stage cache: process, line checks, mark stripping, word
   tokenisation and the cache write included), and one ``apertium`` process per sentence (on
   the first ``--per-sentence`` sentences). Target: the stage at >= 80 % of the bare command.
2. Marker projection, translate-test direction on the human English side: the gold English
   entities are marked, translated into Spanish by Apertium and located in the original
   Spanish sentence by fuzzy matching; F1 against the Spanish gold labels on dev (0-599: the
   only part a default may be chosen on), test (600-798) and all, per threshold and style,
   with the marker counts. These marked translations are also translate-train's (the English
   gold entities carried into the Apertium translation), which has no gold to score.
3. Projector speed, translation and alignment excluded: markers (reading the markers and
   locating the spans) beside the heuristic and ILP defaults on eflomal links of the same pairs.

    python bench/apertium_markers.py [--data DIR] [--repeat 3] [--per-sentence 50]
"""

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hydra.utils import instantiate  # noqa: E402
from omegaconf import OmegaConf  # noqa: E402

from xner.data.conll import read_conll  # noqa: E402
from xner.data.entity import Entity  # noqa: E402
from xner.data.tags import entities, tags_from_entities  # noqa: E402
from xner.evaluation.metrics import score  # noqa: E402
from xner.pipeline.cache import StageCache, fingerprint  # noqa: E402
from xner.pipeline.stages import Translate  # noqa: E402
from xner.project.markers import insert_markers, locate, read_markers  # noqa: E402

PARTS = {"dev (0-599)": range(0, 600), "test (600-798)": range(600, 799), "all": range(0, 799)}
THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


def load(name: str, **override):
    return instantiate(OmegaConf.merge(OmegaConf.load(ROOT / "conf" / name), override))


def throughput(src, repeat: int, per_sentence: int) -> None:
    texts = [" ".join(s.words) for s in src]
    bare, stage = [], []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(["apertium", "eng-spa"], input="\n".join(texts) + "\n", text=True,
                       capture_output=True, check=True)  # fmt: skip
        t1 = time.perf_counter()
        with tempfile.TemporaryDirectory() as folder:
            words = [list(s.words) for s in src]
            step = Translate(load("translator/apertium.yaml"), {"bench": "apertium"})
            step.run(StageCache(folder), words, fingerprint(words), ("en", "es"))
        t2 = time.perf_counter()
        bare.append(len(src) / (t1 - t0))
        stage.append(len(src) / (t2 - t1))
    t0 = time.perf_counter()
    for text in texts[:per_sentence]:
        subprocess.run(["apertium", "eng-spa"], input=text + "\n", text=True,
                       capture_output=True, check=True)  # fmt: skip
    one = per_sentence / (time.perf_counter() - t0)
    b, s = statistics.mean(bare), statistics.mean(stage)
    print(f"throughput en->es, {len(src)} sentences, mean of {repeat} (sentences/s):")
    print(f"  bare apertium, one process:       {b:8.1f}")
    print(f"  pipeline translate stage:         {s:8.1f}  ({100 * s / b:.0f} % of bare)")
    label = f"one process per sentence ({per_sentence}):"
    print(f"  {label:<34}{one:8.1f}  ({100 * one / b:.1f} % of bare)")


def marked(src_words, src_ents, style: str, langs: tuple[str, str]) -> list:
    texts = [insert_markers(w, e, style) for w, e in zip(src_words, src_ents, strict=True)]
    raw = load("translator/apertium.yaml").translate_texts(texts, *langs, markup=style)
    return [read_markers(t, len(e), style) for t, e in zip(raw, src_ents, strict=True)]


def located(reads, src_ents, tgt, threshold: float) -> tuple[list[list[str]], float]:
    preds, start = [], time.perf_counter()
    for read, ents, t in zip(reads, src_ents, tgt, strict=True):
        phrases = {k: read.words[a:b] for k, (a, b) in read.spans.items()}
        placed = locate(phrases, t.words, threshold)
        found = sorted(Entity(a, b, ents[k].label) for k, (a, b) in placed.items())
        preds.append(tags_from_entities(len(t.words), found))
    return preds, len(tgt) / (time.perf_counter() - start)


def counts(reads) -> str:
    total = Counter()
    for read in reads:
        total.update(read.counts)
    total["broken_sentences"] = sum(bool(r.broken) for r in reads)
    return ", ".join(f"{k} {v}" for k, v in sorted(total.items()))


def markers_table(src, tgt) -> dict[str, float]:
    src_words = [list(s.words) for s in src]
    src_ents = [entities(s.tags) for s in src]
    gold = [t.tags for t in tgt]
    speeds = {}
    print(f"\nmarkers, translate-test direction ({sum(map(len, src_ents))} gold English entities)")
    print(f"{'style':<9}{'threshold':>10}" + "".join(f"{p:>16}" for p in PARTS))
    for style in ("html", "brackets"):
        reads = marked(src_words, src_ents, style, ("en", "es"))
        for threshold in THRESHOLDS:
            preds, sps = located(reads, src_ents, tgt, threshold)
            f1s = [score([preds[i] for i in r], [gold[i] for i in r])["f1"] for r in PARTS.values()]
            print(f"{style:<9}{threshold:>10}" + "".join(f"{f:>16.4f}" for f in f1s))
            if threshold == load("projector/markers.yaml").threshold:
                speeds[f"markers ({style}), read + locate"] = sps
        print(f"  {style} marker counts (translate-train reads these same marks): {counts(reads)}")
    return speeds


def projector_speed(src, tgt, speeds: dict[str, float]) -> None:
    aligner = load("aligner/eflomal.yaml", seed=0)
    links = aligner.align([(s.words, t.words) for s, t in zip(src, tgt, strict=True)])
    for name in ("heuristic", "ilp"):
        projector = load(f"projector/{name}.yaml")
        start = time.perf_counter()
        for s, t, lk in zip(src, tgt, links, strict=True):
            projector.project(s.words, entities(s.tags), t.words, lk)
        speeds[f"{name} (alignment excluded)"] = len(src) / (time.perf_counter() - start)
    print("\nprojector speed, sentences/s (translation excluded):")
    for name, sps in speeds.items():
        print(f"  {name:<36}{sps:10.0f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "europarl"))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--per-sentence", type=int, default=50)
    args = parser.parse_args(argv)
    data = Path(args.data)
    src = read_conll(data / "en-europarl.test.conll02")
    tgt = read_conll(data / "es-europarl.test.conll02")
    throughput(src, args.repeat, args.per_sentence)
    speeds = markers_table(src, tgt)
    projector_speed(src, tgt, speeds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
