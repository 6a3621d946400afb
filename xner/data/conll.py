"""CoNLL files: one token per line, token in the first column and tag in the last.

Sentences are separated by blank lines; ``-DOCSTART-`` lines are skipped. Columns may be
separated by tabs or spaces; lines may end in LF, CR LF or CR alone, mixed in one file. Reading
validates and converts to IOB2; every problem is reported with the file, line and sentence it
occurs in.

Invisible characters (``text.py``: zero-width, no-break spaces, line separators, controls) are
refused in a tag and in a token made of nothing else; inside a word they are kept as written and
reported once per file. A byte order mark at the start of a line (files concatenated) is removed,
and reported when it is not the file's first.

Where the word and the tag are is a :class:`Columns` setting: by default the word is the first
column and the tag the last, and runs of spaces and tabs separate columns; with tabs alone as the
separator a word may hold spaces, which are read as ``_`` (xner's words hold none) and reported.

Published files (MasakhaNER 2.0 among them) contain *orphan* tags: an ``I-X`` after ``O`` or
after another type. They are read as the CoNLL script reads them, as the start of a new
entity (``orphans="begin"`` stores them as ``B-X``; ``"keep"`` leaves them as written), counted
and reported once per file; ``orphans="refuse"`` stops at the first one instead.
"""

import logging
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from xner.data.tags import OUTSIDE, PREFIXES, orphan_inside, repair_iob2, split_tag, to_iob2
from xner.data.text import BOM, describe, invisible, split_lines
from xner.errors import DataError
from xner.options import one_of

log = logging.getLogger(__name__)
_SEPARATOR = re.compile(r"[ \t]+")
ORPHANS = ("begin", "keep", "refuse")
ORPHAN_HINT = "read it with orphans='begin' to start a new entity there, as conlleval does"
SEPARATORS = ("whitespace", "tab")


@dataclass(frozen=True)
class Columns:
    """Where a line's word and tag are (0-based columns; negative ones count from the end) and
    what separates the columns: ``whitespace`` (runs of spaces and tabs) or ``tab``."""

    word: int = 0
    tag: int = -1
    separator: str = "whitespace"

    def __post_init__(self) -> None:
        if self.separator not in SEPARATORS:
            raise ValueError(
                f"separator must be one of {', '.join(SEPARATORS)}, not {self.separator!r}"
            )
        if not all(isinstance(i, int) and not isinstance(i, bool) for i in (self.word, self.tag)):
            raise ValueError(f"columns must be integers, not {self.word!r} and {self.tag!r}")

    def split(self, line: str) -> list[str]:
        """The cells of a line stripped of spaces and tabs at both ends (none when blank)."""
        line = line.strip(" \t")
        if not line:
            return []
        if self.separator == "tab":
            return [cell.strip(" ") for cell in line.split("\t")]
        return _SEPARATOR.split(line)

    def pick(self, cells: Sequence[str]) -> tuple[int, int] | None:
        """The indices of the word and the tag among ``cells``; None when the line lacks one."""
        n = len(cells)
        if not (-n <= self.word < n and -n <= self.tag < n):
            return None
        word, tag = self.word % n, self.tag % n
        return None if word == tag else (word, tag)

    def expected(self) -> str:
        """What a line should hold, for an error message."""
        if self == Columns():
            return "expected 'token<TAB>tag'"
        return f"expected the word in column {self.word} and the tag in column {self.tag}, from 0"


LAYOUT = Columns()


@dataclass
class TaggedSentence:
    """A sentence (list of words) with one IOB2 tag per word and any middle columns."""

    words: list[str]
    tags: list[str]
    columns: list[list[str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if len(self.words) != len(self.tags):
            raise ValueError(f"{len(self.words)} words but {len(self.tags)} tags")

    def __len__(self) -> int:
        return len(self.words)


def _decode(path: Path, raw: bytes) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise DataError(
            f"{path}:{line}: not valid UTF-8 (byte {raw[err.start]:#04x}); "
            "re-encode the file as UTF-8"
        ) from None
    return text.removeprefix(BOM)


def _check_tag(
    path: Path, lineno: int, sent_idx: int, tag: str, labels: set[str] | None, scheme: str
) -> None:
    hidden = invisible(tag)
    if hidden:
        raise DataError(
            f"{path}:{lineno}: sentence {sent_idx}: tag {tag!r} holds invisible characters "
            f"({describe(hidden)}); delete them"
        )
    try:
        prefix, label = split_tag(tag)
    except ValueError:
        raise DataError(
            f"{path}:{lineno}: sentence {sent_idx}: unknown tag {tag!r} "
            "(expected O or B-/I-/E-/S- plus a label)"
        ) from None
    if label and prefix not in PREFIXES.get(scheme, (prefix,)):
        raise DataError(
            f"{path}:{lineno}: sentence {sent_idx}: tag {tag!r} is not {scheme.upper()} "
            "(wrong tag scheme? set it, e.g. scheme=bioes)"
        )
    if labels is not None and label and label not in labels:
        raise DataError(
            f"{path}:{lineno}: sentence {sent_idx}: unknown label {label!r} in tag {tag!r} "
            f"(known: {', '.join(sorted(labels))})"
        )


@dataclass
class _Block:
    """The raw lines of one sentence: line numbers, words, tags as written, middle columns."""

    starts: list[int] = field(default_factory=list)
    words: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    middles: list[list[str]] = field(default_factory=list)


@dataclass
class _Findings:
    """What reading repaired or kept as written, reported once per file: line numbers."""

    orphans: list[int] = field(default_factory=list)  # each orphan I- tag
    boms: list[int] = field(default_factory=list)  # each byte order mark removed mid-file
    hidden: list[int] = field(default_factory=list)  # each word holding invisible characters
    chars: list[str] = field(default_factory=list)  # the invisible characters in those words
    spaced: list[int] = field(default_factory=list)  # each word whose spaces were read as _

    def report(self, path: Path) -> None:
        if self.orphans:
            log.warning(
                "%s: %d orphan I- tag(s) (an I-X after O or another type, first at %s:%d) "
                "read as conlleval reads them: each starts a new entity",
                path, len(self.orphans), path, self.orphans[0],
            )  # fmt: skip
        if self.boms:
            log.warning(
                "%s: %d byte order mark(s) inside the file (files concatenated?), first at "
                "%s:%d, removed",
                path, len(self.boms), path, self.boms[0],
            )  # fmt: skip
        if self.hidden:
            log.warning(
                "%s: %d word(s) hold invisible characters (%s), first at %s:%d; read as written",
                path, len(self.hidden), describe(self.chars), path, self.hidden[0],
            )  # fmt: skip
        if self.spaced:
            log.warning(
                "%s: %d word(s) hold spaces, first at %s:%d; read with _ in their place",
                path, len(self.spaced), path, self.spaced[0],
            )  # fmt: skip


def _cells(line: str, lineno: int, found: _Findings, columns: Columns) -> list[str]:
    """The columns of one line, a byte order mark at its start removed (and noted mid-file)."""
    if line.startswith(BOM):
        line = line.lstrip(BOM)
        if lineno > 1:
            found.boms.append(lineno)
    return columns.split(line)


def _blocks(
    text: str, path: Path, known: set[str] | None, scheme: str, found: _Findings, columns: Columns
) -> Iterator[_Block]:
    """The sentences of CoNLL text as raw blocks, each token's tag checked on its line."""
    block, n = _Block(), 0
    for lineno, line in enumerate(split_lines(text), start=1):
        cells = _cells(line, lineno, found, columns)
        at = columns.pick(cells)
        token = cells[at[0]] if at else cells[0] if cells else ""
        if not cells or token == "-DOCSTART-" or cells[0] == "-DOCSTART-":
            if block.words:
                yield block
                block, n = _Block(), n + 1
            continue
        hidden = invisible(token)
        if len(hidden) == len(token):
            raise DataError(
                f"{path}:{lineno}: sentence {n}: token {token!r} is only invisible "
                f"characters ({describe(hidden)}); write the word or delete the line"
            )
        if hidden:
            found.hidden.append(lineno)
            found.chars.extend(hidden)
        if at is None:
            raise DataError(
                f"{path}:{lineno}: sentence {n}: token {token!r} has no tag "
                f"({len(cells)} column(s); {columns.expected()})"
            )
        if " " in token:
            found.spaced.append(lineno)
            token = token.replace(" ", "_")
        _check_tag(path, lineno, n, cells[at[1]], known, scheme)
        block.starts.append(lineno)
        block.words.append(token)
        block.tags.append(cells[at[1]])
        block.middles.append([c for i, c in enumerate(cells) if i not in at])
    if block.words:
        yield block


def _sentence(
    block: _Block, path: Path, sent_idx: int, scheme: str, orphans: str, hint: str,
    found: _Findings,
) -> TaggedSentence:  # fmt: skip
    """One block as an IOB2 sentence; the line of each orphan tag is added to ``found``."""
    try:
        iob2 = to_iob2(block.tags, scheme)
    except ValueError as err:
        raise DataError(f"{path}:{block.starts[0]}: sentence {sent_idx}: {err}") from None
    bad = orphan_inside(iob2)
    if bad is not None:
        if orphans == "refuse":
            prev = iob2[bad - 1] if bad else "the sentence start"
            raise DataError(
                f"{path}:{block.starts[bad]}: sentence {sent_idx}: {iob2[bad]} follows {prev} "
                f"(not valid IOB2; {hint})"
            )
        begun = repair_iob2(iob2)
        changed = (k for k, (a, b) in enumerate(zip(iob2, begun, strict=True)) if a != b)
        found.orphans.extend(block.starts[k] for k in changed)
        if orphans == "begin":
            iob2 = begun
    columns = block.middles if any(block.middles) else []
    return TaggedSentence(block.words, iob2, columns)


def parse_conll(
    text: str,
    path: str | os.PathLike = "<string>",
    scheme: str = "iob2",
    orphans: str = "begin",
    labels: Iterable[str] | None = None,
    allow_empty: bool = False,
    hint: str = ORPHAN_HINT,
    columns: Columns = LAYOUT,
) -> list[TaggedSentence]:
    """Parse CoNLL text into IOB2 sentences.

    ``scheme`` names the tag scheme of the input (iob2, iob1, bioes); ``orphans`` what
    happens to an ``I-X`` that continues nothing (see the module docstring; ``hint`` ends the
    refusal, in the words of the caller's interface). ``labels`` restricts the entity labels;
    ``columns`` says where the word and the tag are.
    """
    one_of("orphans", orphans, ORPHANS, error=ValueError)
    path = Path(path)
    known = set(labels) if labels is not None else None
    found = _Findings()
    sentences = [
        _sentence(block, path, i, scheme, orphans, hint, found)
        for i, block in enumerate(_blocks(text, path, known, scheme, found, columns))
    ]
    if not sentences and not allow_empty:
        raise DataError(f"{path}: empty file (no sentences)")
    found.report(path)
    return sentences


def read_conll(
    path: str | os.PathLike,
    scheme: str = "iob2",
    orphans: str = "begin",
    labels: Iterable[str] | None = None,
    hint: str = ORPHAN_HINT,
    columns: Columns = LAYOUT,
) -> list[TaggedSentence]:
    """Read a CoNLL file; see :func:`parse_conll` for the options."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    text = _decode(path, path.read_bytes())
    return parse_conll(text, path, scheme, orphans, labels, hint=hint, columns=columns)


def format_conll(sentences: Iterable[TaggedSentence]) -> str:
    blocks = []
    for sent in sentences:
        lines = []
        for i, (word, tag) in enumerate(zip(sent.words, sent.tags, strict=True)):
            middle = sent.columns[i] if sent.columns else []
            lines.append("\t".join([word, *middle, tag]))
        blocks.append("\n".join(lines) + "\n")
    return "\n".join(blocks)


def write_conll(path: str | os.PathLike, sentences: Iterable[TaggedSentence]) -> Path:
    """Write sentences as ``word<TAB>tag`` lines, atomically (temporary file, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(format_conll(sentences), encoding="utf-8")
    os.replace(tmp, path)
    return path


def untagged(sentences: Sequence[TaggedSentence]) -> list[TaggedSentence]:
    """The same sentences with every tag set to O (unlabelled text)."""
    return [TaggedSentence(list(s.words), [OUTSIDE] * len(s)) for s in sentences]
