"""How much the default eflomal aligner's projection F1 depends on its seed, and what it costs.

Aligns the 799 Europarl-NER en->X pairs (X-europarl.test.conll02 beside the English file; the
aligner learns from all of them, which needs no labels) once per seed with
conf/aligner/eflomal.yaml (plus ``--set key=value`` overrides), projects the gold English
entities with the default heuristic projector (conf/projector/heuristic.yaml) and prints, per
language, the dev F1 (sentences 0-599, the only sentences defaults are chosen on) of every seed
and their mean, sample standard deviation, min and max, with the mean alignment seconds.
``--held-out`` adds the same for sentences 600-798 (report only, never for choosing).

``--lang it`` (no Italian file in ../shared) is a held-out language made offline: the Spanish
sentences, their gold entities wrapped in markup, translated into Italian by Apertium
(``apertium -f html spa-ita``, xner.translate.apertium) and read back (xner.project.markers);
a pair whose entities do not all come back whole is left out (the count is printed), the others
keep their corpus index, so dev and held-out are the same sentences as for de and es.

``--time N`` instead times the aligner against ``--before`` (overrides that give the former
default) on the same pairs, alternating, N times each, seeds 0..N-1: the machine's load hits
both alike. ``--links DIR`` keeps each seed's forward and reverse links (by config and seed)
and reuses them.

    python bench/eflomal_spread.py [--lang de --lang es --lang it] [--seeds 0 1 2 3 4]
        [--set runs=1] [--held-out] [--links DIR] [--data DIR]
    python bench/eflomal_spread.py --time 3 --before runs=1 --before n_samplers=6 [--lang de]
"""

import argparse
import hashlib
import json
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hydra.utils import instantiate  # noqa: E402
from omegaconf import OmegaConf  # noqa: E402

from xner.data.conll import TaggedSentence, read_conll  # noqa: E402
from xner.data.entity import Entity  # noqa: E402
from xner.data.tags import entities, tags_from_entities  # noqa: E402
from xner.evaluation.metrics import score  # noqa: E402

COMBINE = ("symmetrize", "min_votes", "vote_on", "collocation_share", "collocation_min")
PARTS = {"dev": range(0, 600), "held-out": range(600, 799)}


def aligner_config(overrides: list[str], seed: int):
    cfg = OmegaConf.load(ROOT / "conf" / "aligner" / "eflomal.yaml")
    return OmegaConf.merge(cfg, OmegaConf.from_dotlist(overrides), {"seed": seed})


def italian(data: Path, english: list[TaggedSentence]):
    """English and Apertium-Italian sentences with the Spanish gold entities carried over, and
    each kept pair's corpus index."""
    from xner.project.markers import insert_markers, read_markers
    from xner.translate.apertium import ApertiumTranslator

    spanish = read_conll(data / "es-europarl.test.conll02")
    gold = [entities(s.tags) for s in spanish]
    marked = [
        insert_markers(s.words, spans, "html") for s, spans in zip(spanish, gold, strict=True)
    ]
    translator = ApertiumTranslator(
        mode=None, batch_size=2000, keep_marks=False, binary="apertium", lang_codes={}
    )
    src, tgt, index = [], [], []
    for k, text in enumerate(translator.translate_texts(marked, "es", "it", markup="html")):
        read = read_markers(text, len(gold[k]), "html")
        if read.broken or read.counts["split"] or not read.words:
            continue
        spans = [
            _without_article(read.words, Entity(*read.spans[n], e.label), spanish[k].words[e.start])
            for n, e in enumerate(gold[k])
        ]
        src.append(english[k])
        tgt.append(TaggedSentence(read.words, tags_from_entities(len(read.words), spans)))
        index.append(k)
    print(f"it: {len(index)} of {len(spanish)} pairs with every entity carried whole")
    return src, tgt, index


# Apertium moves the article it adds in front of a marked name into the markup (el Parlamento
# -> <span>il Parlamento</span>), so an Italian gold span would start with an article that its
# Spanish span lacks; the article is left out again.
ARTICLES = {
    "es": {"el", "la", "los", "las", "lo"},
    "it": {"il", "lo", "la", "i", "gli", "le", "l'"},
}


def _without_article(words: list[str], entity: Entity, spanish_first: str) -> Entity:
    first = words[entity.start].lower()
    if entity.end - entity.start < 2 or spanish_first.lower() in ARTICLES["es"]:
        return entity
    if first in ARTICLES["it"]:
        return Entity(entity.start + 1, entity.end, entity.label)
    return entity


def corpus(data: Path, lang: str):
    """English and ``lang`` sentences and each pair's index in the 799-sentence corpus."""
    src = read_conll(data / "en-europarl.test.conll02")
    path = data / f"{lang}-europarl.test.conll02"
    if not path.is_file() and lang == "it":
        return italian(data, src)
    return src, read_conll(path), list(range(len(src)))


def cpu_seconds() -> float:
    """CPU seconds (user + system) of this process and of its finished children (eflomal)."""
    own, children = (
        resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def directions(pairs, overrides: list[str], seed: int, folder: Path | None):
    """One seed's forward and reverse links of every run, and the (wall, CPU) seconds they took
    (None when read back from ``folder``)."""
    cfg = aligner_config(overrides, seed)
    links_from = {k: v for k, v in OmegaConf.to_container(cfg).items() if k not in COMBINE}
    key = hashlib.sha256(json.dumps(links_from, sort_keys=True).encode())
    path = folder / f"{key.hexdigest()[:16]}.json" if folder else None
    if path is not None and path.is_file():
        runs = json.loads(path.read_text())
        return [tuple([{tuple(x) for x in s} for s in side] for side in run) for run in runs], None
    aligner = instantiate(cfg)
    start, cpu = time.perf_counter(), cpu_seconds()
    dirs = aligner.align_directions(pairs)
    aligner.combine(dirs, aligner.units(pairs))
    seconds = (time.perf_counter() - start, cpu_seconds() - cpu)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps([[[sorted(s) for s in side] for side in run] for run in dirs]))
    return dirs, seconds


def summary(values: list[float]) -> str:
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return (
        f"mean {statistics.mean(values):.4f} sd {sd:.4f} "
        f"min {min(values):.4f} max {max(values):.4f}"
    )


def spread(args, lang: str) -> None:
    """Dev (and held-out) F1 of every seed, and their spread."""
    src, tgt, index = corpus(Path(args.data), lang)
    pairs = [(s.words, t.words) for s, t in zip(src, tgt, strict=True)]
    projector = instantiate(OmegaConf.load(ROOT / "conf" / "projector" / "heuristic.yaml"))
    parts = PARTS if args.held_out else {"dev": PARTS["dev"]}
    rows = {part: [k for k, n in enumerate(index) if n in sents] for part, sents in parts.items()}
    f1: dict[str, list[float]] = {part: [] for part in parts}
    seconds = []
    folder = Path(args.links) / lang if args.links else None
    for seed in args.seeds:
        dirs, took = directions(pairs, args.set, seed, folder)
        aligner = instantiate(aligner_config(args.set, seed))
        links = aligner.combine(dirs, aligner.units(pairs))
        preds = [
            projector.project(s.words, entities(s.tags), t.words, lk).tags(len(t.words))
            for s, t, lk in zip(src, tgt, links, strict=True)
        ]
        line = f"  {lang} seed {seed}:"
        for part, ks in rows.items():
            f1[part].append(score([preds[k] for k in ks], [tgt[k].tags for k in ks])["f1"])
            line += f" {part} {f1[part][-1]:.4f}"
        if took is not None:
            seconds.append(took[0])
            line += f" ({took[0]:.1f} s)"
        print(line, flush=True)
    for part, ks in rows.items():
        print(
            f"{lang} {part} F1 ({len(ks)} sentences), {len(args.seeds)} seeds: {summary(f1[part])}"
        )
    if seconds:
        print(f"{lang} alignment: mean {statistics.mean(seconds):.1f} s over {len(seconds)} runs")


def timing(args, lang: str) -> None:
    """Wall and CPU seconds per alignment of the aligner and of ``--before``, alternating."""
    src, tgt, _ = corpus(Path(args.data), lang)
    pairs = [(s.words, t.words) for s, t in zip(src, tgt, strict=True)]
    ways = {"before": args.before, "now": args.set}
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in ways}
    for seed in range(args.time):
        for name, overrides in ways.items():
            wall, cpu = directions(pairs, overrides, seed, None)[1]
            times[name].append((wall, cpu))
            print(f"  {lang} seed {seed} {name}: {wall:.1f} s wall, {cpu:.1f} s CPU", flush=True)
    for k, what in enumerate(("wall", "CPU")):
        before, now = (statistics.mean(t[k] for t in times[name]) for name in ways)
        print(
            f"{lang} alignment {what} seconds, mean of {args.time}: before {before:.1f}, "
            f"now {now:.1f}, ratio {now / before:.2f}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "europarl"))
    parser.add_argument("--lang", action="append", help="target language(s); default de, es")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--set", action="append", default=[], help="aligner override key=value")
    parser.add_argument("--held-out", action="store_true", help="also report sentences 600-798")
    parser.add_argument("--links", default=None, help="folder to keep / reuse links in")
    parser.add_argument("--time", type=int, default=0, help="time N alignments against --before")
    parser.add_argument("--before", action="append", default=[], help="former default override")
    args = parser.parse_args(argv)
    print(f"aligner overrides: {args.set or 'none'}; seeds {args.seeds}")
    for lang in args.lang or ["de", "es"]:
        (timing if args.time else spread)(args, lang)
    return 0


if __name__ == "__main__":
    sys.exit(main())
