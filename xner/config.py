"""Hydra/OmegaConf glue: resolvers, safe instantiation, and the job's choices and overrides."""

import importlib
import inspect
import os
import re
from collections.abc import Mapping
from typing import Any

from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from xner.errors import ConfigError, XnerError
from xner.paths import PROJECT_ROOT

# Where a config's `_target_` may point: xner's own classes and the few library namespaces whose
# objects only hold settings. Whole libraries are not allowed: `torch.load`,
# `transformers.AutoModel.from_pretrained` (trust_remote_code) and `hydra.utils.call` would let
# a config run arbitrary code. Hydra's own `hydra:` node (launcher, callbacks) is Hydra's business.
ALLOWED_TARGET_PREFIXES = (
    "xner.",
    "pytorch_lightning.callbacks.",
    "pytorch_lightning.loggers.",
    "torch.optim.",
)
# The user's opt-in for their own classes (a method, a labeller) outside xner: module prefixes,
# comma-separated (``XNER_ALLOWED_TARGETS=mylab.methods``). Only the environment sets it: no
# config, override or stored run can widen the allow-list.
EXTRA_TARGETS_VARIABLE = "XNER_ALLOWED_TARGETS"
META_KEYS = ("name",)
_UNEXPECTED = re.compile(r"unexpected keyword argument '(\w+)'")
_HYDRA_KEY = re.compile(r"^full_key: ([\w.]+)$", re.M)  # the nested node Hydra failed to build


def locate(path: str) -> Any:
    """The object a dotted path names (``xner.align.eflomal.EflomalAligner``): the longest
    importable module prefix, then attributes. Hydra's own lookup is private
    (``hydra._internal.utils._locate``) and its public ``get_object`` logs an error on a miss."""
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError as err:
            if err.name is not None and not ".".join(parts[:cut]).startswith(err.name):
                raise  # the module exists but imports something missing: not a lookup miss
            continue
        for attribute in parts[cut:]:
            if not hasattr(found, attribute):
                raise ImportError(f"{path}: {'.'.join(parts[:cut])} has no {attribute!r}")
            found = getattr(found, attribute)
        return found
    raise ImportError(f"{path}: no such module")


def register_resolvers() -> None:
    if not OmegaConf.has_resolver("xner.root"):
        OmegaConf.register_new_resolver("xner.root", lambda: str(PROJECT_ROOT))


def allowed_prefixes() -> tuple[str, ...]:
    """xner's prefixes and those the user named in :data:`EXTRA_TARGETS_VARIABLE`."""
    given = os.environ.get(EXTRA_TARGETS_VARIABLE, "").split(",")
    extra = [p.strip().rstrip(".") + "." for p in given if p.strip().strip(".")]
    return (*ALLOWED_TARGET_PREFIXES, *extra)


def target_refusal(path: str, value: Any) -> str:
    """The one line refusing a `_target_` outside the allow-list."""
    return (
        f"{path}: _target_ {value!r} is outside xner and its libraries; refused "
        f"(allowed: {', '.join(p + '*' for p in allowed_prefixes())}; your own modules: "
        f"{EXTRA_TARGETS_VARIABLE}=<module prefix>)"
    )


def allowed_target(value: Any) -> bool:
    """A dotted name under an allowed prefix, with no private or dunder parts."""
    prefixes = allowed_prefixes()
    if not isinstance(value, str) or not value.startswith(prefixes):
        return False
    if not all(part.isidentifier() and not part.startswith("_") for part in value.split(".")):
        return False
    # `xner.data.conll.os.system` starts with `xner.` but is os.system: check where it lives.
    try:
        found = locate(value)
    except ImportError:
        raise ConfigError(f"_target_ {value!r} does not exist (no such module or name)") from None
    module = getattr(found, "__module__", None) or ""
    return callable(found) and f"{module}.".startswith(prefixes)


def check_targets(node: Any, where: str = "") -> None:
    """Refuse any `_target_` outside xner and the libraries the project depends on."""
    if isinstance(node, Mapping | DictConfig):
        for key, value in node.items():
            path = f"{where}.{key}" if where else str(key)
            if key == "_target_" and not allowed_target(value):
                raise ConfigError(target_refusal(path, value))
            check_targets(value, path)
    elif isinstance(node, list | tuple) or OmegaConf.is_list(node):
        for i, value in enumerate(node):
            check_targets(value, f"{where}[{i}]")


def build(node: DictConfig | Mapping, **kwargs: Any) -> Any:
    """Instantiate a config group node after checking its targets; drops meta keys like `name`."""
    if node is None:
        return None
    plain = OmegaConf.to_container(node, resolve=True) if isinstance(node, DictConfig) else node
    check_targets(plain)
    if "_target_" not in plain:
        raise ConfigError(f"config node has no _target_: {sorted(plain)}")
    plain = {k: v for k, v in plain.items() if k not in META_KEYS}
    try:
        return instantiate(plain, **kwargs)
    except Exception as err:
        cause = err
        while cause.__cause__ is not None:
            cause = cause.__cause__
        if isinstance(cause, XnerError):
            raise cause from None
        found = _UNEXPECTED.search(str(cause)) if isinstance(cause, TypeError) else None
        if found:
            raise _unknown_options(node, plain, str(err), found[1]) from None
        raise


def _unknown_options(node: Any, plain: Mapping, message: str, first: str) -> ConfigError:
    """The keys of the (possibly nested) node whose ``_target_`` refused a keyword, all named
    in one line; ``message`` is Hydra's, which names that target and its key."""
    inner = _HYDRA_KEY.search(message)
    path = inner[1].split(".") if inner else []
    for part in path:
        plain = plain.get(part, {}) if isinstance(plain, Mapping) else {}
    target = str(plain.get("_target_", "")) if isinstance(plain, Mapping) else ""
    try:
        accepted = _parameters(locate(target)) if target else None
    except ImportError:
        accepted = None
    unknown = [k for k in plain if k != "_target_" and accepted is not None and k not in accepted]
    where = node._get_full_key(None) if isinstance(node, DictConfig) else ""
    prefix = "".join(f"{p}." for p in [where, *path] if p)
    keys = [f"{prefix}{k}" for k in unknown or [first]]
    return ConfigError(
        f"{', '.join(keys)}: {target} takes no such option; remove it "
        f"({' '.join('~' + k for k in keys)})"
    )


def _parameters(target: Any) -> set[str] | None:
    """The keyword arguments a class accepts, following ``**options`` up its bases; None when
    that cannot be told (a function with ``**kwargs``)."""
    names: set[str] = set()
    for klass in inspect.getmro(target) if inspect.isclass(target) else ():
        if "__init__" not in vars(klass):
            continue
        params = inspect.signature(klass.__init__).parameters.values()
        names |= {p.name for p in params if p.kind is not p.VAR_KEYWORD}
        if all(p.kind is not p.VAR_KEYWORD for p in params):
            return names - {"self"}
    return None


def group_config(node: DictConfig | Mapping | None) -> dict:
    """The plain resolved config of one stage, used as its cache key."""
    if node is None:
        return {}
    if isinstance(node, DictConfig):
        return OmegaConf.to_container(node, resolve=True)
    return dict(node)
