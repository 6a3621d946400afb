"""Tiny randomly initialised Hugging Face models for offline tests.

Each builder trains a tokenizer on the given corpus, builds a 2-layer model with a small
hidden size, and saves both with ``save_pretrained`` into ``folder``, so the result loads
through the same ``AutoTokenizer`` / ``AutoModel*.from_pretrained`` path as a real checkpoint.

- ``nllb``: NLLB's own tokenizer class over a BPE vocabulary trained with ``tokenizers``
  (Metaspace pre-tokenizer, like SentencePiece), with the NLLB language codes as special tokens.
- ``m2m100``: M2M-100's SentencePiece tokenizer over a BPE model trained with
  ``sentencepiece``; its 100 ``__xx__`` language tokens follow the vocabulary.
- ``marian``: Marian's SentencePiece tokenizer (one shared model for both sides).
- encoders: ``xlm-roberta`` (Unigram vocabulary) and ``bert`` (WordPiece, lowercased).
"""

import json
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from xner.errors import ConfigError
from xner.options import one_of

SEQ2SEQ_FAMILIES = ("m2m100", "nllb", "marian")
ENCODER_FAMILIES = ("xlm-roberta", "bert")
_SMALL = dict(
    d_model=32,
    encoder_layers=2,
    decoder_layers=2,
    encoder_attention_heads=2,
    decoder_attention_heads=2,
    encoder_ffn_dim=64,
    decoder_ffn_dim=64,
    max_position_embeddings=128,
)


def _start(
    folder: str | Path,
    kind: str,
    family: str,
    families: Sequence[str],
    corpus: Sequence[str],
    seed: int,
) -> Path:
    """Check the builder's arguments, create ``folder`` and seed torch; returns the folder."""
    one_of(f"tiny {kind} family", family, families)
    if not corpus:
        raise ConfigError("a tiny model needs a non-empty corpus to train its tokenizer")
    import torch

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    return folder


def _train_spm(corpus: Sequence[str], prefix: Path, vocab_size: int) -> Path:
    import sentencepiece as spm

    text = prefix.with_suffix(".txt")
    text.write_text("\n".join(corpus) + "\n", encoding="utf-8")
    spm.SentencePieceTrainer.train(
        input=str(text),
        model_prefix=str(prefix),
        vocab_size=vocab_size,
        model_type="bpe",
        hard_vocab_limit=False,
        character_coverage=1.0,
        bos_id=-1,
        eos_id=-1,
        unk_id=0,
        pad_id=-1,
        minloglevel=2,
        num_threads=1,
    )
    return prefix.with_suffix(".model")


def _spm_pieces(model: Path) -> list[str]:
    import sentencepiece as spm

    proc = spm.SentencePieceProcessor(model_file=str(model))
    return [proc.id_to_piece(i) for i in range(proc.get_piece_size())]


def _nllb_tokenizer(corpus: Sequence[str], langs: Sequence[str], vocab_size: int):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import NllbTokenizer

    specials = ["<s>", "<pad>", "</s>", "<unk>"]
    bpe = Tokenizer(models.BPE(unk_token="<unk>"))
    bpe.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    bpe.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=specials, show_progress=False
    )
    bpe.train_from_iterator(corpus, trainer)
    state = json.loads(bpe.to_str())["model"]
    merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in state["merges"]]
    return NllbTokenizer(
        vocab=state["vocab"],
        merges=merges,
        additional_special_tokens=list(langs),
        src_lang=langs[0],
    )


def _m2m_tokenizer(corpus: Sequence[str], langs: Sequence[str], vocab_size: int, work: Path):
    from transformers import M2M100Tokenizer
    from transformers.models.m2m_100.tokenization_m2m_100 import FAIRSEQ_LANGUAGE_CODES

    unknown = [lang for lang in langs if lang not in FAIRSEQ_LANGUAGE_CODES["m2m100"]]
    if unknown:
        raise ConfigError(f"M2M-100 has no language code for {', '.join(unknown)}")
    spm_file = _train_spm(corpus, work / "spm", vocab_size)
    vocab = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3}
    for piece in _spm_pieces(spm_file):
        vocab.setdefault(piece, len(vocab))
    vocab_file = work / "vocab.json"
    vocab_file.write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    return M2M100Tokenizer(
        vocab_file=str(vocab_file), spm_file=str(spm_file), src_lang=langs[0], tgt_lang=langs[-1]
    )


def _marian_tokenizer(corpus: Sequence[str], vocab_size: int, work: Path):
    from transformers import MarianTokenizer

    spm_file = _train_spm(corpus, work / "spm", vocab_size)
    vocab = {"</s>": 0, "<unk>": 1}
    for piece in _spm_pieces(spm_file):
        vocab.setdefault(piece, len(vocab))
    vocab["<pad>"] = len(vocab)
    vocab_file = work / "vocab.json"
    vocab_file.write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    return MarianTokenizer(
        source_spm=str(spm_file), target_spm=str(spm_file), vocab=str(vocab_file)
    )


def build_tiny_seq2seq(
    folder: str | Path,
    family: str = "m2m100",
    corpus: Sequence[str] = (),
    langs: Sequence[str] = ("en", "ha"),
    vocab_size: int = 300,
    seed: int = 0,
) -> Path:
    """A tiny random translation model; ``langs`` are the family's own codes (eng_Latn, en)."""
    from transformers import GenerationConfig

    folder = _start(folder, "seq2seq", family, SEQ2SEQ_FAMILIES, corpus, seed)
    with tempfile.TemporaryDirectory() as tmp:
        if family == "nllb":
            tokenizer = _nllb_tokenizer(corpus, langs, vocab_size)
        elif family == "m2m100":
            tokenizer = _m2m_tokenizer(corpus, langs, vocab_size, Path(tmp))
        else:
            tokenizer = _marian_tokenizer(corpus, vocab_size, Path(tmp))
        tokenizer.save_pretrained(folder)
    model = _seq2seq_model(family, tokenizer)
    special = ("decoder_start_token_id", "bos_token_id", "eos_token_id", "pad_token_id")
    model.generation_config = GenerationConfig(
        **{name: getattr(model.config, name) for name in special}, max_length=32, num_beams=1
    )
    model.save_pretrained(folder)
    return folder


def _seq2seq_model(family: str, tokenizer: Any) -> Any:
    """A randomly initialised model of ``family`` sized for ``tokenizer``'s ids."""
    from transformers import (
        M2M100Config,
        M2M100ForConditionalGeneration,
        MarianConfig,
        MarianMTModel,
    )

    ids = [*tokenizer.get_vocab().values(), *getattr(tokenizer, "lang_code_to_id", {}).values()]
    n_vocab = max(len(tokenizer), max(ids) + 1) + getattr(tokenizer, "num_madeup_words", 0)
    if family == "marian":
        pad = tokenizer.pad_token_id
        token_ids = dict(
            pad_token_id=pad, eos_token_id=0, decoder_start_token_id=pad, forced_eos_token_id=0
        )
        model_class, config_class = MarianMTModel, MarianConfig
    else:
        token_ids = dict(pad_token_id=1, bos_token_id=0, eos_token_id=2, decoder_start_token_id=2)
        model_class, config_class = M2M100ForConditionalGeneration, M2M100Config
    return model_class(config_class(vocab_size=n_vocab, **token_ids, **_SMALL))


def _bert_encoder(corpus: Sequence[str], vocab_size: int, small: dict) -> tuple[Any, Any]:
    """A lower-casing WordPiece tokenizer trained on ``corpus`` and its BERT config."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers
    from transformers import BertConfig, BertTokenizer

    wp = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    wp.normalizer = normalizers.BertNormalizer(lowercase=True)
    wp.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    wp.train_from_iterator(
        corpus,
        trainers.WordPieceTrainer(
            vocab_size=vocab_size, special_tokens=specials, show_progress=False
        ),
    )
    tokenizer = BertTokenizer(vocab=wp.get_vocab(), do_lower_case=True)
    config = BertConfig(vocab_size=len(tokenizer), pad_token_id=tokenizer.pad_token_id, **small)
    return tokenizer, config


def _xlmr_encoder(corpus: Sequence[str], vocab_size: int, small: dict) -> tuple[Any, Any]:
    """A SentencePiece-style Unigram tokenizer trained on ``corpus`` and its XLM-R config."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import XLMRobertaConfig, XLMRobertaTokenizer

    uni = Tokenizer(models.Unigram())
    uni.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    specials = ["<s>", "<pad>", "</s>", "<unk>"]
    uni.train_from_iterator(
        corpus,
        trainers.UnigramTrainer(
            vocab_size=vocab_size,
            special_tokens=specials,
            unk_token="<unk>",
            show_progress=False,
        ),
    )
    vocab = json.loads(uni.to_str())["model"]["vocab"]
    tokenizer = XLMRobertaTokenizer(vocab=[(p, s) for p, s in vocab] + [("<mask>", 0.0)])
    config = XLMRobertaConfig(
        vocab_size=len(tokenizer), pad_token_id=1, bos_token_id=0, eos_token_id=2, **small
    )
    return tokenizer, config


def _encoder_model(config: Any, num_labels: int | None, id2label: dict[int, str] | None) -> Any:
    """A random encoder from ``config``, with a token-classification head when labelled."""
    from transformers import AutoModel, AutoModelForTokenClassification

    if num_labels is None:
        return AutoModel.from_config(config)
    config.num_labels = num_labels
    if id2label is not None:
        config.id2label = {int(k): v for k, v in id2label.items()}
        config.label2id = {v: int(k) for k, v in id2label.items()}
    return AutoModelForTokenClassification.from_config(config)


def build_tiny_encoder(
    folder: str | Path,
    family: str = "xlm-roberta",
    corpus: Sequence[str] = (),
    num_labels: int | None = None,
    vocab_size: int = 300,
    seed: int = 0,
    id2label: dict[int, str] | None = None,
    hidden_size: int = 32,
    num_layers: int = 2,
) -> Path:
    """A tiny random encoder (a token-classification head when ``num_labels`` is given);
    ``hidden_size`` and ``num_layers`` make teachers and students of different sizes."""
    folder = _start(folder, "encoder", family, ENCODER_FAMILIES, corpus, seed)
    small = dict(
        hidden_size=hidden_size,
        num_hidden_layers=num_layers,
        num_attention_heads=2,
        intermediate_size=2 * hidden_size,
        max_position_embeddings=130,
    )
    tokenizer_and_config = _bert_encoder if family == "bert" else _xlmr_encoder
    tokenizer, config = tokenizer_and_config(corpus, vocab_size, small)
    tokenizer.save_pretrained(folder)
    _encoder_model(config, num_labels, id2label).save_pretrained(folder)
    return folder
