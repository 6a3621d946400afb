"""Tagged sentences to padded, length-bucketed subword batches for Lightning."""

from collections.abc import Iterator, Sequence

import numpy as np
import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from xner.data.conll import TaggedSentence
from xner.errors import DataError
from xner.models.features import Window, encode_corpus, pad_windows
from xner.models.settings import ModelSettings

SPLITS = ("train", "val", "test", "predict")


def tag_ids(sentences: Sequence[TaggedSentence], label_names: Sequence[str], split: str) -> list:
    """Per-word label ids; an unknown tag is a DataError naming the sentence."""
    index = {name: i for i, name in enumerate(label_names)}
    out = []
    for s_idx, sentence in enumerate(sentences):
        try:
            out.append([index[tag] for tag in sentence.tags])
        except KeyError as err:
            raise DataError(
                f"{split} sentence {s_idx}: tag {err.args[0]!r} is not one of the model's labels "
                f"({', '.join(label_names)})"
            ) from None
    return out


class WindowDataset(Dataset):
    """Windows plus, optionally, per-word soft targets (teacher probabilities) for each window."""

    def __init__(self, windows: list[Window], soft: Sequence[np.ndarray] | None = None):
        self.windows = windows
        self.soft = soft

    def __len__(self) -> int:
        return len(self.windows)

    def __getitem__(self, idx: int) -> tuple[int, Window, np.ndarray | None]:
        window = self.windows[idx]
        targets = None if self.soft is None else self.soft[window.sentence][window.word_ids]
        return idx, window, targets


class WindowCollator:
    """Dynamic padding; adds ``window_index`` and, when present, ``soft_targets`` [B, T, L]."""

    def __init__(self, pad_id: int, with_labels: bool = True):
        self.pad_id = pad_id
        self.with_labels = with_labels

    def __call__(self, items: list[tuple[int, Window, np.ndarray | None]]) -> dict:
        windows = [w for _, w, _ in items]
        batch = pad_windows(windows, self.pad_id, self.with_labels)
        batch["window_index"] = torch.tensor([i for i, _, _ in items], dtype=torch.long)
        if items[0][2] is not None:
            n_labels = items[0][2].shape[-1]
            soft = torch.zeros((len(items), batch["input_ids"].shape[1], n_labels))
            for row, (_, window, targets) in enumerate(items):
                soft[row, window.positions] = torch.as_tensor(targets, dtype=torch.float32)
            batch["soft_targets"] = soft
        return batch


class BucketBatchSampler(Sampler[list[int]]):
    """Batches of similar length: shuffle, sort within chunks of ``chunk_batches`` batches,
    cut into batches, shuffle the batch order; all from a generator seeded by seed + epoch."""

    def __init__(
        self,
        lengths: Sequence[int],
        batch_size: int,
        shuffle: bool = True,
        seed: int = 0,
        chunk_batches: int = 50,
    ):
        self.lengths = list(lengths)
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.seed = seed
        self.chunk = max(1, chunk_batches) * batch_size
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return (len(self.lengths) + self.batch_size - 1) // self.batch_size

    def __iter__(self) -> Iterator[list[int]]:
        n = len(self.lengths)
        if not self.shuffle:
            order = sorted(range(n), key=lambda i: self.lengths[i])
            yield from (order[i : i + self.batch_size] for i in range(0, n, self.batch_size))
            return
        gen = torch.Generator().manual_seed(self.seed + self.epoch)
        perm = torch.randperm(n, generator=gen).tolist()
        batches = []
        for c in range(0, n, self.chunk):
            chunk = sorted(perm[c : c + self.chunk], key=lambda i: self.lengths[i])
            batches.extend(
                chunk[i : i + self.batch_size] for i in range(0, len(chunk), self.batch_size)
            )
        for b in torch.randperm(len(batches), generator=gen).tolist():
            yield batches[b]


class NERDataModule(pl.LightningDataModule):
    """Train/val/test/predict sentences as subword windows (see xner.models.features), in
    batches and windows of the sizes ``settings`` (a model role's) give.

    ``train_soft`` optionally gives per-word soft targets ``[n_words, n_labels]`` for each train
    sentence (teacher probabilities for distillation); then the train tags only serve as the
    mask of labelled positions and as hard targets.
    """

    def __init__(
        self,
        settings: ModelSettings,
        tokenizer,
        label_names: Sequence[str],
        *,
        train: Sequence[TaggedSentence] | None = None,
        val: Sequence[TaggedSentence] | None = None,
        test: Sequence[TaggedSentence] | None = None,
        predict: Sequence[Sequence[str]] | None = None,
        train_soft: Sequence[np.ndarray] | None = None,
        seed: int = 0,
        num_workers: int = 0,
        chunk_batches: int = 50,
    ):
        super().__init__()
        self.tokenizer = tokenizer
        self.label_names = list(label_names)
        self.sentences: dict[str, list] = {
            "train": list(train or []),
            "val": list(val or []),
            "test": list(test or []),
            "predict": [list(words) for words in (predict or [])],
        }
        if train_soft is not None and len(train_soft) != len(self.sentences["train"]):
            raise ValueError(
                f"{len(train_soft)} soft targets for {len(self.sentences['train'])} sentences"
            )
        self.train_soft = train_soft
        self.batch_size = int(settings.batch_size)
        self.eval_batch_size = int(settings.eval_batch_size or settings.batch_size)
        self.max_length = int(settings.max_length)
        self.stride = int(settings.stride)
        self.num_workers = num_workers
        self.seed = seed
        self.chunk_batches = chunk_batches
        self.windows: dict[str, list[Window]] = {}

    def has(self, split: str) -> bool:
        return len(self.sentences[split]) > 0

    def gold_tags(self, split: str) -> list[list[str]]:
        return [list(s.tags) for s in self.sentences[split]]

    def words(self, split: str) -> list[list[str]]:
        if split == "predict":
            return self.sentences["predict"]
        return [list(s.words) for s in self.sentences[split]]

    def setup(self, stage: str | None = None) -> None:
        for split in SPLITS:
            if split in self.windows or not self.has(split):
                continue
            labels = None
            if split != "predict":
                labels = tag_ids(self.sentences[split], self.label_names, split)
            self.windows[split] = encode_corpus(
                self.tokenizer, self.words(split), labels, self.max_length, self.stride
            )

    def _pad_id(self) -> int:
        pad = self.tokenizer.pad_token_id
        return pad if pad is not None else 0

    def _loader(self, split: str, shuffle: bool) -> DataLoader:
        self.setup()
        windows = self.windows.get(split, [])
        soft = self.train_soft if split == "train" else None
        sampler = BucketBatchSampler(
            [len(w) for w in windows],
            self.batch_size if split == "train" else self.eval_batch_size,
            shuffle=shuffle,
            seed=self.seed,
            chunk_batches=self.chunk_batches,
        )
        return DataLoader(
            WindowDataset(windows, soft),
            batch_sampler=sampler,
            collate_fn=WindowCollator(self._pad_id(), with_labels=split != "predict"),
            num_workers=self.num_workers,
            persistent_workers=self.num_workers > 0,
        )

    def train_dataloader(self) -> DataLoader:
        return self._loader("train", shuffle=True)

    def val_dataloader(self) -> DataLoader:
        return self._loader("val", shuffle=False)

    def test_dataloader(self) -> DataLoader:
        return self._loader("test", shuffle=False)

    def predict_dataloader(self) -> DataLoader:
        return self._loader("predict", shuffle=False)
