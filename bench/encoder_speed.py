"""Seconds per training epoch and peak memory of the offline encoders, fp32 and bf16.

One epoch of supervised training on the first 600 English Europarl-NER sentences (batch 16),
through xner's own path (TokenClassifier, NERDataModule, build_trainer), for MiniLM and
multilingual-e5-small with trained, frozen and trimmed word embeddings, each under
``precision=32-true`` and ``bf16-mixed``. Every cell runs in a fresh process, so its peak
resident memory (``ru_maxrss``) is its own.

Trimmed (measured here only, not shipped): the 250k-row table cut to the rows the training
sentences use, the rest of the model unchanged, trained; exact only for texts known before the
run starts (a translation made mid-run may need a row that was cut).

    python bench/encoder_speed.py [--threads 2] [--epochs 1]
"""

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "europarl" / "en-europarl.test.conll02"
CELLS = [
    ("minilm", "trained"),
    ("me5_small", "trained"),
    ("me5_small", "frozen"),
    ("me5_small", "trimmed"),
]
PRECISIONS = ("32-true", "bf16-mixed")


class Trimmed(torch.nn.Module):
    """The rows of an embedding table that ``used`` ids need, looked up through an id map."""

    def __init__(self, table: torch.nn.Embedding, used: list[int]) -> None:
        super().__init__()
        self.weight = torch.nn.Parameter(table.weight.detach()[used].clone())
        index = torch.full((table.num_embeddings,), -1, dtype=torch.long)
        index[used] = torch.arange(len(used))
        self.register_buffer("index", index)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.embedding(self.index[ids], self.weight)


def one_cell(model: str, embeddings: str, precision: str, epochs: int, threads: int) -> dict:
    """Train in this process; the epoch times and the process's peak memory."""
    import pytorch_lightning as pl

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
    frozen = embeddings == "frozen"
    settings = shipped_model(model, lr=1e-4, batch_size=16, freeze_word_embeddings=frozen)
    module = TokenClassifier(settings, names)
    if embeddings == "trimmed":
        words = [s.words for s in sentences]
        encoded = module.tokenizer(words, is_split_into_words=True).input_ids
        special = set(module.tokenizer.all_special_ids)  # padding too
        used = sorted({i for ids in encoded for i in ids} | special)
        base = module.model.base_model.embeddings
        base.word_embeddings = Trimmed(base.word_embeddings, used)
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
    rows = module.model.get_input_embeddings().weight.shape[0]
    return {"epoch_s": min(seconds), "peak_mb": peak_mb, "rows": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--cell", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.cell:
        model, embeddings, precision = args.cell
        print(json.dumps(one_cell(model, embeddings, precision, args.epochs, args.threads)))
        return
    print(f"600 sentences, batch 16, {args.threads} thread(s), best of {args.epochs} epoch(s)")
    print("| model | word embeddings (rows) | precision | s / epoch | peak memory MB |")
    print("|---|---|---|---:|---:|")
    for model, embeddings in CELLS:
        for precision in PRECISIONS:
            cell = [model, embeddings, precision]
            done = subprocess.run(
                [sys.executable, __file__, "--threads", str(args.threads), "--epochs",
                 str(args.epochs), "--cell", *cell],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            result = json.loads(done.stdout.strip().splitlines()[-1])
            print(
                f"| {model} | {embeddings} ({result['rows']}) | {precision} | "
                f"{result['epoch_s']:.1f} | "
                f"{result['peak_mb']:.0f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
