"""Config-group choices on the command line, checked before Hydra composes anything.

Hydra reports ``aligner=nope`` as a multi-line message and exit status 1. The Hydra apps'
entry point (:mod:`xner.run.entry`) calls :func:`check_choices` first, so an unknown choice of
one of xner's own groups (``conf/<group>/<name>.yaml``), in a single run or a sweep list, is
one ``error:`` line on stderr and exit status 2, like every other configuration error.

A ``_target_`` set on the command line inside Hydra's own ``hydra:`` node (callbacks,
launcher) is instantiated by Hydra before any xner check runs, so it is checked here, in every
spelling (:func:`xner.run.overrides.hydra_node_problems`): only Hydra's and its plugins'
classes and xner's are allowed there.
"""

from collections.abc import Sequence
from pathlib import Path

from xner.errors import ConfigError
from xner.methods.settings import ROLES
from xner.paths import CONF_DIR
from xner.run.command_line import override_words, parsed_overrides
from xner.run.overrides import group_options, hydra_node_problems
from xner.run.variants import search_dirs


def check_choices(argv: Sequence[str], conf_dir: Path = CONF_DIR) -> None:
    """Refuse ``group=name`` overrides naming no ``conf/<group>/<name>.yaml`` (nor such a file in
    a ``hydra.searchpath=[file://DIR]`` folder, nor a variant stored in memory).

    Arguments Hydra cannot parse, options (``-m``, ``--cfg``), Hydra's own groups and glob or
    range sweeps are left to Hydra.
    """
    from hydra.core.override_parser.types import ValueType

    words = override_words(argv)
    overrides = parsed_overrides(words)
    if overrides is None:
        return
    extra = search_dirs(words)
    for override in overrides:
        group = override.key_or_group
        refused = hydra_node_problems(override)
        if refused:
            raise ConfigError(f"{'; '.join(refused)}; refused")
        if override.is_delete() or group.startswith("hydra"):
            continue
        check_setting(group)
        options = _options(conf_dir, group, extra)
        if options is None:
            continue
        if override.value_type == ValueType.SIMPLE_CHOICE_SWEEP:
            values = list(override.sweep_string_iterator())
        elif override.value_type == ValueType.ELEMENT:
            values = [override.value()]
        else:
            continue
        for value in values:
            if isinstance(value, str) and value not in options:
                raise ConfigError(
                    f"unknown {group} {value!r}: choose one of {', '.join(options)} "
                    f"(files in conf/{group}/)"
                )


def check_setting(key: str) -> None:
    """Refuse an unknown key of a node whose keys xner knows (``model``, ``teacher``,
    ``student``, their ``trainer``, ``trainer``, ``pipeline``) in xner's words, before Hydra
    answers ``model.lrr=1`` with its hint to add the key with ``+``."""
    parts = key.split(".")
    if len(parts) < 2:
        return
    head, name = parts[0], parts[1]
    if head in ROLES:
        from xner.methods.settings import ModelSettings, check_keys, check_trainer_keys

        check_keys(head, [name], ModelSettings.keys())
        if name == "trainer" and len(parts) > 2:
            check_trainer_keys(f"{head}.trainer", [parts[2]])
    elif head == "trainer":
        from xner.methods.settings import check_trainer_keys

        check_trainer_keys("trainer", [name])
    elif head == "pipeline":
        from xner.pipeline.from_config import unknown_keys

        sub = {parts[2]: None} if name == "backtranslation" and len(parts) > 2 else None
        found = unknown_keys({name: sub})
        if found:
            raise ConfigError(found[0])


def _options(conf_dir: Path, group: str, extra: Sequence[Path]) -> list[str] | None:
    """A group's choices: its files in ``conf_dir`` and in the ``hydra.searchpath`` folders,
    and the gap-table variants stored in memory (:mod:`xner.run.variants`)."""
    from hydra.core.config_store import ConfigStore

    found = [group_options(folder, group) for folder in (conf_dir, *extra)]
    if all(names is None for names in found):
        return None
    try:
        stored = [Path(name).stem for name in ConfigStore.instance().list(group)]
    except OSError:  # nothing stored in this group
        stored = []
    return sorted({*(name for names in found for name in names or ()), *stored})
