"""The gap table's columns as configs: one ``variant`` per declared method and projector.

A column is ``+variant=<method>`` or ``+variant=<method>_<projector>`` (a method that projects,
:class:`xner.method_kind.MethodKind`). Every method config (``conf/method/*.yaml`` and the
``method/`` folders of the config folders added with ``hydra.searchpath=[file://DIR]``) whose
class declares a gap role gets its variants registered in Hydra's ``ConfigStore`` when the entry
script is imported (so joblib/submitit workers that import it again see them too); a
``conf/variant`` file of the same name wins (the ``*_reference`` and preset columns are files).
"""

import logging
from collections.abc import Sequence
from pathlib import Path

from xner.errors import XnerError
from xner.method_kind import MethodKind, method_class, target_of
from xner.paths import CONF_DIR
from xner.run.command_line import parsed_overrides

log = logging.getLogger(__name__)
SEARCHPATH = "hydra.searchpath"


def search_dirs(argv: Sequence[str]) -> list[Path]:
    """The local folders ``hydra.searchpath=[file://DIR,...]`` adds on this command line."""
    words = [a for a in argv if a.lstrip("+").startswith(f"{SEARCHPATH}=")]
    found = []
    for override in parsed_overrides(words) or []:
        value = override.value()
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and item.startswith("file://"):
                found.append(Path(item.removeprefix("file://")))
    return found


def group_files(group: str, extra: Sequence[Path] = ()) -> dict[str, Path]:
    """Each option of a config group, by name, with its file: ``conf/`` first, then ``extra``."""
    files: dict[str, Path] = {}
    for folder in (CONF_DIR, *extra):
        for path in sorted((folder / group).glob("*.yaml")):
            files.setdefault(path.stem, path)
    return files


def declared_methods(extra: Sequence[Path] = ()) -> list[tuple[str, MethodKind]]:
    """The method configs whose class declares a gap-table role, in the declared column order."""
    found = []
    for name, path in group_files("method", extra).items():
        try:
            kind = method_class(target_of(path) or "").kind
        except (XnerError, ImportError) as err:
            log.warning("conf %s: no gap-table column (%s)", path, err)
            continue
        if kind.role is not None:
            found.append((name, kind))
    return sorted(found, key=lambda item: (item[1].order, item[0]))


def variant_names(name: str, kind: MethodKind, projectors: Sequence[str]) -> list[str]:
    """The variants of one method config: one per projector for a method that projects."""
    return [f"{name}_{p}" for p in projectors] if kind.projects else [name]


def register_variants(argv: Sequence[str]) -> list[str]:
    """Store every declared method's variants that no ``variant`` file defines (the names)."""
    from hydra.core.config_store import ConfigStore

    extra = search_dirs(argv)
    files = group_files("variant", extra)
    projectors = list(group_files("projector", extra))
    stored = []
    for name, kind in declared_methods(extra):
        for variant in variant_names(name, kind, projectors):
            if variant in files:
                continue
            defaults: list = [{"override /method": name}]
            if kind.projects:
                defaults.append({"override /projector": variant.removeprefix(f"{name}_")})
            node = {"defaults": defaults}
            ConfigStore.instance().store(
                group="variant", name=variant, node=node, package="_global_"
            )
            stored.append(variant)
    return stored
