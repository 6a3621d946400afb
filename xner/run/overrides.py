"""Overrides that did not come from the user's keyboard, checked before anything replays them.

A run's stored overrides (``config/overrides.yaml``) are written by whoever could write to the
store; on a team's shared server that is not only you. ``evaluate.py rerun`` replays them only
when each is something xner itself would have written: a choice of one of xner's config
groups, or a key of the composed app config, set to a plain value. Hydra's flags, Hydra's own
``hydra`` node (in any spelling: ``hydra.x=``, ``++hydra={...}``, ``+g@hydra.x=``), a
``_target_`` anywhere, sweeps and interpolation resolvers (``${oc.env:...}`` reads the
environment, ``${oc.create:...}`` builds nodes) are refused. Loading remote code, writing an
``out=`` file and reading a path outside the store are allowed only with the matching
:class:`Permissions` flag given on the rerun's own command line.

The same walk over ``_target_`` keys guards the plain CLI's ``hydra`` node
(:func:`hydra_node_problems`), which Hydra instantiates before any xner check runs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xner.data.text import printable
from xner.errors import ConfigError
from xner.paths import CONF_DIR, PROJECT_ROOT

APPS = {"train": "train.py", "project": "project.py"}
SAFE_RESOLVERS = ("xner.root",)  # resolvers that read neither the environment nor files
HYDRA_TARGET_PREFIXES = ("hydra._internal.", "hydra_plugins.", "xner.")
_INTERPOLATION = re.compile(r"\$\{\s*([^\s:{}]*)\s*(:?)")
_FLAG_HINT = {
    "trust_remote_code": "--trust-remote-code",
    "out": "--allow-out",
    "paths": "--allow-paths",
}


@dataclass(frozen=True)
class Permissions:
    """What a rerun may do only when its user says so on the command line."""

    trust_remote_code: bool = False
    out: bool = False
    paths: bool = False


NOTHING_ALLOWED = Permissions()


def app_script(app: Any, run_id: str) -> str:
    """The script of a run's ``xner.app`` tag: ``train.py`` or ``project.py``, nothing else."""
    name = str(app)
    name = name[: -len(".py")] if name.endswith(".py") else name
    if name not in APPS:
        raise ConfigError(
            f"run {run_id}: tag xner.app is {printable(str(app))!r}, not one of "
            f"{', '.join(APPS)}; refused (a rerun only runs xner's own apps)"
        )
    return APPS[name]


def _parse(override: str) -> Any:
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException

    try:
        (parsed,) = OverridesParser.create().parse_overrides([override])
    except HydraException as err:
        first = (str(err).splitlines() or [type(err).__name__])[0]
        raise ConfigError(f"not a Hydra override ({first})") from None
    return parsed


def _walk(value: Any, where: str) -> Iterator[tuple[str, Any, Any]]:
    """Every (path, key, value) inside a parsed override value, mappings and lists alike."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            path = f"{where}.{key}"
            yield path, key, item
            yield from _walk(item, path)
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            yield from _walk(item, f"{where}[{i}]")


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    for _, key, item in _walk(value, ""):
        if isinstance(key, str):
            yield key
        if isinstance(item, str):
            yield item


def _target_values(key: str, value: Any) -> Iterator[tuple[str, Any]]:
    """Each ``_target_`` an override sets: its key path and the value given."""
    if key.split(".")[-1] == "_target_":
        yield key, value
    for path, inner, item in _walk(value, key):
        if inner == "_target_":
            yield path, item


def _interpolation_problem(value: Any) -> str | None:
    for text in _strings(value):
        for name, colon in _INTERPOLATION.findall(text):
            if colon and name not in SAFE_RESOLVERS:
                return f"uses the resolver ${{{name}:...}} (it may read the environment or files)"
            if not colon and name.split(".")[0] in ("tracking", "hydra"):
                return f"interpolates ${{{name}}} (tracking and Hydra settings are not replayed)"
    return None


def _root(key: str) -> str:
    return re.split(r"[./@]", key, maxsplit=1)[0]


def hydra_node_problems(override: Any) -> list[str]:
    """Why a parsed CLI override would let Hydra build something foreign, in any spelling."""
    key = override.key_or_group
    package = override.package or ""
    if _root(key) != "hydra" and _root(package) != "hydra":
        return []
    if override.is_sweep_override() or override.is_delete():
        return []
    value = override.value()
    if _root(package) == "hydra" and _root(key) != "hydra":
        return [f"{override.input_line!r}: a config group may not be placed in Hydra's own node"]
    problems = [
        f"{path}={printable(str(target))!r}: Hydra's own node may only "
        f"name classes of {', '.join(p.rstrip('.') for p in HYDRA_TARGET_PREFIXES)}"
        for path, target in _target_values(key, value)
        if not (isinstance(target, str) and target.startswith(HYDRA_TARGET_PREFIXES))
    ]
    if not problems and any("${" in text for text in _strings(value)):
        problems.append(f"{override.input_line!r}: interpolations in Hydra's own node are refused")
    return problems


def group_options(conf_dir: Path, group: str) -> list[str] | None:
    """The choices of a config group (its YAML file names), or None when it is no group; a
    name starting with ``_`` is a shared base the others extend (conf/model/_base.yaml)."""
    folder = conf_dir / group
    if not folder.is_dir():
        return None
    return sorted(p.stem for p in folder.glob("*.yaml") if not p.stem.startswith("_"))


def _looks_like_path(text: str) -> bool:
    """A value naming a file or folder (not a model name such as ``org/model``)."""
    if text.startswith(("/", "~", "./", "../", "file:")) or "\\" in text:
        return True
    parts = text.split("/")
    return ".." in parts or (len(parts) > 1 and (PROJECT_ROOT / text).exists())


def _outside_store(text: str, store_dirs: Sequence[Path]) -> bool:
    if not _looks_like_path(text):
        return False
    path = Path(text.removeprefix("file:")).expanduser()
    path = (path if path.is_absolute() else PROJECT_ROOT / path).resolve()
    return not any(path.is_relative_to(folder.resolve()) for folder in store_dirs)


def _truthy(value: Any) -> bool:
    return value is True or str(value).strip().lower() in ("true", "1", "yes", "on")


def _needs(key: str, value: Any, store_dirs: Sequence[Path]) -> list[str]:
    """The permissions an override needs (names of :class:`Permissions` fields)."""
    needed = []
    leaf = key.split(".")[-1]
    if leaf == "trust_remote_code" and _truthy(value):
        needed.append("trust_remote_code")
    if any(k == "trust_remote_code" and _truthy(v) for _, k, v in _walk(value, key)):
        needed.append("trust_remote_code")
    if key == "out":  # the file it names is what --allow-out allows
        return [*needed, "out"] if value not in (None, "null") else needed
    if any(_outside_store(text, store_dirs) for text in _strings(value)):
        needed.append("paths")
    return needed


def _known_key(cfg: Any, key: str, adds: bool) -> bool:
    from omegaconf import DictConfig, OmegaConf

    parent, _, leaf = key.rpartition(".")
    node = OmegaConf.select(cfg, parent) if parent else cfg
    if not isinstance(node, DictConfig):
        return False
    return adds or leaf in node


def _compose(app: str, group_overrides: Sequence[str]) -> Any:
    """The app's config with the stored group choices: nothing is instantiated."""
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    from xner.config import register_resolvers

    register_resolvers()
    was = GlobalHydra.instance().is_initialized()
    if was:
        return compose(config_name=app, overrides=list(group_overrides))
    with initialize_config_dir(str(CONF_DIR), version_base="1.3"):
        return compose(config_name=app, overrides=list(group_overrides))


def _check_one(raw: Any, store_dirs: Sequence[Path]) -> tuple[Any, str | None, list[str]]:
    """(parsed override, why it is refused or None, permissions it needs)."""
    if not isinstance(raw, str):
        return None, f"is a {type(raw).__name__}, not an override string", []
    if raw.lstrip().startswith("-"):
        return None, "is a command-line flag, not an override (flags are never replayed)", []
    try:
        override = _parse(raw)
    except ConfigError as err:
        return None, str(err), []
    key, package = override.key_or_group, override.package or ""
    if "hydra" in (_root(key), _root(package)):
        return override, "sets Hydra's own node (never replayed)", []
    if override.is_sweep_override():
        return override, "is a sweep (a rerun replays one job)", []
    if override.is_delete():
        return override, "deletes a config key (xner never stores that)", []
    value = override.value()
    if any(True for _ in _target_values(key, value)):
        return override, "sets a _target_ (a rerun builds only the classes its config names)", []
    problem = _interpolation_problem(value)
    if problem:
        return override, problem, []
    return override, None, _needs(key, value, store_dirs)


def checked_replay(
    overrides: Sequence[Any],
    app: str,
    run_id: str,
    allowed: Permissions = NOTHING_ALLOWED,
    store_dirs: Sequence[Path] = (),
) -> list[str]:
    """The stored overrides of ``run_id`` if every one may be replayed, else one ConfigError
    naming each refused override and the flag that would allow it."""
    problems: list[str] = []
    needed: set[str] = set()
    parsed = []
    for raw in overrides:
        override, problem, needs = _check_one(raw, store_dirs)
        shown = printable(str(raw))[:200]
        if problem:
            problems.append(f"{shown!r} {problem}")
            continue
        missing = [n for n in needs if not getattr(allowed, n)]
        for name in missing:
            problems.append(f"{shown!r} needs {_FLAG_HINT[name]}")
        needed.update(missing)
        parsed.append(override)
    if not problems:
        problems = _unknown(parsed, app)
    if problems:
        hint = " (check who wrote the run before allowing it)" if needed else ""
        raise ConfigError(
            f"run {run_id}: refusing to replay its stored overrides: {'; '.join(problems)}{hint}"
        )
    return [str(raw) for raw in overrides]


def _unknown(parsed: Sequence[Any], app: str) -> list[str]:
    """Overrides naming no option of an xner group and no key of the composed app config."""
    from xner.run.variants import register_variants

    problems, groups, keys = [], [], []
    stored = register_variants([])  # the gap-table variants of conf/ alone (no search path)
    for override in parsed:
        group = override.key_or_group
        options = group_options(CONF_DIR, group)
        if options is not None and group.lstrip("+") == "variant":
            options = [*options, *stored]
        if options is None:
            keys.append(override)
        elif str(override.value()) not in options:
            problems.append(f"{override.input_line!r}: {group} has no option {override.value()!r}")
        else:
            groups.append(override.input_line)
    if problems:
        return problems
    try:
        cfg = _compose(app.removesuffix(".py"), groups)
    except Exception as err:
        first = (str(err).splitlines() or [type(err).__name__])[0]
        return [f"its config choices do not compose ({printable(first)})"]
    return [
        f"{o.input_line!r}: {o.key_or_group} is no key of the {app} config"
        for o in keys
        if not _known_key(cfg, o.key_or_group, o.is_add() or o.is_force_add())
    ]
