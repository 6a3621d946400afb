"""Any machine translation program that reads sentences on stdin, one a line, and writes their
translations on stdout, one a line (docs/how-to/add-translator.md)."""

import shutil
import subprocess
from collections.abc import Sequence

from xner.errors import ConfigError, DataError
from xner.translate.base import Translator


class CommandTranslator(Translator):
    """Runs ``command`` once per call, with ``{src}`` and ``{tgt}`` in its words replaced by the
    language codes; words of a translation are its whitespace-separated tokens."""

    def __init__(self, *, command: Sequence[str]) -> None:
        if not command:
            raise ConfigError("translator.command is empty: name the program and its arguments")
        self.command = [str(word) for word in command]

    def check(self, src_lang: str, tgt_lang: str) -> None:
        if shutil.which(self.command[0]) is None:
            raise ConfigError(f"translator.command: {self.command[0]!r} is not on PATH")

    def translate(
        self, sentences: Sequence[Sequence[str]], src_lang: str, tgt_lang: str
    ) -> list[list[str]]:
        command = [w.format(src=src_lang, tgt=tgt_lang) for w in self.command]
        text = "".join(" ".join(words) + "\n" for words in sentences)
        done = subprocess.run(command, input=text, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise DataError(f"{' '.join(command)} failed: {done.stderr.strip()[:200]}")
        lines = done.stdout.splitlines()
        if len(lines) != len(sentences):
            raise DataError(
                f"{' '.join(command)} wrote {len(lines)} lines for {len(sentences)} sentences"
            )
        return [line.split() for line in lines]
