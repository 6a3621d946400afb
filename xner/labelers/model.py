"""Labels from a token-classification model (a hub id, a local folder, or ``minilm``).

Inference goes through :func:`xner.models.features.predict_word_probs` (sliding windows, so
every word of a long sentence gets a prediction). Label types are renamed with
``label_map`` (e.g. ``PERSON: PER``) and removed with ``drop_labels`` (MISC in the
reference setup): the probability columns of a removed type are added to ``O`` and renamed
types that meet are summed, so each word's row still sums to one. Tags are decoded from the
mapped probabilities by :func:`xner.models.decoding.decode` (constrained Viterbi: valid IOB2).
"""

import logging
from collections.abc import Mapping, Sequence

import numpy as np

from xner.data.tags import OUTSIDE, iob2_tag_names, split_tag
from xner.device import resolve_device
from xner.errors import ConfigError
from xner.hub import LOAD_ERRORS, check_checkpoint, load_error
from xner.labelers.base import Labeler, Labelled
from xner.options import one_of

log = logging.getLogger(__name__)


def label_matrix(
    names: Sequence[str], label_map: Mapping[str, str], drop: Sequence[str]
) -> tuple[list[str], np.ndarray]:
    """New IOB2 names and the [old, new] 0/1 matrix that maps model columns onto them."""
    dropped = set(drop)
    targets: list[str] = []
    for name in names:
        prefix, label = split_tag(name)
        if prefix in ("E", "S"):
            raise ConfigError(f"model label {name!r}: only IOB2 (B-/I-) model heads are supported")
        label = label_map.get(label, label)
        targets.append(OUTSIDE if prefix == OUTSIDE or label in dropped else f"{prefix}-{label}")
    new_names = iob2_tag_names({t[2:] for t in targets if t != OUTSIDE})
    matrix = np.zeros((len(names), len(new_names)), dtype=np.float32)
    for i, target in enumerate(targets):
        matrix[i, new_names.index(target)] = 1.0
    return new_names, matrix


class ModelLabeler(Labeler):
    def __init__(
        self,
        checkpoint: str,
        *,
        label_map: Mapping[str, str],
        drop_labels: Sequence[str],
        max_length: int,
        stride: int,
        batch_size: int,
        device: str,
        label_names: Sequence[str] | None,
        decode: str,
    ) -> None:
        from xner.models.decoding import DECODERS
        from xner.models.registry import resolve_checkpoint

        self.decode = one_of("labeler.decode", decode, DECODERS)

        self.checkpoint = str(checkpoint)
        check_checkpoint(resolve_checkpoint(self.checkpoint), "labeler.checkpoint")
        self.label_map = dict(label_map)
        self.drop_labels = list(drop_labels)
        self.max_length = max_length
        self.stride = stride
        self.batch_size = batch_size
        self.device = device
        self.label_names = list(label_names) if label_names is not None else None
        self._loaded = None

    def _load(self):
        if self._loaded is None:
            from xner.models.classifier import load_token_model

            try:
                tokenizer, model, names = load_token_model(self.checkpoint, self.label_names)
            except LOAD_ERRORS as err:
                raise load_error(err, "labeler checkpoint", self.checkpoint) from None
            device = resolve_device(self.device)
            model = model.to(device).eval()
            new_names, matrix = label_matrix(names, self.label_map, self.drop_labels)
            log.info("labeller %s: labels %s -> %s", self.checkpoint, names, new_names)
            self._loaded = (tokenizer, model, device, new_names, matrix)
        return self._loaded

    def label(self, sentences: Sequence[Sequence[str]]) -> list[Labelled]:
        from xner.models.decoding import decode
        from xner.models.features import predict_word_probs

        if not sentences:
            return []
        tokenizer, model, device, names, matrix = self._load()
        probs = predict_word_probs(
            model,
            tokenizer,
            [list(s) for s in sentences],
            max_length=self.max_length,
            stride=self.stride,
            batch_size=self.batch_size,
            device=device,
        )
        out = []
        for words, p in zip(sentences, probs, strict=True):
            mapped = (np.asarray(p, dtype=np.float32) @ matrix).astype(np.float32)
            if mapped.shape[0] != len(words):
                raise RuntimeError(f"labeller gave {mapped.shape[0]} rows for {len(words)} words")
            tags = decode(mapped, names, self.decode)
            out.append(Labelled(tags, mapped, list(names)))
        return out
