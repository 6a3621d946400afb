"""Seconds per training epoch and peak memory of the offline encoders, fp32 and bf16.

One epoch of supervised training on the first 600 English Europarl-NER sentences (batch 16),
through xner's own path (TokenClassifier, NERDataModule, build_trainer), for MiniLM and
multilingual-e5-small with trained and with frozen word embeddings, each under
``precision=32-true`` and ``bf16-mixed``. Every cell runs in a fresh process, so its peak
resident memory (``ru_maxrss``) is its own.

    python bench/encoder_speed.py [--threads 2] [--epochs 1]
"""

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "europarl" / "en-europarl.test.conll02"
CELLS = [
    ("minilm", False),
    ("me5_small", False),
    ("me5_small", True),
]
PRECISIONS = ("32-true", "bf16-mixed")


def one_cell(model: str, frozen: bool, precision: str, epochs: int, threads: int) -> dict:
    """Train in this process; the epoch times and the process's peak memory."""
    import pytorch_lightning as pl
    import torch

    sys.path.insert(0, str(ROOT))
    from xner.data.conll import read_conll
    from xner.data.tags import iob2_tag_names, label_set
    from xner.methods.settings import shipped_model
    from xner.models.classifier import TokenClassifier
    from xner.models.datamodule import NERDataModule
    from xner.models.settings import TrainerSettings
    from xner.models.trainer import build_trainer, seed_everything

    torch.set_num_threads(threads)
    sentences = read_conll(DATA)[:600]
    names = iob2_tag_names(label_set([s.tags for s in sentences]))
    seed_everything(1)
    settings = shipped_model(model, lr=1e-4, batch_size=16, freeze_word_embeddings=frozen)
    module = TokenClassifier(settings, names)
    dm = NERDataModule(settings, module.tokenizer, names, train=sentences, seed=1)
    seconds: list[float] = []

    class Timer(pl.Callback):
        def on_train_epoch_start(self, trainer, pl_module):
            self.start = time.perf_counter()

        def on_train_epoch_end(self, trainer, pl_module):
            seconds.append(time.perf_counter() - self.start)

    lightning = {
        "max_epochs": epochs,
        "accelerator": "cpu",
        "precision": precision,
        "enable_progress_bar": False,
        "enable_model_summary": False,
        "gradient_clip_val": 1.0,
    }
    settings = TrainerSettings(patience=None, progress_refresh_rate=20, **lightning)
    trainer = build_trainer(settings, callbacks=[Timer()])
    trainer.fit(module, datamodule=dm)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"epoch_s": min(seconds), "peak_mb": peak_mb}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--cell", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.cell:
        model, frozen, precision = args.cell
        print(json.dumps(one_cell(model, frozen == "1", precision, args.epochs, args.threads)))
        return
    print(f"600 sentences, batch 16, {args.threads} thread(s), best of {args.epochs} epoch(s)")
    print("| model | word embeddings | precision | s / epoch | peak memory MB |")
    print("|---|---|---|---:|---:|")
    for model, frozen in CELLS:
        for precision in PRECISIONS:
            cell = [model, "1" if frozen else "0", precision]
            done = subprocess.run(
                [sys.executable, __file__, "--threads", str(args.threads), "--epochs",
                 str(args.epochs), "--cell", *cell],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            result = json.loads(done.stdout.strip().splitlines()[-1])
            embeddings = "frozen" if frozen else "trained"
            print(
                f"| {model} | {embeddings} | {precision} | {result['epoch_s']:.1f} | "
                f"{result['peak_mb']:.0f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
