"""Any Hugging Face encoder as a source of per-subword and per-word vectors of one layer."""

from collections.abc import Sequence

import numpy as np
import torch
from tqdm import tqdm

from xner.align.subwords import (
    SubwordVectors,
    WordVectors,
    plan_chunks,
    pool_words,
    require_fast,
    stitch,
)
from xner.device import resolve_device
from xner.errors import ConfigError
from xner.hub import LOAD_ERRORS, check_checkpoint, load_error, model_options
from xner.models.registry import resolve_checkpoint

SANE_MAX_LENGTH = 100_000  # tokenizers without a limit report a huge sentinel instead


def layer_count(config) -> int:
    """Transformer layers of the (encoder) model; hidden states 0..count exist (0 = embeddings)."""
    for name in ("num_hidden_layers", "encoder_layers", "num_layers"):
        value = getattr(config, name, None)
        if isinstance(value, int):
            return value
    raise ConfigError(f"cannot tell how many layers model type {config.model_type!r} has")


def check_layer(layer: int, config, model: str) -> None:
    """Refuse a hidden-state index the model does not have, saying which ones it has."""
    count = layer_count(config)
    if not 0 <= layer <= count:
        raise ConfigError(
            f"aligner layer {layer} does not exist in model {model}: it has {count} layers, so "
            f"choose aligner.layer in 0..{count} (0 = embeddings, {count} = last layer)"
        )


def load_config(model: str, trust_remote_code: bool = False):
    """The model's config, or a ConfigError naming it (not found locally, offline, ...)."""
    from transformers import AutoConfig

    check_checkpoint(model, "aligner.model")
    try:
        return AutoConfig.from_pretrained(model, trust_remote_code=trust_remote_code is True)
    except (OSError, ValueError) as err:
        first_line = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ConfigError(f"cannot load encoder {model!r} for alignment: {first_line}") from err


class Encoder:
    """Loads an encoder once and embeds batches of word lists; vectors come back as float32."""

    def __init__(
        self,
        model: str,
        layer: int,
        device: str = "auto",
        batch_size: int = 32,
        max_length: int | None = None,
        trust_remote_code: bool = False,
    ) -> None:
        from transformers import AutoModel, AutoTokenizer

        self.name = resolve_checkpoint(model)
        self.layer = layer
        self.batch_size = batch_size
        self.options = model_options(self.name, trust_remote_code)
        config = load_config(self.name, self.options["trust_remote_code"])
        check_layer(layer, config, model)
        self.tokenizer = AutoTokenizer.from_pretrained(self.name, **self.options)
        require_fast(self.tokenizer)
        self.tokenizer = self._with_prefix_space(AutoTokenizer)
        self.device = torch.device(resolve_device(device))
        network = _load_quietly(AutoModel, self.name, self.options, model)
        if getattr(network.config, "is_encoder_decoder", False):
            network = network.get_encoder()
        self.model = network.to(self.device).eval()
        self.max_length = max_length or self._model_max_length(config)
        self.hidden_size = int(getattr(config, "hidden_size", 0) or getattr(config, "d_model", 0))

    def _with_prefix_space(self, auto_tokenizer):
        """Byte-level BPE tokenizers (RoBERTa, GPT-2) need a prefix space for pre-split words."""
        try:
            self.tokenizer([["a"]], is_split_into_words=True)
            return self.tokenizer
        except (ValueError, AssertionError, TypeError):
            return auto_tokenizer.from_pretrained(self.name, add_prefix_space=True, **self.options)

    def _model_max_length(self, config) -> int:
        limits = []
        if self.tokenizer.model_max_length < SANE_MAX_LENGTH:
            limits.append(int(self.tokenizer.model_max_length))
        positions = getattr(config, "max_position_embeddings", None)
        if isinstance(positions, int):
            # RoBERTa-style models start position ids after the padding index.
            offset = 2 if "roberta" in config.model_type or config.model_type == "camembert" else 0
            limits.append(positions - offset)
        return min(limits) if limits else 512

    def subword_vectors(self, sentences: Sequence[Sequence[str]]) -> list[SubwordVectors]:
        """Layer ``self.layer`` vectors of every subword (special tokens left out)."""
        return self.layer_vectors(sentences, (self.layer,))[self.layer]

    def layer_vectors(
        self, sentences: Sequence[Sequence[str]], layers: Sequence[int]
    ) -> dict[int, list[SubwordVectors]]:
        """Subword vectors of each of ``layers`` from one forward pass (a layer sweep's input)."""
        for layer in layers:
            check_layer(layer, self.model.config, self.name)
        chunks, _ = plan_chunks(self.tokenizer, sentences, self.max_length)
        order = sorted(range(len(chunks)), key=lambda c: len(chunks[c].words))
        results: dict[int, list] = {layer: [None] * len(chunks) for layer in layers}
        batches = range(0, len(order), self.batch_size)
        for start in tqdm(batches, desc="embedding", unit="batch", disable=None, leave=False):
            members = order[start : start + self.batch_size]
            embedded = self._embed([chunks[c].words for c in members], layers)
            for layer in layers:
                for c, result in zip(members, embedded[layer], strict=True):
                    results[layer][c] = result
        return {
            layer: stitch(chunks, results[layer], sentences, self.hidden_size) for layer in layers
        }

    def word_vectors(self, sentences: Sequence[Sequence[str]]) -> list[WordVectors]:
        """One vector per word: the mean of its subword vectors."""
        return [pool_words(sub) for sub in self.subword_vectors(sentences)]

    @torch.inference_mode()
    def _embed(
        self, batch: list[list[str]], layers: Sequence[int]
    ) -> dict[int, list[tuple[np.ndarray, np.ndarray]]]:
        encoding = self.tokenizer(
            batch,
            is_split_into_words=True,
            truncation=True,
            max_length=self.max_length,
            padding=True,
            return_tensors="pt",
        )
        word_ids = torch.tensor(
            [[-1 if w is None else w for w in encoding.word_ids(b)] for b in range(len(batch))]
        )
        outputs = self.model(**encoding.to(self.device), output_hidden_states=True)
        keep = word_ids >= 0
        sizes = keep.sum(dim=1).tolist()
        ids = word_ids[keep].numpy()
        bounds = np.cumsum([0, *sizes])
        out = {}
        for layer in layers:
            hidden = outputs.hidden_states[layer].float()
            vectors = hidden[keep.to(hidden.device)].cpu().numpy()
            out[layer] = [
                (vectors[bounds[b] : bounds[b + 1]], ids[bounds[b] : bounds[b + 1]])
                for b in range(len(batch))
            ]
        return out


def _load_quietly(auto_model, name: str, options: dict, model: str):
    """The encoder, without Transformers' load report: an encoder loaded for its hidden states
    leaves a task head it lacks (a pooler) "MISSING", which is expected, not a problem."""
    from transformers.utils import logging as hf_logging

    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    try:
        return auto_model.from_pretrained(name, **options)
    except LOAD_ERRORS as err:
        raise load_error(err, "alignment encoder", model) from None
    finally:
        hf_logging.set_verbosity(verbosity)
