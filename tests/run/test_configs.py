"""Every file of every config group composes and builds (or, where building needs the network,
names a class that takes exactly its keys): a missing key, a wrong `_target_` or an argument the
class does not take fails here, one test id per file."""

import inspect
from pathlib import Path
from typing import Any

import pytest
from hydra.utils import get_class
from omegaconf import OmegaConf

from helpers import CONF_DIR, composed
from xner.config import _parameters, build
from xner.methods.settings import ModelSettings, check_settings

# Groups of `@package _global_` files, and how train.py takes them.
GLOBAL = {"experiment": "experiment={}", "variant": "+variant={}", "debug": "+debug={}"}
# Group nodes a job builds, by where they sit in the composed config.
NODES = ("data", "source_data", "translator", "labeler", "aligner", "projector", "method")
NODES += ("model", "teacher", "student", "trainer", "pipeline")
# Building these reads a hub model's config (the network): their keys are checked against the
# class's constructor instead. Their me5_small twins (simalign_me5, awesome_me5) build for real.
SIGNATURE_ONLY = {("aligner", "awesome"), ("aligner", "simalign")}
# Stand-ins for a file's mandatory (???) values, so that it can be built offline.
MANDATORY = {("labeler", "model"): {"checkpoint": "minilm"}, ("translator", "hf"): {"model": "m"}}
# The nodes that follow a group's choice (data@source_data: ${data}; model@teacher: same).
FOLLOWERS = {"data": ("data", "source_data"), "model": ("model", "teacher", "student")}
NOT_MODELS = {"_base", "same"}  # conf/model files that are not a model choice of their own


def group_files() -> list[tuple[str, str]]:
    groups = sorted(p for p in CONF_DIR.iterdir() if p.is_dir() and p.name != "hydra")
    groups += sorted(p for p in (CONF_DIR / "hydra").iterdir() if p.is_dir())
    return [
        (str(g.relative_to(CONF_DIR)), f.stem) for g in groups for f in sorted(g.glob("*.yaml"))
    ]


def override(group: str, name: str) -> str:
    return GLOBAL.get(group, "{group}={name}").format(name, group=group, name=name)


def signature_problems(cls: type, kwargs: dict[str, Any]) -> list[str]:
    """Keys the constructor (followed up ``**options`` to the bases) does not take, and its
    required arguments the node lacks."""
    accepted = _parameters(cls)
    assert accepted is not None, f"{cls.__name__}: cannot tell the arguments it takes"
    required = set()
    for klass in inspect.getmro(cls):
        if "__init__" not in vars(klass):
            continue
        params = inspect.signature(klass.__init__).parameters.values()
        named = [p for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
        required |= {p.name for p in named if p.default is p.empty and p.name != "self"}
        if all(p.kind is not p.VAR_KEYWORD for p in params):
            break
    unknown = [f"takes no {k!r}" for k in kwargs if k not in accepted]
    return unknown + [f"needs {k!r}" for k in sorted(required - set(kwargs))]


def check_node(group: str, choice: str, node: Any) -> None:
    """Build the node, or check its keys against its class where building is not offline."""
    plain = OmegaConf.to_container(node, resolve=True)
    if group in ("source_data",):
        group = "data"
    if group in ("teacher", "student"):
        group = "model"
    plain.update(MANDATORY.get((group, choice), {}))
    if (group, choice) in SIGNATURE_ONLY:
        cls = get_class(plain["_target_"])
        kwargs = {k: v for k, v in plain.items() if k not in ("_target_", "name")}
        assert signature_problems(cls, kwargs) == [], f"{group}={choice}"
    else:
        assert build(plain) is not None, f"{group}={choice}"


def check_composed(group: str, name: str, cache: Path) -> None:
    """Compose train.py's config with this file and check the group nodes it sets (every node
    the job builds, for a global file)."""
    (cache / "shared" / "data" / "europarl").mkdir(parents=True)  # its root must exist
    paths = [f"paths.cache={cache}", f"paths.shared={cache}/shared"]
    cfg = composed("train", override(group, name), *paths, hydra=True)
    choices = cfg.hydra.runtime.choices
    where = {"source_data": "data@source_data", "teacher": "model@teacher"}
    where["student"] = "model@student"
    for key in NODES if group in GLOBAL else FOLLOWERS.get(group, (group,)):
        choice = choices.get(where.get(key, key))
        check_node(key, "same" if choice == "same" else choice, cfg[key])
    check_settings(cfg)
    for variant in _swept_variants(cfg):
        assert (CONF_DIR / "variant" / f"{variant}.yaml").is_file(), f"+variant={variant}"


def _swept_variants(cfg: Any) -> list[str]:
    params = OmegaConf.select(cfg, "hydra.sweeper.params") or {}
    return [v.strip() for v in str(params.get("+variant", "")).split(",") if v.strip()]


def check_model_base(name: str) -> None:
    """_base: every ModelSettings field but the per-role trainer, ??? where each model differs."""
    node = OmegaConf.load(CONF_DIR / "model" / f"{name}.yaml")
    fields = [k for k in ModelSettings.keys() if k != "trainer"]
    assert [k for k in node if k not in ("name", "_target_")] == fields
    missing = sorted(k for k in node if OmegaConf.is_missing(node, k))
    assert missing == ["checkpoint", "lr", "name"]
    assert get_class(node._target_) is ModelSettings


def check_model_file(name: str) -> None:
    """A model file states only what differs from _base, and builds."""
    base = OmegaConf.load(CONF_DIR / "model" / "_base.yaml")
    own = OmegaConf.to_container(OmegaConf.load(CONF_DIR / "model" / f"{name}.yaml"))
    assert own.pop("defaults") == ["_base", "_self_"]
    stated = {k: v for k, v in own.items() if k in base and not OmegaConf.is_missing(base, k)}
    assert [k for k, v in stated.items() if base[k] == v] == [], f"{name}: restates _base"
    assert set(own) <= set(base), f"{name}: keys outside _base"


@pytest.mark.parametrize(("group", "name"), group_files(), ids=lambda v: v)
def test_every_config_file_composes_and_builds(group: str, name: str, tmp_path: Path):
    if group == "model" and name == "_base":
        check_model_base(name)
        return
    if group == "model" and name not in NOT_MODELS:
        check_model_file(name)
    if group == "model" and name == "same":
        cfg = composed("train")  # model@teacher and model@student are `same` by default
        check_node("model", "same", cfg.teacher)
        return
    if group in NODES or group in GLOBAL:
        check_composed(group, name, tmp_path)
        return
    if group.startswith("hydra/"):  # Hydra's schema (e.g. SlurmQueueConf) refuses unknown keys
        cfg = composed("train", override(group, name), hydra=True)
        node = OmegaConf.select(cfg, group.replace("/", "."))
        assert get_class(node._target_) is not None
        return
    cfg = composed("train", override(group, name))
    assert OmegaConf.to_container(cfg[group], resolve=True, throw_on_missing=True)


def test_the_checks_fail_on_a_bad_file():
    """A wrong key, a wrong _target_ and a missing argument are each caught."""
    node = OmegaConf.create(composed("train", "projector=heuristic").projector)
    with pytest.raises(Exception, match="colisions"):
        check_node("projector", "heuristic", OmegaConf.merge(node, {"colisions": "reference"}))
    with pytest.raises(Exception, match="HeuristicProjectr"):
        bad = OmegaConf.merge(node, {"_target_": "xner.project.heuristic.HeuristicProjectr"})
        check_node("projector", "heuristic", bad)
    with pytest.raises(Exception, match="collisions"):
        node.pop("collisions")
        check_node("projector", "heuristic", node)
    aligner = OmegaConf.create(composed("train", "aligner=simalign").aligner)
    aligner.layr = 8
    with pytest.raises(AssertionError, match="takes no 'layr'"):
        check_node("aligner", "simalign", aligner)
    aligner.pop("layr")
    aligner.pop("layer")
    with pytest.raises(AssertionError, match="needs 'layer'"):
        check_node("aligner", "simalign", aligner)


def test_group_files_cover_every_group():
    groups = {g for g, _ in group_files()}
    top = {p.name for p in Path(CONF_DIR).iterdir() if p.is_dir()} - {"hydra"}
    assert groups == top | {"hydra/launcher"}


def test_a_shared_base_file_is_no_choice():
    from xner.errors import ConfigError
    from xner.run.choices import check_choices

    with pytest.raises(ConfigError, match=r"unknown model '_base': choose one of afroxlmr, mbert,"):
        check_choices(["model=_base"])
    check_choices(["model=mbert", "model@teacher=xlmr_base"])
