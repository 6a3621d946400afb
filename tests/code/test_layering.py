"""The import layers docs/explanation/architecture.md describes, checked on every import (lazy ones
too)."""

import ast
from pathlib import Path

import pytest

from helpers import REPO_ROOT

PACKAGE = REPO_ROOT / "xner"
ROOT_MODULES = {p.stem for p in PACKAGE.glob("*.py")}
STAGES = {"translate", "align", "project", "labelers"}
# what each layer may import besides itself and the root modules: only layers below it, in the
# README's order (run, methods, pipeline, the stages, models, evaluation, tracking, cluster and
# data, root)
ALLOWED = {
    "root": set(),
    "data": set(),
    "cluster": set(),
    "testing": set(),
    "tracking": {"data", "cluster"},
    "evaluation": {"data", "tracking"},
    "models": {"data", "evaluation.metrics"},
    **{stage: {"data", "models"} for stage in STAGES},
    "pipeline": {"data", *STAGES, "models"},
    "methods": {"data", *STAGES, "models", "pipeline", "evaluation", "tracking"},
}


def _layer(parts: tuple[str, ...]) -> str:
    return "root" if len(parts) == 1 or parts[0] in ROOT_MODULES else parts[0]


def _imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found += [node.module]
        elif isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
    return [m for m in found if m.startswith("xner.")]


def _allowed(layer: str, module: str) -> bool:
    parts = module.split(".")[1:]
    target = _layer(tuple(parts))
    if target in ("root", layer):
        return True
    allowed = ALLOWED[layer]
    return target in allowed or ".".join(parts[:2]) in allowed


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_a_layer_imports_only_the_layers_below_it(layer):
    files = (
        [p for p in PACKAGE.glob("*.py")]
        if layer == "root"
        else sorted((PACKAGE / layer).rglob("*.py"))
    )
    assert files, f"no modules in layer {layer}"
    wrong = [
        f"{path.relative_to(PACKAGE.parent)} imports {module}"
        for path in files
        for module in _imports(path)
        if not _allowed(layer, module)
    ]
    assert not wrong, "\n".join(wrong)


def test_the_layers_form_no_loop():
    """Each layer may import only layers listed before it in ALLOWED: one order, no loop."""
    seen: set[str] = set()
    for layer, allowed in ALLOWED.items():
        below = {module.split(".")[0] for module in allowed}
        assert below <= seen, f"{layer} may import {sorted(below - seen)}, not below it"
        seen.add(layer)


def test_every_layer_is_known():
    packages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    assert packages - set(ALLOWED) == {"run"}  # the Hydra job is the top: it may import any layer
