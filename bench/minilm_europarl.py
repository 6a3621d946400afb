"""Supervised MiniLM on Europarl-NER, tuned without test labels (docs/explanation/
reproducibility.md, "Choosing defaults honestly").

Sentences 0-499 train, 500-599 dev (the tuning signal), 600-798 held-out test (reported, never
used to choose). Used to choose conf/model/minilm.yaml's lr and max_epochs; prints dev and test
F1 for each setting and marks the one with the best dev F1.

    python bench/minilm_europarl.py --langs en --lr 1e-4 3e-4 1e-3 --epochs 5 10
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
from xner.methods.settings import shipped_model  # noqa: E402
from xner.models.classifier import TokenClassifier  # noqa: E402
from xner.models.datamodule import NERDataModule  # noqa: E402
from xner.models.settings import TrainerSettings  # noqa: E402
from xner.models.trainer import build_trainer, seed_everything  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "europarl"


def run(lang: str, lr: float, batch_size: int, epochs: int, warmup: float, seed: int) -> dict:
    sentences = read_conll(DATA / f"{lang}-europarl.test.conll02")
    train, dev, test = sentences[:500], sentences[500:600], sentences[600:]
    names = iob2_tag_names(label_set([s.tags for s in sentences]))
    seed_everything(seed)
    settings = shipped_model(
        "minilm", lr=lr, warmup_ratio=warmup, batch_size=batch_size, eval_batch_size=None
    )
    model = TokenClassifier(settings, names)
    dm = NERDataModule(settings, model.tokenizer, names, train=train, test=test, seed=seed)
    dev_dm = NERDataModule(settings, model.tokenizer, names, test=dev, seed=seed)
    trainer = build_trainer(
        TrainerSettings(
            patience=3,
            progress_refresh_rate=20,
            max_epochs=epochs,
            accelerator="cpu",
            enable_progress_bar=False,
            enable_model_summary=False,
            gradient_clip_val=1.0,
            deterministic=True,
        )
    )
    trainer.fit(model, datamodule=dm)
    (metrics,) = trainer.test(model, datamodule=dm, verbose=False)
    (dev_metrics,) = trainer.test(model, datamodule=dev_dm, verbose=False)
    return {**metrics, "dev/f1": dev_metrics["test/f1"]}


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
    print("| lang | lr | batch | epochs | dev F1 | test P | test R | test F1 | seconds |")
    for lang in args.langs:
        results = []
        for lr in args.lr:
            for bs in args.batch_size:
                for epochs in args.epochs:
                    start = time.time()
                    m = run(lang, lr, bs, epochs, args.warmup, args.seed)
                    results.append((m["dev/f1"], lr, bs, epochs))
                    print(
                        f"| {lang} | {lr:g} | {bs} | {epochs} | {m['dev/f1']:.4f} | "
                        f"{m['test/precision']:.4f} | {m['test/recall']:.4f} | "
                        f"{m['test/f1']:.4f} | {time.time() - start:.0f} |",
                        flush=True,
                    )
        best = max(results)
        print(f"{lang}: best dev F1 {best[0]:.4f} at lr {best[1]:g}, batch {best[2]}, "
              f"{best[3]} epochs")  # fmt: skip


if __name__ == "__main__":
    main()
