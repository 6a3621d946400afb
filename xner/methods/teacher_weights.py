"""The teachers' weights alpha_k of a teacher-student run: uniform, given, or by similarity.

``method.teacher_weights``: null (uniform), one number per teacher (normalised), or
``similarity``: Wu et al. (2020)'s language-identification weights
(:mod:`xner.models.language_similarity`), computed from sentence representations of the
pretrained encoder of the ``teacher`` (or ``student``) model node, the mean of its last
layer's subword vectors, on each source language's training sentences (labels unused) and on
the target's unlabelled split. Features and weights are cached in the stage cache.
"""

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

import numpy as np

from xner.errors import ConfigError
from xner.options import one_of

SIMILARITY = "similarity"
FEATURES_STAGE = "sentence_features"
WEIGHTS_STAGE = "teacher_weights"
ENCODER_ROLES = ("teacher", "student")
# Code in the cache keys: the feature extraction (and the encoder it runs), the classifier.
FEATURES_CODE = ("xner.methods.teacher_weights:sentence_features", "xner.align.encoder")
WEIGHTS_CODE = ("xner.models.language_similarity:similarity_weights",)
PARAM = "teacher_weight/{name}"


def weights_problem(weights: Any, given_teachers: Sequence[str]) -> str | None:
    """Why ``method.teacher_weights`` cannot work with these teachers (None when it can)."""
    if isinstance(weights, str):
        if weights != SIMILARITY:
            return (
                f"method.teacher_weights={weights!r}: null (uniform), a list of numbers "
                f"(one per teacher) or {SIMILARITY!r}"
            )
        if given_teachers:
            return (
                "method.teacher_weights=similarity weighs the teachers by how much the target "
                "text resembles each source language's text, but method.teachers gives "
                "checkpoints without source text: train the teachers from source_langs instead, "
                "or give method.teacher_weights=[...] by hand"
            )
    return None


def similarity_settings(node: Mapping | None) -> tuple[str, Any]:
    """(encoder role, SimilaritySettings) of ``method.similarity``; unknown keys are errors."""
    from xner.models.language_similarity import SimilaritySettings

    given = dict(node or {})
    role = one_of("method.similarity.encoder", str(given.pop("encoder", "teacher")), ENCODER_ROLES)
    known = set(SimilaritySettings.__dataclass_fields__)
    unknown = sorted(set(given) - known)
    if unknown:
        raise ConfigError(
            f"method.similarity: unknown key(s) {unknown} "
            f"(known: encoder, {', '.join(sorted(known))})"
        )
    return role, SimilaritySettings(**given)


def sentence_features(
    checkpoint: str,
    sentences: Sequence[Sequence[str]],
    max_length: int | None = None,
    device: str = "cpu",
    batch_size: int = 32,
) -> np.ndarray:
    """f(x) per sentence ``[n, hidden]``: the mean of the encoder's last-layer subword vectors
    (special tokens left out; a sentence longer than ``max_length`` is embedded in pieces)."""
    from xner.align.encoder import Encoder, layer_count, load_config
    from xner.models.registry import resolve_checkpoint

    name = resolve_checkpoint(checkpoint)
    layers = layer_count(load_config(name))
    encoder = Encoder(name, layers, device=device, batch_size=batch_size, max_length=max_length)
    out = np.zeros((len(sentences), encoder.hidden_size), dtype=np.float32)
    for i, sub in enumerate(encoder.subword_vectors(sentences)):
        if len(sub.vectors):
            out[i] = sub.vectors.mean(axis=0)
    return out


def cached_features(ctx: Any, role: str, sentences: list[list[str]]) -> tuple[np.ndarray, str]:
    """The sentence features of ``role``'s pretrained encoder on ``sentences`` (cached)."""
    from xner.hub import check_checkpoint
    from xner.methods.training import Training
    from xner.models.registry import resolve_checkpoint
    from xner.pipeline.cache import fingerprint

    training = Training(ctx)
    own = training.model_settings(role)
    checkpoint = str(own.checkpoint)
    check_checkpoint(resolve_checkpoint(checkpoint), f"{role}.checkpoint")
    max_length = own.max_length
    config = {"encoder": checkpoint, "max_length": max_length, "pooling": "mean", "layer": "last"}

    def compute() -> dict:
        return {"features": sentence_features(checkpoint, sentences, max_length, training.device())}

    value, key = ctx.cache.get_or_compute(
        FEATURES_STAGE, config, [fingerprint(sentences)], compute, code=FEATURES_CODE
    )
    return np.asarray(value["features"]), key


def similarity_weights(
    ctx: Any, node: Mapping | None, langs: Sequence[str], target: list[list[str]]
) -> dict[str, float]:
    """Wu et al.'s weight per source language, from its training words and the target text."""
    from xner.models import language_similarity

    role, settings = similarity_settings(node)
    if len(langs) == 1:
        return {langs[0]: 1.0}
    source, keys = {}, []
    for lang in langs:
        words = [list(s.words) for s in ctx.source_split("train", lang)]
        source[lang], key = cached_features(ctx, role, words)
        keys.append(key)
    target_features, target_key = cached_features(ctx, role, target)
    seed = int(ctx.cfg.seed)
    config = {"langs": list(langs), "settings": asdict(settings), "seed": seed}

    def compute() -> dict:
        weights = language_similarity.similarity_weights(source, target_features, settings, seed)
        return {"langs": list(weights), "weights": [weights[lang] for lang in weights]}

    value, _ = ctx.cache.get_or_compute(
        WEIGHTS_STAGE, config, [*keys, target_key], compute, code=WEIGHTS_CODE
    )
    return dict(zip(value["langs"], (float(w) for w in value["weights"]), strict=True))
