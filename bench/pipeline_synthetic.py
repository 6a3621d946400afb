"""Projection quality of the full pipeline on the synthetic corpus (offline, CPU).

translate_train: lexicon translator + gold source labels -> share of source entities projected.
translate_test: reference translator + gold labels of the English side -> F1 vs gold target.
Both for the heuristic and ILP projectors (conf/projector/*.yaml), with eflomal
(conf/aligner/eflomal.yaml) or a same-word aligner; optionally the marker back-translation.

    python bench/pipeline_synthetic.py [--n-train 400] [--n-test 100] [--aligner eflomal]
"""

import argparse
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from hydra.utils import instantiate
from omegaconf import OmegaConf

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from xner.align.base import Aligner  # noqa: E402
from xner.data.sources import Synthetic  # noqa: E402
from xner.evaluation.metrics import score  # noqa: E402
from xner.labelers import GoldLabeler  # noqa: E402
from xner.pipeline.backtranslation import BackTranslation  # noqa: E402
from xner.pipeline.cache import StageCache  # noqa: E402
from xner.pipeline.pipeline import Pipeline, translate_test, translate_train  # noqa: E402
from xner.pipeline.stages import Align, BackTranslate, Label, Project, Translate  # noqa: E402
from xner.translate import LexiconTranslator, ReferenceTranslator  # noqa: E402

CONF = Path(__file__).resolve().parents[1] / "conf"


SPLITS = ("train", "dev", "test")
NO_CAPS = {f"max_{split}_sentences": None for split in SPLITS}


class SameWordAligner(Aligner):
    """Baseline: links words that are identical (case-insensitive)."""

    def align(self, pairs):
        return [
            {(i, j) for i, a in enumerate(s) for j, b in enumerate(t) if a.lower() == b.lower()}
            for s, t in pairs
        ]


def node(group: str, name: str, **overrides):
    cfg = OmegaConf.load(CONF / group / f"{name}.yaml")
    for key, value in overrides.items():
        cfg[key] = value
    return cfg


def train_pipeline(args: argparse.Namespace, data: Synthetic, cache: StageCache) -> Pipeline:
    """en -> syn: the lexicon translator, the chosen aligner, the heuristic projector."""
    if args.aligner == "eflomal":
        aligner_cfg = node("aligner", "eflomal", seed=args.seed)
        aligner = instantiate(aligner_cfg)
    else:
        aligner_cfg = OmegaConf.create({"name": "sameword"})
        aligner = SameWordAligner()
    lexicon = LexiconTranslator(path=None, langs=("en", "syn"), lowercase=False, source=data)
    bt = None
    if args.backtranslation:
        bt = BackTranslate(BackTranslation(lexicon), {"threshold": 0.5})
    heuristic = node("projector", "heuristic", **({} if args.thr is None else {"thr": args.thr}))
    return Pipeline(
        cache,
        "en",
        "syn",
        translate=Translate(lexicon, {"lexicon": str(lexicon.path)}),
        align=Align(aligner, aligner_cfg),
        project=Project(instantiate(heuristic), heuristic),
        backtranslate=bt,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n-train", type=int, default=400)
    parser.add_argument("--n-test", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--aligner", choices=["eflomal", "sameword"], default="eflomal")
    parser.add_argument("--thr", type=float, default=None, help="heuristic thr override")
    parser.add_argument("--backtranslation", action="store_true")
    args = parser.parse_args()

    sizes = {"n_train": args.n_train, "n_dev": 0, "n_test": args.n_test}
    data = Synthetic(seed=args.seed, **sizes, cache_dir=None, label_drop=(), **NO_CAPS)
    cache = StageCache(tempfile.mkdtemp(prefix="xner-bench-"))
    base = train_pipeline(args, data, cache)
    ilp = node("projector", "ilp")
    projectors = {"heuristic": base.project, "ilp": Project(instantiate(ilp), ilp)}
    print(
        f"synthetic seed={args.seed} train={args.n_train} test={args.n_test} "
        f"aligner={args.aligner} backtranslation={args.backtranslation}"
    )
    for name, project in projectors.items():
        forward = replace(base, project=project)
        test_pipeline = replace(
            forward,
            translate=Translate(
                ReferenceTranslator(source=data, splits=SPLITS), {"reference": "synthetic"}
            ),
            label=Label(
                GoldLabeler(source=data, lang="en", splits=SPLITS, drop_labels=()), {"gold": "en"}
            ),
        )
        start = time.perf_counter()
        train = translate_train(forward, data.split("en", "train"))
        t_train = time.perf_counter() - start
        start = time.perf_counter()
        gold = data.split("syn", "test")
        test = translate_test(test_pipeline, gold)
        t_test = time.perf_counter() - start
        f1 = score([s.tags for s in test.sentences], [s.tags for s in gold])
        print(
            f"{name:9s} translate_train: projected {train.n_projected}/{train.n_source_entities} "
            f"= {train.projected_share:.3f}, sentences kept {len(train.sentences)}/"
            f"{args.n_train} ({t_train:.1f}s) | translate_test: P {f1['precision']:.3f} "
            f"R {f1['recall']:.3f} F1 {f1['f1']:.3f} ({t_test:.1f}s)"
        )
    print(f"cache: {dict(cache.stats)}")


if __name__ == "__main__":
    main()
