"""Rule-based machine translation with Apertium (Debian's ``apertium`` + ``apertium-<pair>``).

Real MT with no model download, CPU only. One ``apertium`` process translates a whole batch:
one sentence per line in, one line out per line in; a batch whose line count comes back
different is a DataError naming the batch (never a silent shift). ``-f html`` keeps inline
markup on the translated words, which the ``html`` marker style uses; there each sentence is
sent as its own ``<p>`` block (in HTML a newline is only a blank, and Apertium would move
words across it) and a block that does not come back whole is a DataError. Apertium marks words it
could not translate (``*`` unknown, ``@`` missing from the bilingual dictionary, ``#``
generation failed); the marks are removed unless ``keep_marks`` (a kept mark comes out as a
word of its own, by the word tokenizer's rules). A mark is never stripped from a word that
the input itself had (``@user`` stays). Output words come from
:func:`xner.data.wordtok.word_tokenize`, as the HF translator's do.
"""

import functools
import re
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from tqdm import tqdm

from xner.data.wordtok import word_tokenize
from xner.errors import ConfigError, DataError
from xner.options import Range, in_range
from xner.translate.base import Translator

# Dataset codes -> Apertium's (ISO 639-3, as its pair names use them); 3-letter codes pass.
APERTIUM_CODES: dict[str, str] = {
    "en": "eng", "es": "spa", "ca": "cat", "it": "ita", "pt": "por", "fr": "fra", "gl": "glg",
    "oc": "oci", "an": "arg", "eu": "eus", "ro": "ron", "nb": "nob", "nn": "nno", "sv": "swe",
    "da": "dan", "is": "isl", "be": "bel", "ru": "rus", "uk": "ukr", "kk": "kaz", "tt": "tat",
    "mt": "mlt", "ar": "ara", "hi": "hin", "ur": "urd", "cy": "cym", "br": "bre", "ga": "gle",
    "sc": "srd", "eo": "epo", "af": "afr", "nl": "nld", "de": "deu", "sq": "sqi", "mk": "mkd",
    "bg": "bul", "sl": "slv", "hr": "hbs", "sr": "hbs", "bs": "hbs", "cs": "ces", "sk": "slk",
    "pl": "pol", "tr": "tur", "az": "aze", "ky": "kir", "uz": "uzb", "id": "ind", "ms": "msa",
}  # fmt: skip
MODES_DIR = Path("/usr/share/apertium/modes")
FORMATS = {None: "txt", "brackets": "txt", "html": "html"}
_MARK = re.compile(r"(?<![\w*#@])[*#@](?=\w)")


def apertium_mode(src_lang: str, tgt_lang: str, codes: Mapping[str, str] | None = None) -> str:
    """``eng-spa`` for en -> es: the Apertium mode of a dataset language pair."""
    table = {**APERTIUM_CODES, **(codes or {})}
    return f"{table.get(src_lang, src_lang)}-{table.get(tgt_lang, tgt_lang)}"


def strip_marks(output: str, given: str) -> str:
    """``output`` without Apertium's unknown-word marks, except on words ``given`` had."""
    kept = set(given.split())

    def unmark(match: re.Match) -> str:
        word = output[match.start() :].split(maxsplit=1)[0]
        return match.group(0) if word in kept else ""

    return _MARK.sub(unmark, output)


class ApertiumTranslator(Translator):
    """``translator=apertium``: the mode from the language pair, or ``mode`` when given."""

    # brackets first: translate-test dev F1 0.845 vs html 0.815 (bench/apertium_markers.py)
    markup = ("brackets", "html")

    def __init__(
        self,
        *,
        mode: str | None,
        batch_size: int,
        keep_marks: bool,
        binary: str,
        lang_codes: Mapping[str, str],
    ) -> None:
        self.mode = mode
        self.batch_size = in_range("translator.batch_size", batch_size, Range(1))
        self.keep_marks = keep_marks
        self.binary = binary
        self.lang_codes = dict(lang_codes)

    def _mode(self, src_lang: str, tgt_lang: str) -> str:
        return self.mode or apertium_mode(src_lang, tgt_lang, self.lang_codes)

    def check(self, src_lang: str, tgt_lang: str) -> None:
        """A missing binary, mode or component is one line naming what to install."""
        if shutil.which(self.binary) is None:
            raise ConfigError(
                f"translator=apertium: no {self.binary!r} on PATH; install the Debian packages "
                f"apertium and apertium-<pair> (apt-get install apertium apertium-eng-spa)"
            )
        mode = self._mode(src_lang, tgt_lang)
        if MODES_DIR.is_dir() and not (MODES_DIR / f"{mode}.mode").is_file():
            a, b = mode.split("-", 1) if "-" in mode else (mode, "")
            have = sorted(p.stem for p in MODES_DIR.glob("*.mode"))
            raise ConfigError(
                f"translator=apertium: no Apertium mode {mode!r} for {src_lang}->{tgt_lang} "
                f"(installed: {', '.join(have) or 'none'}); install the Debian package "
                f"apertium-{a}-{b} or apertium-{b}-{a} (apt-cache search apertium), "
                f"or set translator.mode="
            )
        _mode_works(self.binary, mode)

    def _run(self, lines: Sequence[str], mode: str, fmt: str, batch: str) -> list[str]:
        return run_apertium(self.binary, lines, mode, fmt, batch)

    def _run_html(self, lines: Sequence[str], mode: str, batch: str) -> list[str]:
        """``-f html`` with each sentence in its own ``<p>``: a newline alone is a blank in
        HTML, and Apertium then moves words from one sentence into the next."""
        wrapped = self._run([f"<p>{line}</p>" for line in lines], mode, "html", batch)
        out = []
        for k, line in enumerate(wrapped):
            line = line.strip()
            if not (line.startswith("<p>") and line.endswith("</p>")):
                raise DataError(
                    f"apertium {mode}, {batch}: sentence {k} lost its <p> block ({line[:80]!r}); "
                    f"the output cannot be split back into sentences safely"
                )
            out.append(line[3:-4])
        return out

    def translate_texts(
        self, texts: Sequence[str], src_lang: str, tgt_lang: str, markup: str | None = None
    ) -> list[str]:
        if markup not in FORMATS:
            raise ConfigError(f"apertium carries markup {', '.join(self.markup)}, not {markup!r}")
        mode, fmt = self._mode(src_lang, tgt_lang), FORMATS[markup]
        out: list[str] = []
        starts = range(0, len(texts), self.batch_size)
        for start in tqdm(starts, desc=f"apertium {mode}", disable=None):
            batch = texts[start : start + self.batch_size]
            name = f"batch {start // self.batch_size} (sentences {start}-{start + len(batch) - 1})"
            if fmt == "html":
                lines = self._run_html(batch, mode, name)
            else:
                lines = self._run(batch, mode, fmt, name)
            if not self.keep_marks:
                lines = [strip_marks(o, i) for o, i in zip(lines, batch, strict=True)]
            out.extend(line.strip() for line in lines)
        return out

    def translate(
        self, sentences: Sequence[Sequence[str]], src_lang: str, tgt_lang: str
    ) -> list[list[str]]:
        texts = [" ".join(words) for words in sentences]
        return [word_tokenize(t) for t in self.translate_texts(texts, src_lang, tgt_lang)]


@functools.cache
def _mode_works(binary: str, mode: str) -> None:
    """A test sentence through ``mode``, once per binary and mode in a process (a sweep checks
    every job's translator before it starts)."""
    run_apertium(binary, ["test ."], mode, "txt", "check")


def run_apertium(binary: str, lines: Sequence[str], mode: str, fmt: str, batch: str) -> list[str]:
    """``lines`` through ``apertium -f fmt mode``: one output line per input line, or one error."""
    command = [binary, "-f", fmt, mode]
    text = "".join(line.replace("\n", " ") + "\n" for line in lines)
    try:
        done = subprocess.run(command, input=text, capture_output=True, text=True)
    except OSError as err:
        raise ConfigError(f"translator=apertium: cannot run {binary}: {err}") from None
    if done.returncode != 0:
        why = (done.stderr.strip().splitlines() or ["no message"])[-1]
        hint = " (ita->spa also needs the Debian package cg3)" if "cg-proc" in why else ""
        raise ConfigError(f"apertium {mode} failed on {batch}: {why}{hint}")
    out = done.stdout.split("\n")
    if out and out[-1] == "":
        out.pop()
    if len(out) != len(lines):
        raise DataError(
            f"apertium {mode}, {batch}: {len(lines)} sentences in, {len(out)} lines out "
            f"(a sentence was split or merged); nothing was shifted"
        )
    return out
