"""The model roles of a job and the trainer, read from its config as checked settings.

Each group file names its class in `_target_` (``conf/model/*.yaml``: :class:`ModelSettings`,
``conf/trainer/*.yaml``: :class:`TrainerSettings`; both defined in :mod:`xner.models.settings`,
the layer that reads them, and named here as the shipped files name them). An unknown key is an
error. The plain resolved nodes are the models' cache keys.
"""

from dataclasses import replace
from typing import Any

from omegaconf import DictConfig, OmegaConf

from xner.config import build, group_config, register_resolvers
from xner.device import resolve_precision
from xner.models.settings import (
    NOT_SETTINGS,
    ModelSettings,
    TrainerSettings,
    check_keys,
    check_trainer_keys,
)
from xner.options import one_of
from xner.paths import CONF_DIR

# Model nodes a job may train or load: `model` (the source model of every method) and the two
# roles of teacher-student learning, which follow `model` unless chosen (conf/model/same.yaml).
ROLES = ("model", "teacher", "student")


def model_node(cfg: DictConfig, role: str = "model") -> DictConfig:
    """The config node of a model role, its keys checked."""
    one_of("model role", role, ROLES, error=ValueError)
    node = cfg[role]
    check_keys(role, node.keys(), ModelSettings.keys())
    check_trainer_keys(f"{role}.trainer", (node.get("trainer") or {}).keys())
    return node


def model_config(cfg: DictConfig, role: str = "model") -> dict:
    """The plain resolved node of a model role (the cache key of what it trains)."""
    return group_config(model_node(cfg, role))


def model_settings(cfg: DictConfig, role: str = "model") -> ModelSettings:
    """A model role instantiated from its `_target_` (after the key check)."""
    return build(model_node(cfg, role))


def shipped_model(name: str, **changes: Any) -> ModelSettings:
    """``conf/model/<name>.yaml`` (over its ``_base``) as settings, ``changes`` replacing keys
    (checked again): for scripts that train outside a Hydra job (bench/)."""
    from hydra import compose, initialize_config_dir

    register_resolvers()
    with initialize_config_dir(str(CONF_DIR), version_base="1.3"):
        cfg = compose("train", overrides=[f"model={name}"])
    return replace(model_settings(cfg), **changes)


def trainer_config(cfg: DictConfig, role: str = "model") -> dict:
    """Lightning settings of one role: the trainer group read with ``model`` set to that
    role's node (so ``trainer.max_epochs: ${model.max_epochs}`` gives each role its own),
    then the role's own ``trainer`` overrides (``+student.trainer.precision=bf16-mixed``)."""
    node = model_node(cfg, role)
    if role == "model":
        trainer = cfg.trainer
    else:
        view = OmegaConf.create(OmegaConf.to_container(cfg, resolve=False))
        view.model = group_config(node)
        trainer = view.trainer
    check_trainer_keys("trainer", trainer.keys())
    settings = {k: v for k, v in group_config(trainer).items() if k not in NOT_SETTINGS}
    settings = {**settings, **group_config(node.get("trainer"))}
    if "precision" in settings:  # ``auto`` resolved here, so cache keys name what was run
        accelerator = str(settings.get("accelerator", "auto"))
        settings["precision"] = resolve_precision(str(settings["precision"]), accelerator)
    return settings


def trainer_settings(cfg: DictConfig, role: str = "model") -> TrainerSettings:
    """The checked trainer settings of one role (:func:`trainer_config`)."""
    return TrainerSettings(**trainer_config(cfg, role))


def check_settings(cfg: DictConfig) -> None:
    """Every model role and the trainer the job has, instantiated: unknown keys fail here.

    Only train.py jobs (a ``method``) train models: project.py ignores the ``model`` and
    ``trainer`` nodes a shared override file such as ``+debug=tiny`` gives it."""
    if not all(isinstance(cfg.get(key), DictConfig) for key in ("method", "model")):
        return
    for role in ROLES:
        if isinstance(cfg.get(role), DictConfig):
            model_settings(cfg, role)
    if isinstance(cfg.get("trainer"), DictConfig):
        build(cfg.trainer)
