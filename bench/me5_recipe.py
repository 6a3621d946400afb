"""A plain PyTorch training loop for choosing a fine-tuning recipe, and xner's reference for it.

Fine-tunes a token classifier on Europarl-NER English with AdamW, linear warm-up and decay,
gradient clipping at 1.0, first-subword labels, and scores every ``--eval`` set after every
epoch with xner's decoding (constrained Viterbi) and scoring (seqeval's default mode). Nothing
here goes through Lightning, the data module or the trainer, so it is also the baseline that
xner's own ``model_transfer`` is compared with.

Choosing (DESIGN §9): train on English sentences 0-499, score English 500-599 (dev):

    python bench/me5_recipe.py --train en:0:500 --eval en:500:600 --lr 1e-4 --head-lr 1e-3 \
        --epochs 20 --seeds 1 2 3 --precision bf16 --freeze-word-embeddings

Reporting a chosen recipe: train on all 600 English training sentences, score the test
sentences of German and Spanish (600-798), as experiment=europarl does:

    python bench/me5_recipe.py --train en:0:600 --eval de:600:799 es:600:799 ...

Prints one JSON line per epoch and seed, then a table of the last epoch's mean and sd over seeds
(``--out`` also writes the lines to a file).
"""

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from xner.data.conll import read_conll  # noqa: E402
from xner.data.tags import iob2_tag_names, label_set  # noqa: E402
from xner.evaluation.metrics import score  # noqa: E402
from xner.models.decoding import decode  # noqa: E402
from xner.models.registry import resolve_checkpoint  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "europarl"
DROP = {"B-MISC", "I-MISC"}  # experiment=europarl ignores MISC


def portion(spec: str) -> tuple[str, list]:
    """``lang:start:end`` -> (name, sentences), MISC read as O."""
    lang, start, end = spec.split(":")
    sentences = read_conll(DATA / f"{lang}-europarl.test.conll02")[int(start) : int(end)]
    for s in sentences:
        s.tags = ["O" if t in DROP else t for t in s.tags]
    return spec, sentences


def encode(tokenizer, sentences, label_index, max_length: int = 256) -> list[dict]:
    """Per sentence: subword ids, first-subword label ids (-100 elsewhere), word of each."""
    rows = []
    for s in sentences:
        enc = tokenizer(s.words, is_split_into_words=True, truncation=True, max_length=max_length)
        words = enc.word_ids()
        labels, seen = [], set()
        for w in words:
            first = w is not None and w not in seen
            labels.append(label_index[s.tags[w]] if first else -100)
            if w is not None:
                seen.add(w)
        rows.append(
            {
                "ids": enc["input_ids"],
                "labels": labels,
                "words": words,
                "n": len(s),
                "index": len(rows),
            }
        )
    return rows


def batches(rows, size: int, pad: int, order):
    for start in range(0, len(order), size):
        chosen = [rows[i] for i in order[start : start + size]]
        width = max(len(r["ids"]) for r in chosen)
        ids = torch.full((len(chosen), width), pad)
        labels = torch.full((len(chosen), width), -100)
        mask = torch.zeros((len(chosen), width), dtype=torch.long)
        for b, r in enumerate(chosen):
            ids[b, : len(r["ids"])] = torch.tensor(r["ids"])
            labels[b, : len(r["labels"])] = torch.tensor(r["labels"])
            mask[b, : len(r["ids"])] = 1
        yield chosen, ids, mask, labels


def bucketed(rows, size: int, generator: torch.Generator, chunk: int = 50) -> list[int]:
    """A shuffled order whose consecutive ``size`` sentences have similar lengths (less padding):
    shuffle, sort within chunks of ``chunk`` batches, shuffle the batches."""
    order = torch.randperm(len(rows), generator=generator).tolist()
    span = size * chunk
    for start in range(0, len(order), span):
        order[start : start + span] = sorted(
            order[start : start + span], key=lambda i: len(rows[i]["ids"])
        )
    groups = [order[i : i + size] for i in range(0, len(order), size)]
    return [i for g in torch.randperm(len(groups), generator=generator).tolist() for i in groups[g]]


@torch.no_grad()
def evaluate(model, rows, sentences, names, pad: int, bf16: bool) -> float:
    model.eval()
    by_length = sorted(range(len(rows)), key=lambda i: len(rows[i]["ids"]))
    found: dict[int, list[str]] = {}
    for chosen, ids, mask, _ in batches(rows, 32, pad, by_length):
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            logits = model(input_ids=ids, attention_mask=mask).logits.float()
        probs = torch.softmax(logits, dim=-1).numpy()
        for b, r in enumerate(chosen):
            first: dict[int, int] = {}
            for pos, w in enumerate(r["words"]):
                if w is not None and w not in first:
                    first[w] = pos
            word_probs = np.full((r["n"], len(names)), 1.0 / len(names), dtype=np.float32)
            for w, pos in first.items():
                word_probs[w] = probs[b, pos]
            found[r["index"]] = decode(word_probs, names, "viterbi")
    model.train()
    predicted = [found[i] for i in range(len(rows))]
    return score(predicted, [s.tags for s in sentences])["f1"]


def train(args, seed: int, emit) -> None:
    from transformers import AutoModelForTokenClassification, AutoTokenizer
    from transformers import get_linear_schedule_with_warmup as schedule

    _, train_sentences = portion(args.train)
    evals = [portion(spec) for spec in args.eval]
    names = iob2_tag_names(label_set([s.tags for s in train_sentences]))
    index = {n: i for i, n in enumerate(names)}
    folder = resolve_checkpoint(args.model)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    torch.manual_seed(seed)
    model = AutoModelForTokenClassification.from_pretrained(
        folder, num_labels=len(names), id2label=dict(enumerate(names)), label2id=index
    )
    if args.freeze_word_embeddings:
        model.get_input_embeddings().requires_grad_(False)
    model.train()
    head = {id(p) for p in model.classifier.parameters()}
    groups = []
    for is_head, lr in ((False, args.lr), (True, args.head_lr or args.lr)):
        params = [p for p in model.parameters() if p.requires_grad and (id(p) in head) == is_head]
        groups.append(
            {"params": [p for p in params if p.ndim >= 2], "lr": lr, "weight_decay": 0.01}
        )
        groups.append({"params": [p for p in params if p.ndim < 2], "lr": lr, "weight_decay": 0.0})
    optimizer = torch.optim.AdamW(groups)
    rows = encode(tokenizer, train_sentences, index)
    steps = args.epochs * math.ceil(len(rows) / args.batch_size)
    scheduler = schedule(optimizer, int(args.warmup * steps), steps)
    eval_rows = [(name, encode(tokenizer, s, index), s) for name, s in evals]
    generator = torch.Generator().manual_seed(seed)
    bf16 = args.precision == "bf16"
    trainable = [p for p in model.parameters() if p.requires_grad]
    for epoch in range(1, args.epochs + 1):
        started, losses = time.perf_counter(), []
        order = bucketed(rows, args.batch_size, generator)
        for _, ids, mask, labels in batches(rows, args.batch_size, tokenizer.pad_token_id, order):
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(trainable, 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            losses.append(loss.item())
        seconds = time.perf_counter() - started
        if epoch % args.eval_every and epoch != args.epochs:
            continue
        f1 = {
            name: evaluate(model, r, s, names, tokenizer.pad_token_id, bf16)
            for name, r, s in eval_rows
        }
        emit({"seed": seed, "epoch": epoch, "loss": float(np.mean(losses)),
              "train_s": round(seconds, 1), **f1})  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="me5_small")
    parser.add_argument("--train", default="en:0:500")
    parser.add_argument("--eval", nargs="+", default=["en:500:600"])
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--head-lr", type=float, default=None)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--eval-every", type=int, default=1)
    parser.add_argument("--warmup", type=float, default=0.1)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--precision", choices=("fp32", "bf16"), default="fp32")
    parser.add_argument("--freeze-word-embeddings", action="store_true")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    last: dict[int, dict] = {}

    def emit(line: dict) -> None:
        text = json.dumps({**vars(args) | {"out": None}, **line})
        print(text, flush=True)
        if args.out:
            with open(args.out, "a") as f:
                f.write(text + "\n")
        last[line["seed"]] = line

    for seed in args.seeds:
        train(args, seed, emit)
    print(f"\nlast epoch ({args.epochs}), mean ± sd over seeds {args.seeds}:")
    for name in args.eval:
        values = np.array([last[s][name] for s in args.seeds])
        print(f"  {name}: {values.mean():.4f} ± {values.std(ddof=1) if len(values) > 1 else 0:.4f}"
              f"  ({', '.join(f'{v:.4f}' for v in values)})")  # fmt: skip


if __name__ == "__main__":
    main()
