"""Training throughput: one epoch of MiniLM through Lightning vs a bare PyTorch loop.

Same model initialisation, same batches (the NERDataModule's length-bucketed loader), same
AdamW + linear schedule and gradient clipping. Tokens = non-padding subwords. Each path runs
``--repeats`` times, interleaved, and the fastest epoch of each is reported (shared machines
are noisy). The Lightning Trainer runs the way train.py runs it, minus logger and checkpoints.

    python bench/train_throughput.py [--sentences 600] [--threads 1] [--repeats 2]
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

DATA = ROOT.parent / "shared" / "data" / "europarl" / "en-europarl.test.conll02"
CLIP = 1.0


class _Timer:
    """Wall time of the training epoch only (not setup, not dataloader creation)."""

    def __init__(self):
        import pytorch_lightning as pl

        class Callback(pl.Callback):
            def on_train_epoch_start(cb, trainer, module):
                self.start = time.perf_counter()

            def on_train_epoch_end(cb, trainer, module):
                self.seconds = time.perf_counter() - self.start

        self.callback = Callback()
        self.start = self.seconds = 0.0


def _minilm(batch_size: int):
    """MiniLM's shipped settings at lr 1e-4 and this batch size (evaluation too)."""
    return shipped_model("minilm", lr=1e-4, batch_size=batch_size, eval_batch_size=None)


def lightning_epoch(names, sentences, batch_size: int, refresh: int) -> float:
    seed_everything(0)
    settings = _minilm(batch_size)
    model = TokenClassifier(settings, names)
    dm = NERDataModule(settings, model.tokenizer, names, train=sentences, seed=0)
    timer = _Timer()
    trainer = build_trainer(
        TrainerSettings(
            patience=3,
            progress_refresh_rate=max(refresh, 1),
            max_epochs=1,
            accelerator="cpu",
            enable_progress_bar=refresh > 0,
            enable_model_summary=False,
            gradient_clip_val=CLIP,
            log_every_n_steps=50,
            deterministic=True,
        ),
        callbacks=[timer.callback],
    )
    trainer.fit(model, datamodule=dm)
    return timer.seconds


def bare_epoch(names, sentences, batch_size: int) -> float:
    seed_everything(0)
    torch.use_deterministic_algorithms(True)  # as Trainer(deterministic=True) does
    settings = _minilm(batch_size)
    module = TokenClassifier(settings, names)
    dm = NERDataModule(settings, module.tokenizer, names, train=sentences, seed=0)
    loader = dm.train_dataloader()
    model = module.model
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    groups = [
        {"params": [p for p in params if p.ndim >= 2], "weight_decay": 0.01},
        {"params": [p for p in params if p.ndim < 2], "weight_decay": 0.0},
    ]
    from transformers import get_linear_schedule_with_warmup

    optimizer = torch.optim.AdamW(groups, lr=1e-4)
    scheduler = get_linear_schedule_with_warmup(optimizer, len(loader) // 10, len(loader))
    start = time.perf_counter()
    for batch in loader:
        loss = model(
            input_ids=batch["input_ids"],
            attention_mask=batch["attention_mask"],
            labels=batch["labels"],
        ).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, CLIP)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
    return time.perf_counter() - start


def count_tokens(names, sentences, batch_size: int) -> int:
    settings = _minilm(batch_size)
    module_tok = TokenClassifier(settings, names).tokenizer
    dm = NERDataModule(settings, module_tok, names, train=sentences, seed=0)
    return sum(int(b["attention_mask"].sum()) for b in dm.train_dataloader())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=600)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument(
        "--refresh", type=int, default=20, help="progress bar refresh rate; 0 = off"
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    sentences = read_conll(DATA)[: args.sentences]
    names = iob2_tag_names(label_set([s.tags for s in sentences]))
    tokens = count_tokens(names, sentences, args.batch_size)
    times: dict[str, list[float]] = {"bare PyTorch loop": [], "Lightning": []}
    for _ in range(args.repeats):
        times["bare PyTorch loop"].append(bare_epoch(names, sentences, args.batch_size))
        times["Lightning"].append(lightning_epoch(names, sentences, args.batch_size, args.refresh))
    best = {name: min(ts) for name, ts in times.items()}
    print(
        f"\n{len(sentences)} sentences, {tokens} tokens, batch {args.batch_size}, "
        f"{args.threads} thread(s), best of {args.repeats}"
    )
    print(f"| {'path':<18} | {'epoch s':>8} | {'tokens/s':>9} | {'ratio':>5} |")
    print(f"|{'-' * 20}|{'-' * 10}|{'-' * 11}|{'-' * 7}|")
    for name, seconds in best.items():
        ratio = best["bare PyTorch loop"] / seconds
        print(f"| {name:<18} | {seconds:>8.2f} | {tokens / seconds:>9.0f} | {ratio:>5.2f} |")
    print("all epochs (s):", {k: [round(t, 2) for t in v] for k, v in times.items()})


if __name__ == "__main__":
    main()
