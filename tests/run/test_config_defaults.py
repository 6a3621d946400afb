"""Each default has one home: no shipped YAML (conf/**) sets a key to a value other than the
default of the class its ``_target_`` names (such a class default would be a second home)."""

import dataclasses
import inspect
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from helpers import CONF_DIR
from xner.config import META_KEYS, locate

NOT_ARGUMENTS = {"_target_", "defaults", *META_KEYS}


def class_defaults(cls: type) -> dict[str, Any]:
    """The keyword defaults a class's constructor declares, following ``**options`` up its
    bases; a dataclass's field defaults."""
    if dataclasses.is_dataclass(cls):
        return {
            f.name: f.default if f.default is not dataclasses.MISSING else f.default_factory()
            for f in dataclasses.fields(cls)
            if f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
        }
    found: dict[str, Any] = {}
    for klass in inspect.getmro(cls):
        if "__init__" not in vars(klass):
            continue
        params = inspect.signature(klass.__init__).parameters.values()
        found = {p.name: p.default for p in params if p.default is not p.empty} | found
        if all(p.kind is not p.VAR_KEYWORD for p in params):
            break
    return found


def target_nodes(node: Any, where: str) -> list[tuple[str, DictConfig]]:
    """Every node with a literal ``_target_`` (nested ones too), with its path in the file."""
    found = []
    if isinstance(node, DictConfig):
        target = node._get_node("_target_") if "_target_" in node else None
        if target is not None and not OmegaConf.is_interpolation(node, "_target_"):
            found.append((where, node))
        for key in node:
            if not OmegaConf.is_interpolation(node, key) and not OmegaConf.is_missing(node, key):
                found += target_nodes(node._get_node(key), f"{where}.{key}")
    return found


def load(path: Path) -> DictConfig:
    """A YAML file; one that extends its group's ``_base`` (conf/model/*.yaml) gets its target."""
    node = OmegaConf.load(path)
    if isinstance(node, DictConfig) and "_base" in (node.get("defaults") or []):
        node._target_ = OmegaConf.load(path.parent / "_base.yaml")._target_
    return node


def contradictions(path: Path, root: Path = CONF_DIR) -> list[str]:
    """``file.node.key: YAML value vs the class default`` for every disagreement in one file."""
    out = []
    for where, node in target_nodes(load(path), path.relative_to(root).as_posix()):
        defaults = class_defaults(locate(str(node._target_)))
        for key in (k for k in node if k not in NOT_ARGUMENTS and k in defaults):
            value = OmegaConf.to_container(node, resolve=False)[key]
            if value != defaults[key] or type(value) is not type(defaults[key]):
                out.append(f"{where}.{key}: {value!r} vs the class default {defaults[key]!r}")
    return out


def test_no_shipped_yaml_contradicts_the_default_of_its_class():
    files = sorted(CONF_DIR.rglob("*.yaml"))
    checked = [path for path in files if target_nodes(load(path), "")]
    assert len(checked) >= 40  # the walk finds the group files (a broken walk finds none)
    assert [line for path in files for line in contradictions(path)] == []


def test_the_check_finds_a_contradiction(tmp_path):
    """A class default the YAML disagrees with, and one the YAML sets by interpolation."""
    bad = tmp_path / "conf" / "projector" / "x.yaml"
    bad.parent.mkdir(parents=True)
    bad.write_text(
        "_target_: xner.models.language_similarity.SimilaritySettings\n"
        "rank: 64\ngamma: 0.5\nepochs: ${n}\n"
    )
    assert contradictions(bad, tmp_path / "conf") == [
        "projector/x.yaml.gamma: 0.5 vs the class default 0.01",
        "projector/x.yaml.epochs: '${n}' vs the class default 10",
    ]
