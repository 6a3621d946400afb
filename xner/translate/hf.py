"""Translation with any Hugging Face seq2seq checkpoint (NLLB-200, M2M-100, Marian).

Sentences are joined with spaces, sorted by length (longest first, so padding is small and
out-of-memory errors show up in the first batch), translated in batches with beam search,
put back in input order and split into words with :func:`xner.data.wordtok.word_tokenize`.
The model loads on the first call, so a cached pipeline never loads it.
"""

import logging
from collections.abc import Mapping, Sequence

from tqdm import tqdm

from xner.data.wordtok import word_tokenize
from xner.device import resolve_device
from xner.errors import ConfigError
from xner.hub import LOAD_ERRORS, check_checkpoint, load_error, model_options
from xner.options import Range, in_range, one_of
from xner.translate.base import Translator
from xner.translate.langcodes import FAMILIES, model_code

log = logging.getLogger(__name__)


def guess_family(model: str, tokenizer: object | None = None) -> str | None:
    """nllb / m2m100 / marian from the tokenizer class, else from the checkpoint name."""
    names = [type(tokenizer).__name__.lower()] if tokenizer is not None else []
    names.append(str(model).lower())
    for name in names:
        for family, marks in (
            ("nllb", ("nllb",)),
            ("m2m100", ("m2m100", "m2m_100")),
            ("marian", ("marian", "opus-mt")),
        ):
            if any(mark in name for mark in marks):
                return family
    return None


class HFTranslator(Translator):
    markup = ("brackets", "html")  # EasyProject's NLLB checkpoints are trained on brackets

    def __init__(
        self,
        *,
        model: str,
        batch_size: int,
        num_beams: int,
        max_length: int,
        device: str,
        family: str,
        lang_codes: Mapping[str, str],
        dtype: str,
        trust_remote_code: bool = False,
    ) -> None:
        self.model_name = str(model)
        self.batch_size = in_range("translator.batch_size", batch_size, Range(1))
        self.num_beams = in_range("translator.num_beams", num_beams, Range(1))
        self.max_length = in_range("translator.max_length", max_length, Range(1))
        self.device = device
        self.family = one_of("translator.family", family, ("auto", *FAMILIES))
        self.lang_codes = dict(lang_codes)
        self.dtype = dtype
        self.trust_remote_code = trust_remote_code
        self._model = None
        self._tokenizer = None

    def _family(self) -> str | None:
        if self.family != "auto":
            return self.family
        return guess_family(self.model_name, self._tokenizer)

    def _codes(self, src_lang: str, tgt_lang: str) -> tuple[str, str] | None:
        family = self._family()
        if family in (None, "marian"):
            if family is None and self._tokenizer is not None and not self.lang_codes:
                log.warning(
                    "%s: unknown model family, translating without language codes", self.model_name
                )
            return None
        return (
            model_code(src_lang, family, self.model_name, self.lang_codes),
            model_code(tgt_lang, family, self.model_name, self.lang_codes),
        )

    def _load(self) -> None:
        if self._model is not None:
            return
        import torch
        from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

        device = resolve_device(self.device)
        dtype = self.dtype
        if dtype == "auto":
            dtype = "float16" if device.startswith("cuda") else "float32"
        check_checkpoint(self.model_name, "translator.model")
        options = model_options(self.model_name, self.trust_remote_code)
        log.info("loading translation model %s on %s (%s)", self.model_name, device, dtype)
        try:
            self._tokenizer = AutoTokenizer.from_pretrained(self.model_name, **options)
            model = AutoModelForSeq2SeqLM.from_pretrained(
                self.model_name, dtype=getattr(torch, dtype), **options
            )
        except LOAD_ERRORS as err:
            raise load_error(err, "translation model", self.model_name) from None
        self._model = model.to(device).eval()

    def _lang_token_id(self, code: str) -> int:
        tok = self._tokenizer
        if hasattr(tok, "get_lang_id"):
            try:
                return tok.get_lang_id(code)
            except KeyError:
                pass
        token_id = tok.convert_tokens_to_ids(code)
        if token_id is None or token_id == tok.unk_token_id:
            raise ConfigError(f"{self.model_name}: language code {code!r} is not in its vocabulary")
        return token_id

    def check(self, src_lang: str, tgt_lang: str) -> None:
        """Refuse, before any work, a language the model does not cover or an unreachable model."""
        self._codes(src_lang, tgt_lang)
        check_checkpoint(self.model_name, "translator.model")

    def translate(
        self, sentences: Sequence[Sequence[str]], src_lang: str, tgt_lang: str
    ) -> list[list[str]]:
        self._codes(src_lang, tgt_lang)  # refuse unsupported languages before loading
        texts = [" ".join(words) for words in sentences]
        return [word_tokenize(text) for text in self.translate_texts(texts, src_lang, tgt_lang)]

    def translate_texts(
        self, texts: Sequence[str], src_lang: str, tgt_lang: str, markup: str | None = None
    ) -> list[str]:
        """Raw strings in, raw translations out (same order); markers are plain text here."""
        import torch

        out = [""] * len(texts)
        todo = [i for i, text in enumerate(texts) if text.strip()]
        if not todo:
            return out
        self._load()
        codes = self._codes(src_lang, tgt_lang)
        tok, model = self._tokenizer, self._model
        extra = {}
        # transformers 5's M2M-100 tokenizer does not skip its __xx__ tokens when decoding
        strip = set(getattr(tok, "id_to_lang_token", {}))
        if codes is not None:
            tok.src_lang = codes[0]
            extra["forced_bos_token_id"] = self._lang_token_id(codes[1])
            strip.add(extra["forced_bos_token_id"])
        todo.sort(key=lambda i: len(texts[i]), reverse=True)
        batches = [todo[s : s + self.batch_size] for s in range(0, len(todo), self.batch_size)]
        for batch in tqdm(batches, desc=f"translate {src_lang}->{tgt_lang}", disable=None):
            enc = tok(
                [texts[i] for i in batch],
                return_tensors="pt",
                padding=True,
                truncation=True,
                max_length=self.max_length,
            ).to(model.device)
            with torch.inference_mode():
                generated = model.generate(
                    **enc, num_beams=self.num_beams, max_length=self.max_length, **extra
                )
            rows = [[t for t in row if t not in strip] for row in generated.tolist()]
            decoded = tok.batch_decode(rows, skip_special_tokens=True)
            for i, text in zip(batch, decoded, strict=True):
                out[i] = text.strip()
        return out
