"""Nothing let in: no remote code, no unpickling, no foreign `_target_`, no path escapes."""

import ast
import logging
import os
import shutil
from pathlib import Path

import pytest

from helpers import REPO_ROOT, error_line, from_config, run_app_here
from xner.config import build, check_targets
from xner.errors import ConfigError
from xner.hub import model_options
from xner.models.registry import minilm_path
from xner.paths import safe_name
from xner.pipeline.cache import StageCache, check_key

PACKAGE = REPO_ROOT / "xner"


def _calls(name: str) -> list[tuple[Path, ast.Call]]:
    """Every call of ``<something>.name(...)`` in the xner package."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == name
            ):
                found.append((path, node))
    return found


def _where(path: Path, node: ast.Call) -> str:
    return f"{path.relative_to(PACKAGE.parent)}:{node.lineno}"


def test_every_from_pretrained_passes_trust_remote_code_explicitly():
    calls = _calls("from_pretrained")
    assert len(calls) >= 6
    missing = [
        _where(path, node)
        for path, node in calls
        # trust_remote_code=..., or **options built by xner.hub.model_options
        if not any(k.arg == "trust_remote_code" or k.arg is None for k in node.keywords)
    ]
    assert not missing, f"from_pretrained without trust_remote_code: {missing}"
    literal_true = [
        _where(path, node)
        for path, node in calls
        for k in node.keywords
        if k.arg == "trust_remote_code"
        and isinstance(k.value, ast.Constant)
        and k.value.value is True
    ]
    assert not literal_true


def test_every_torch_load_is_weights_only():
    calls = [(p, n) for p, n in _calls("load") if getattr(n.func.value, "id", "") == "torch"]
    unsafe = [
        _where(path, node)
        for path, node in calls
        if not any(
            k.arg == "weights_only" and isinstance(k.value, ast.Constant) and k.value.value is True
            for k in node.keywords
        )
    ]
    assert not unsafe, f"torch.load without weights_only=True: {unsafe}"


def test_no_pickle_anywhere_in_the_package():
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                assert not (
                    getattr(node.func.value, "id", "") == "pickle" and node.func.attr == "load"
                ), _where(path, node)
                if node.func.attr == "load" and getattr(node.func.value, "id", "") == "np":
                    assert any(k.arg == "allow_pickle" for k in node.keywords), _where(path, node)


def test_trust_remote_code_is_off_by_default_and_warns_with_the_checkpoint(caplog):
    assert model_options("org/model") == {"trust_remote_code": False}
    with caplog.at_level(logging.WARNING):
        assert model_options("org/model", True) == {"trust_remote_code": True}
    assert "trust_remote_code=true: loading org/model runs Python code" in caplog.text
    with pytest.raises(ConfigError, match="must be true or false"):
        model_options("org/model", "yes")


def test_config_option_trust_remote_code_reaches_the_loader_with_a_warning(caplog):
    import torch

    from xner.align.encoder import Encoder

    torch.set_num_threads(1)
    with caplog.at_level(logging.WARNING):
        encoder = Encoder(str(minilm_path()), layer=1, device="cpu", trust_remote_code=True)
    assert encoder.options == {"trust_remote_code": True}
    assert f"loading {minilm_path()} runs Python code" in caplog.text
    assert Encoder(str(minilm_path()), layer=1, device="cpu").options == {
        "trust_remote_code": False
    }


class _Payload:
    """Unpickling this runs a shell command: what a poisoned checkpoint does."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.fixture(scope="module")
def poisoned_checkpoint(tmp_path_factory) -> tuple[Path, Path]:
    """A MiniLM folder whose weights are a pytorch_model.bin holding a pickled payload."""
    import torch

    folder = tmp_path_factory.mktemp("poisoned") / "model"
    folder.mkdir()
    for name in ("config.json", "tokenizer.json", "tokenizer_config.json", "vocab.txt"):
        shutil.copy(minilm_path() / name, folder / name)
    marker = folder.parent / "payload-ran"
    torch.save({"weight": _Payload(marker)}, folder / "pytorch_model.bin")
    return folder, marker


def test_pickled_payload_in_a_checkpoint_is_refused_not_run(poisoned_checkpoint):
    from xner.align.encoder import Encoder

    folder, marker = poisoned_checkpoint
    with pytest.raises(ConfigError, match="pickled objects other than tensors; refused"):
        Encoder(str(folder), layer=1, device="cpu")
    labeler = from_config(
        "labeler",
        "model",
        checkpoint=str(folder),
        label_names=["O", "B-PER", "I-PER"],
        device="cpu",
    )
    with pytest.raises(ConfigError, match="pickled objects other than tensors; refused"):
        labeler.label([["Ada"]])
    assert not marker.exists()


def test_a_pickled_cached_model_is_refused_in_one_line(poisoned_checkpoint):
    """The source model a method trains is cached as a folder and loaded back like this."""
    from xner.models.classifier import TokenClassifier

    folder, marker = poisoned_checkpoint
    with pytest.raises(ConfigError) as err:
        TokenClassifier(from_config("model", "minilm"), ["O", "B-PER", "I-PER"], str(folder))
    assert str(err.value) == (
        f"model checkpoint {str(folder)!r}: its weights file holds pickled objects other than "
        "tensors; refused (torch.load weights_only=True). Use a safetensors checkpoint you trust"
    )
    assert not marker.exists()


@pytest.mark.parametrize(
    "target",
    [
        "os.system",
        "subprocess.Popen",
        "builtins.eval",
        "torch.load",
        "transformers.AutoModel.from_pretrained",
        "hydra.utils.call",
        "mlflow.pyfunc.load_model",
        "xner.data.conll.os.system",  # starts with xner. but is os.system
        "xner.pipeline.cache.np.load",
        "xner.config.__builtins__",
    ],
)
def test_foreign_targets_are_refused_by_build(target):
    with pytest.raises(
        ConfigError, match=r"_target_ .* is outside xner and its libraries; refused"
    ):
        build({"_target_": target, "args": ["true"]})
    with pytest.raises(ConfigError, match=r"translator\.source\._target_"):
        check_targets({"translator": {"source": {"_target_": target}}})


def test_own_targets_are_allowed():
    check_targets(
        {
            "a": {"_target_": "xner.translate.LexiconTranslator"},
            "b": [{"_target_": "torch.optim.AdamW"}],
            "c": {"_target_": "pytorch_lightning.callbacks.EarlyStopping"},
        }
    )
    with pytest.raises(ConfigError, match="does not exist"):
        check_targets({"_target_": "xner.no_such_module.Thing"})


def test_cli_refuses_a_foreign_target_before_running_it(repo_root, tmp_path):
    marker = tmp_path / "popen-ran"
    done = run_app_here(
        repo_root,
        tmp_path,
        "project.py",
        "aligner._target_=subprocess.Popen",
        f"+aligner.args=[touch,{marker}]",
    )
    assert "aligner._target_: _target_ 'subprocess.Popen' is outside xner" in error_line(done)
    assert not marker.exists() and not (tmp_path / "cache").exists()


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("lang=../x", "error: language code '../x' is not a safe name"),
        ("source_lang=en/../../x", "error: source language code 'en/../../x' is not a safe name"),
        ("data.name=../../etc", "error: data.name '../../etc' is not a safe name"),
    ],
)
def test_cli_refuses_names_that_escape_their_folders(repo_root, tmp_path, override, message):
    assert error_line(run_app_here(repo_root, tmp_path, "project.py", override)).startswith(message)
    assert not (tmp_path / "cache").exists()


@pytest.mark.parametrize("name", ["../x", "a/b", "..", ".hidden", "a\\b", "x/../../y", ""])
def test_unsafe_names_are_refused(name):
    with pytest.raises(ConfigError, match="not a safe name"):
        safe_name(name, "language code")


@pytest.mark.parametrize("stage", ["../x", "a/b", "..", "", "x" * 65, ".tmp"])
def test_stage_cache_refuses_stage_names_and_keys_that_escape(tmp_path, stage):
    cache = StageCache(tmp_path / "cache")
    key = cache.key("translate", {}, [])
    with pytest.raises(ConfigError, match="invalid cache stage name"):
        cache.path(stage, key)
    with pytest.raises(ConfigError, match="invalid cache stage name"):
        cache.get_or_compute(stage, {}, [], lambda: 1)
    for bad in ("../" + key[3:], key.upper(), key[:-1]):
        with pytest.raises(ConfigError, match="invalid cache key"):
            check_key(bad)
    assert not (tmp_path / "cache").exists()


def test_locate_finds_modules_and_attributes_and_names_what_is_missing():
    from xner.align.eflomal import EflomalAligner
    from xner.config import locate

    assert locate("xner.align.eflomal.EflomalAligner") is EflomalAligner
    with pytest.raises(ImportError, match=r"xner\.align\.eflomal has no 'Nope'"):
        locate("xner.align.eflomal.Nope")
    with pytest.raises(ImportError, match="no such module"):
        locate("surely_no_such_package.thing")
