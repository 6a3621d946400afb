"""Supervised MiniLM on Europarl-NER: first 600 sentences train, last 199 test (per language).

Used to tune conf/model/minilm.yaml; prints test P/R/F1 for each language and setting.

    python bench/minilm_europarl.py --langs en de --lr 1e-4 --batch-size 16 --epochs 3
"""

import argparse
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from xner.data.conll import read_conll  # noqa: E402
from xner.data.tags import iob2_tag_names, label_set  # noqa: E402
from xner.models.classifier import TokenClassifier  # noqa: E402
from xner.models.datamodule import NERDataModule  # noqa: E402
from xner.models.trainer import build_trainer, seed_everything  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "europarl"


def run(lang: str, lr: float, batch_size: int, epochs: int, warmup: float, seed: int) -> dict:
    sentences = read_conll(DATA / f"{lang}-europarl.test.conll02")
    train, test = sentences[:600], sentences[-199:]
    names = iob2_tag_names(label_set([s.tags for s in sentences]))
    seed_everything(seed)
    model = TokenClassifier("minilm", names, lr=lr, warmup_ratio=warmup)
    dm = NERDataModule(
        model.tokenizer, names, train=train, test=test, batch_size=batch_size, seed=seed
    )
    trainer = build_trainer(
        {
            "max_epochs": epochs,
            "accelerator": "cpu",
            "enable_progress_bar": False,
            "enable_model_summary": False,
            "gradient_clip_val": 1.0,
            "deterministic": True,
        }
    )
    trainer.fit(model, datamodule=dm)
    (metrics,) = trainer.test(model, datamodule=dm, verbose=False)
    return metrics


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--langs", nargs="+", default=["en", "de"])
    parser.add_argument("--lr", type=float, nargs="+", default=[1e-4])
    parser.add_argument("--batch-size", type=int, nargs="+", default=[16])
    parser.add_argument("--epochs", type=int, nargs="+", default=[3])
    parser.add_argument("--warmup", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print("| lang | lr | batch | epochs | P | R | F1 | seconds |", flush=True)
    for lang in args.langs:
        for lr in args.lr:
            for bs in args.batch_size:
                for epochs in args.epochs:
                    start = time.time()
                    m = run(lang, lr, bs, epochs, args.warmup, args.seed)
                    print(
                        f"| {lang} | {lr:g} | {bs} | {epochs} | {m['test/precision']:.4f} | "
                        f"{m['test/recall']:.4f} | {m['test/f1']:.4f} | "
                        f"{time.time() - start:.0f} |",
                        flush=True,
                    )


if __name__ == "__main__":
    main()
