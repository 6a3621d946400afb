"""What a method is, declared once on its class: sweeps, preflight, run names, label
reconciliation and the gap table read this declaration and never a method's name.

Every :class:`xner.methods.base.Method` subclass carries ``kind = MethodKind(...)``; it is read
from the class named by the config's ``_target_`` (:func:`kind_of`), without building anything.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

from omegaconf import DictConfig, OmegaConf

from xner.errors import ConfigError
from xner.options import check_fields, one_of
from xner.paths import CONF_DIR

# Gap-table roles: the supervised upper bound, the zero-shot baseline, the projection side and
# the distillation side of the gap (projection − distillation).
Role = Literal["reference", "baseline", "projection", "distillation"]
ROLES = REFERENCE, BASELINE, PROJECTION, DISTILLATION = get_args(Role)
# The projection pipelines a method may run (xner.pipeline.from_config.TASKS).
TRANSLATE_TEST, TRANSLATE_TRAIN = "translate_test", "translate_train"
# Whose labels a method reads: the target's only, the source language's, every source_langs'.
Labels = Literal["target", "source", "sources"]
TARGET, SOURCE, SOURCES = get_args(Labels)
# When a method uses the model of `model`: always, only as its pipeline's labeller (a labeller
# that needs no model, such as the gold one, then needs neither it nor the source training
# split), or never.
ModelUse = Literal["always", "labeler", "never"]
ALWAYS, AS_LABELER, NEVER = get_args(ModelUse)
LAST = 10_000  # the column order of a method that declares none
# project.py runs one pipeline (``task=``) as the method that runs only that pipeline.
TASK_METHODS = {
    TRANSLATE_TEST: "xner.methods.translate_test.TranslateTest",
    TRANSLATE_TRAIN: "xner.methods.translate_train.TranslateTrain",
}


@dataclass(frozen=True)
class MethodKind:
    """A method's declaration: its name, its gap-table role and place, what it runs and reads."""

    name: str
    role: Role | None = None  # None: no gap-table column, not in a bare sweep
    order: int = LAST  # the column order (smaller first)
    projects: bool = False  # takes a projector: one column per projector, name[projector]
    pipelines: tuple[str, ...] = ()  # the projection pipelines it runs (TASK_METHODS' keys)
    labels: Labels = SOURCE
    model: ModelUse = ALWAYS
    distills: bool = False  # trains a student from teachers: tagged and named by both

    def __post_init__(self) -> None:
        check_fields(self, f"MethodKind({self.name!r})")
        for pipeline in self.pipelines:
            one_of(f"MethodKind({self.name!r}).pipelines", pipeline, TASK_METHODS)

    def label_langs(self, cfg: Mapping | DictConfig) -> list[str]:
        """The source languages whose labelled data the method reads (none for TARGET)."""
        if self.labels == TARGET:
            return []
        return source_langs(cfg) if self.labels == SOURCES else [str(cfg.get("source_lang"))]


def source_langs(cfg: Mapping | DictConfig) -> list[str]:
    """Languages of the labelled source data: ``source_langs`` (a name or a list), else
    ``[source_lang]``; the one reading of the option (context, preflight, app checks)."""
    langs = cfg.get("source_langs")
    if not langs:
        return [str(cfg.get("source_lang"))]
    return [str(langs)] if isinstance(langs, str) else [str(x) for x in langs]


def method_target(cfg: Mapping | DictConfig) -> str | None:
    """The method class's dotted name: ``method._target_``, else project.py's ``task``."""
    node = cfg.get("method")
    if isinstance(node, Mapping | DictConfig) and node.get("_target_"):
        return str(node.get("_target_"))
    task = cfg.get("task")
    if task is None:
        return None
    return TASK_METHODS[one_of("task", str(task), TASK_METHODS)]


def method_class(target: str) -> type:
    """The class a method ``_target_`` names, imported only once the allow-list admits it."""
    from hydra.utils import get_class

    from xner.config import allowed_target, target_refusal

    if not allowed_target(target):
        raise ConfigError(target_refusal("method._target_", target))
    found = get_class(target)
    if not isinstance(getattr(found, "kind", None), MethodKind):
        raise ConfigError(
            f"method._target_ {target}: the class declares no kind "
            "(a class attribute kind = MethodKind(...), xner.method_kind)"
        )
    return found


def kind_of(cfg: Mapping | DictConfig, choice: str | None = None) -> MethodKind:
    """The declaration of the config's method; ``choice`` (a ``conf/method`` name) when the
    config holds no method node (a run's tags, a partial config); a plain one otherwise."""
    target = method_target(cfg)
    if target is not None:
        return method_class(target).kind
    return kind_named(choice or "")


def kind_named(name: str, conf_dirs: tuple[Path, ...] = ()) -> MethodKind:
    """The declaration of ``conf/method/<name>.yaml``'s class (also for a run that logged only
    its method's name); a plain kind of that name when no such config or class is found."""
    for folder in (CONF_DIR, *conf_dirs):
        path = folder / "method" / f"{name}.yaml"
        if name and path.is_file():
            try:
                return method_class(target_of(path) or "").kind
            except (ConfigError, ImportError):
                break  # a run of a method this checkout cannot read: a plain column
    return MethodKind(name)


def target_of(path: Path) -> str | None:
    """The ``_target_`` a method's YAML file names (read as written; no composition)."""
    node: Any = OmegaConf.load(path)
    target = node.get("_target_") if isinstance(node, DictConfig) else None
    return str(target) if target else None
