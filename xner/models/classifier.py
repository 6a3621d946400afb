"""TokenClassifier: any Hugging Face token classification model as a LightningModule.

Validation and test scores are entity-level (seqeval, conlleval rules) on *word-level*
predictions: window scores are merged back to one prediction per word, decoded to tags by
:func:`xner.models.decoding.decode` (constrained Viterbi by default) and logged under the
names every method shares (``val/f1``, ``test/f1``, ``test/f1_PER``...).
"""

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytorch_lightning as pl
import torch
from transformers import (
    AutoConfig,
    AutoModelForTokenClassification,
    AutoTokenizer,
    get_linear_schedule_with_warmup,
)
from transformers.utils import logging as hf_logging

from xner.evaluation.metrics import metric_dict, score
from xner.hub import LOAD_ERRORS, load_error
from xner.models.decoding import decode
from xner.models.features import (
    effective_window,
    group_by_sentence,
    merge_windows,
    predict_word_probs,
)
from xner.models.registry import resolve_checkpoint
from xner.models.settings import ModelSettings

_GENERIC_LABEL = "LABEL_"


def checkpoint_labels(config) -> list[str] | None:
    """Label names stored in a checkpoint's config, or None when they are HF's placeholders."""
    id2label = getattr(config, "id2label", None) or {}
    names = [id2label[i] for i in sorted(int(k) for k in id2label)] if id2label else []
    names = [str(n) for n in names]
    if not names or all(n.startswith(_GENERIC_LABEL) for n in names):
        return None
    return names


def load_token_model(checkpoint: str, label_names: Sequence[str] | None):
    """Tokenizer, model and final label names; a new head when the checkpoint's labels differ."""
    path = resolve_checkpoint(checkpoint)
    base = AutoConfig.from_pretrained(path, trust_remote_code=False)
    stored = checkpoint_labels(base)
    if label_names is None:
        if stored is None:
            raise ValueError(f"checkpoint {checkpoint} has no label names; pass label_names")
        label_names = stored
    elif stored is not None and set(stored) == set(label_names):
        label_names = stored  # keep the trained head and its order
    names = list(label_names)
    config = AutoConfig.from_pretrained(
        path,
        num_labels=len(names),
        id2label=dict(enumerate(names)),
        label2id={n: i for i, n in enumerate(names)},
        trust_remote_code=False,
    )
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # the load report lists the new head as "MISSING": expected
    try:
        model = AutoModelForTokenClassification.from_pretrained(
            path, config=config, trust_remote_code=False, ignore_mismatched_sizes=True
        )
    finally:
        hf_logging.set_verbosity(verbosity)
    tokenizer = AutoTokenizer.from_pretrained(path, trust_remote_code=False)
    return tokenizer, model, names


class TokenClassifier(pl.LightningModule):
    """Fine-tunes a token classifier with AdamW and linear warm-up/decay, as ``settings`` say."""

    def __init__(
        self,
        settings: ModelSettings,
        label_names: Sequence[str] | None = None,
        checkpoint: str | None = None,
    ):
        """``checkpoint``: a trained model to load instead of ``settings.checkpoint`` (the
        pretrained one); ``label_names`` None: the labels stored in the checkpoint."""
        super().__init__()
        checkpoint = str(checkpoint or settings.checkpoint)
        try:
            self.tokenizer, self.model, names = load_token_model(checkpoint, label_names)
        except LOAD_ERRORS as err:
            raise load_error(err, "model checkpoint", checkpoint) from None
        self.model.train()  # from_pretrained returns eval mode; Lightning keeps modules' modes
        if settings.freeze_word_embeddings:  # no gradient, no optimizer state for the vocabulary
            self.model.get_input_embeddings().requires_grad_(False)
        self.settings = settings
        self.label_names = names
        self.max_length, self.stride = effective_window(
            self.tokenizer, settings.max_length, settings.stride, self.model.config
        )
        self._eval_outputs: list[tuple[torch.Tensor, list[np.ndarray]]] = []

    def forward(self, input_ids, attention_mask, labels=None):
        return self.model(input_ids=input_ids, attention_mask=attention_mask, labels=labels)

    def training_step(self, batch: dict, batch_idx: int) -> torch.Tensor:
        loss = self(batch["input_ids"], batch["attention_mask"], batch["labels"]).loss
        self.log(
            "train/loss", loss, on_step=True, on_epoch=False, batch_size=len(batch["input_ids"])
        )
        return loss

    def _collect(self, batch: dict) -> None:
        logits = self(batch["input_ids"], batch["attention_mask"]).logits.float()
        probs = torch.softmax(logits, dim=-1).cpu().numpy()
        windows = self._split_windows()
        rows = []
        for row, idx in enumerate(batch["window_index"].tolist()):
            rows.append(probs[row, windows[idx].positions])
        self._eval_outputs.append((batch["window_index"].cpu(), rows))

    def _split(self) -> str:
        return "val" if self.trainer.validating or self.trainer.sanity_checking else "test"

    def _split_windows(self):
        return self.trainer.datamodule.windows[self._split()]

    def validation_step(self, batch: dict, batch_idx: int) -> None:
        self._collect(batch)

    def test_step(self, batch: dict, batch_idx: int) -> None:
        self._collect(batch)

    def on_validation_epoch_start(self) -> None:
        self._eval_outputs = []

    on_test_epoch_start = on_validation_epoch_start

    def on_validation_epoch_end(self) -> None:
        self._log_scores("val")

    def on_test_epoch_end(self) -> None:
        self._log_scores("test")

    def _log_scores(self, split: str) -> None:
        """Merge windows per sentence, score the sentences whose windows were all seen."""
        dm = self.trainer.datamodule
        windows = dm.windows[split]
        scores_by_window: dict[int, np.ndarray] = {}
        for idx, rows in self._eval_outputs:
            scores_by_window.update(zip(idx.tolist(), rows, strict=True))
        self._eval_outputs = []
        gold_all, words_all = dm.gold_tags(split), dm.words(split)
        pred, gold = [], []
        for sent, group in enumerate(group_by_sentence(windows, len(words_all))):
            if not all(i in scores_by_window for i in group):
                continue
            n_words = len(words_all[sent])
            probs = merge_windows(
                [windows[i] for i in group], [scores_by_window[i] for i in group], n_words
            )
            pred.append(self.tags_of(probs))
            gold.append(gold_all[sent])
        metrics = metric_dict(score(pred, gold), split)
        headline = {f"{split}/f1": metrics.pop(f"{split}/f1")}
        self.log_dict(headline, prog_bar=True, batch_size=1)
        self.log_dict(metrics, batch_size=1)

    def tags_of(self, probs: np.ndarray) -> list[str]:
        return decode(probs, self.label_names, self.settings.decode)

    def predict_words(
        self, sentences: Sequence[Sequence[str]], batch_size: int | None = None
    ) -> list[tuple[list[str], np.ndarray]]:
        """Word-level tags and probabilities ``[n_words, n_labels]`` for each sentence."""
        probs = predict_word_probs(
            self.model,
            self.tokenizer,
            sentences,
            self.max_length,
            self.stride,
            batch_size or self.settings.eval_batch_size or self.settings.batch_size,
            self.device,
        )
        return [(self.tags_of(p), p) for p in probs]

    def save_hf(self, folder: str | Path) -> Path:
        """A Hugging Face checkpoint (safetensors + tokenizer + label names) loadable anywhere."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self.model.save_pretrained(folder)
        self.tokenizer.save_pretrained(folder)
        return folder

    def trainable_parameters(self) -> list[tuple[str, torch.nn.Parameter]]:
        return [(n, p) for n, p in self.model.named_parameters() if p.requires_grad]

    def parameter_groups(self) -> list[dict]:
        """AdamW's groups: the encoder at ``lr``, the head (every parameter outside the base
        model) at ``head_lr``; no weight decay on biases and norms."""
        encoder = {id(p) for p in self.model.base_model.parameters()}
        lr, head_lr = float(self.settings.lr), self.settings.head_lr
        groups = []
        for in_head, rate in ((False, lr), (True, lr if head_lr is None else float(head_lr))):
            params = [
                p for _, p in self.trainable_parameters() if (id(p) not in encoder) == in_head
            ]
            decay = float(self.settings.weight_decay)
            groups.append(
                {"params": [p for p in params if p.ndim >= 2], "weight_decay": decay, "lr": rate}
            )
            groups.append(
                {"params": [p for p in params if p.ndim < 2], "weight_decay": 0.0, "lr": rate}
            )
        return [g for g in groups if g["params"]]

    def configure_optimizers(self):
        optimizer = torch.optim.AdamW(self.parameter_groups(), lr=float(self.settings.lr))
        total = max(1, int(self.trainer.estimated_stepping_batches))
        scheduler = get_linear_schedule_with_warmup(
            optimizer, int(float(self.settings.warmup_ratio) * total), total
        )
        return {
            "optimizer": optimizer,
            "lr_scheduler": {"scheduler": scheduler, "interval": "step"},
        }
