"""Fingerprints of the code that computes a cached stage, so changed code never hits old entries.

A stage's code is given as *roots*: ``"module"`` (a whole xner module) or ``"module:qualname"``
(one class or function, e.g. ``"xner.pipeline.stages:_align"`` or the class a config's ``_target_``
names). A root counts with every top-level definition of its module that it refers to by
name, transitively; every xner module those definitions import counts whole, with the
modules it imports in turn. Source is compared after parsing: docstrings, comments and
formatting are normalised away (``ast.unparse``), so only edits that can change what runs
change a fingerprint. The versions of the third-party packages the code imports (eflomal,
transformers, torch, ...) are part of it; packages that only display or track
(:data:`IGNORED_LIBRARIES`) and the standard library are not. Module names, not file paths
or times, identify the parts, so a fingerprint is the same on every machine with the same
code, packages and Python minor version.
"""

import ast
import hashlib
import importlib.metadata
import json
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

PACKAGE = "xner"
PACKAGE_DIR = Path(__file__).resolve().parent.parent
# Progress bars, tracking and config composition (configs enter keys already resolved).
IGNORED_LIBRARIES = frozenset({"tqdm", "mlflow", "hydra", "omegaconf"})
# Packages whose results also depend on a package they load themselves.
COMPANIONS = {"transformers": ("tokenizers",)}
# The cache computes keys, not results: its module is never part of a stage's code.
INFRASTRUCTURE = frozenset({f"{PACKAGE}.pipeline.cache", f"{PACKAGE}.pipeline.code_fingerprint"})
HASH_CHARS = 16


@dataclass(frozen=True)
class StageCode:
    """What a stage's code fingerprint is made of: part (root or module) hashes, versions."""

    parts: dict[str, str] = field(default_factory=dict)
    libraries: dict[str, str] = field(default_factory=dict)

    @property
    def digest(self) -> str:
        text = json.dumps({"parts": self.parts, "libraries": self.libraries}, sort_keys=True)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def record(self) -> dict[str, Any]:
        """The JSON-able form logged with a run (``stage_code`` in environment.json)."""
        return {"parts": dict(self.parts), "libraries": dict(self.libraries)}


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:HASH_CHARS]


def _strip_docstrings(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                if isinstance(body[0].value.value, str):
                    node.body = body[1:] or [ast.Pass()]
    return tree


def normalised(node: ast.AST) -> str:
    """Source text of an (already docstring-free) node without comments and formatting."""
    return ast.unparse(node)


def _bound_names(stmt: ast.stmt) -> Iterator[str]:
    if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        yield stmt.name
    elif isinstance(stmt, ast.Import | ast.ImportFrom):
        for alias in stmt.names:
            yield (alias.asname or alias.name).split(".")[0]
    elif isinstance(stmt, ast.Assign | ast.AnnAssign | ast.AugAssign):
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        for target in targets:
            for node in ast.walk(target):
                if isinstance(node, ast.Name):
                    yield node.id
    elif isinstance(stmt, ast.If | ast.Try | ast.With):
        for child in ast.iter_child_nodes(stmt):
            if isinstance(child, ast.stmt):
                yield from _bound_names(child)
            elif isinstance(child, ast.ExceptHandler):
                for inner in child.body:
                    yield from _bound_names(inner)


def _top_level(tree: ast.Module) -> Iterator[ast.stmt]:
    """Top-level statements, looking inside ``if``/``try``/``with`` blocks."""
    for stmt in tree.body:
        if isinstance(stmt, ast.If | ast.Try | ast.With):
            yield from _top_level(ast.Module(body=_inner_statements(stmt), type_ignores=[]))
        else:
            yield stmt


def _inner_statements(stmt: ast.stmt) -> list[ast.stmt]:
    out: list[ast.stmt] = []
    for name in ("body", "orelse", "finalbody"):
        out.extend(getattr(stmt, name, []))
    for handler in getattr(stmt, "handlers", []):
        out.extend(handler.body)
    return out


@dataclass
class _Module:
    name: str
    tree: ast.Module
    digest: str
    bindings: dict[str, ast.stmt]


class CodeBase:
    """Stage code fingerprints read from one copy of the xner sources, computed once each."""

    def __init__(self, package_dir: str | Path = PACKAGE_DIR, package: str = PACKAGE) -> None:
        self.package_dir = Path(package_dir)
        self.package = package
        self._modules: dict[str, _Module | None] = {}
        self._closures: dict[str, tuple[frozenset[str], frozenset[str]]] = {}
        self._roots: dict[str, tuple[str, set[str], set[str]]] = {}
        self._fingerprints: dict[tuple[str, ...], StageCode] = {}

    # -- modules -----------------------------------------------------------------------------

    def _path(self, name: str) -> Path | None:
        parts = name.split(".")
        if parts[0] != self.package or not all(p.isidentifier() for p in parts):
            return None
        rel = Path(*parts[1:]) if len(parts) > 1 else None
        candidates = [self.package_dir / "__init__.py"]
        if rel is not None:
            candidates = [self.package_dir / f"{rel}.py", self.package_dir / rel / "__init__.py"]
        return next((path for path in candidates if path.is_file()), None)

    def module(self, name: str) -> _Module | None:
        """The parsed module, or None when ``name`` is not a module of the package."""
        if name not in self._modules:
            path = self._path(name)
            if path is None:
                self._modules[name] = None
            else:
                tree = _strip_docstrings(ast.parse(path.read_text(encoding="utf-8")))
                assert isinstance(tree, ast.Module)
                bindings = {n: stmt for stmt in _top_level(tree) for n in _bound_names(stmt)}
                self._modules[name] = _Module(name, tree, _digest(normalised(tree)), bindings)
        return self._modules[name]

    def _imports(self, module: str, node: ast.AST, only: set[str] | None = None) -> Iterator[str]:
        """Absolute names (``pkg.mod`` or ``pkg.mod.attr``) that import statements in ``node``
        bring in; with ``only``, just the aliases binding those names."""
        package = module if self._is_package(module) else module.rpartition(".")[0]
        for stmt in ast.walk(node):
            if isinstance(stmt, ast.Import):
                for alias in stmt.names:
                    if only is None or (alias.asname or alias.name).split(".")[0] in only:
                        yield alias.name
            elif isinstance(stmt, ast.ImportFrom):
                base = stmt.module or ""
                if stmt.level:
                    parts = package.split(".")
                    parts = parts[: len(parts) - stmt.level + 1]
                    base = ".".join([*parts, base] if base else parts)
                for alias in stmt.names:
                    if only is None or (alias.asname or alias.name) in only:
                        yield f"{base}.{alias.name}" if alias.name != "*" else base

    def _is_package(self, name: str) -> bool:
        path = self._path(name)
        return path is not None and path.name == "__init__.py"

    def _split(self, names: Iterable[str]) -> tuple[set[str], set[str]]:
        """(xner modules, third-party top-level packages) that imported names refer to."""
        modules, libraries = set(), set()
        for name in names:
            top = name.split(".")[0]
            if top == self.package:
                found = name if self.module(name) else name.rsplit(".", 1)[0]
                if self.module(found) and found not in INFRASTRUCTURE:
                    modules.add(found)
            elif top not in sys.stdlib_module_names and top not in IGNORED_LIBRARIES and top:
                libraries.add(top)
        return modules, libraries

    def closure(self, name: str) -> tuple[frozenset[str], frozenset[str]]:
        """(xner modules, libraries) that module ``name`` needs, itself included, transitively."""
        if name in self._closures:
            return self._closures[name]
        modules, libraries, todo = {name}, set(), [name]
        while todo:
            found = self.module(todo.pop())
            if found is None:
                continue
            direct, libs = self._split(self._imports(found.name, found.tree))
            libraries |= libs
            todo.extend(direct - modules)
            modules |= direct
        self._closures[name] = (frozenset(modules), frozenset(libraries))
        return self._closures[name]

    # -- roots -------------------------------------------------------------------------------

    def _definition(self, module: _Module, qualname: str) -> ast.stmt:
        scope: list[ast.stmt] = list(_top_level(module.tree))
        node: ast.stmt | None = None
        for part in qualname.split("."):
            node = next((s for s in scope if part in set(_bound_names(s))), None)
            if node is None:
                raise KeyError(f"{module.name}:{qualname}: no such definition")
            scope = list(getattr(node, "body", []))
        assert node is not None
        return node

    def _root(self, root: str) -> tuple[str, set[str], set[str]]:
        """(hash of the root's definitions, xner modules, libraries) of ``module:qualname``."""
        if root not in self._roots:
            self._roots[root] = self._read_root(root)
        return self._roots[root]

    def _read_root(self, root: str) -> tuple[str, set[str], set[str]]:
        name, qualname = root.split(":", 1)
        module = self.module(name)
        if module is None:
            raise KeyError(f"{root}: no module {name} in {self.package_dir}")
        # the definition, and top-level statements that bind no name (``X.attr = ...``, calls)
        todo = [s for s in _top_level(module.tree) if not any(_bound_names(s))]
        todo.append(self._definition(module, qualname))
        seen: dict[int, ast.stmt] = {}
        imported: set[str] = set()
        while todo:
            node = todo.pop()
            if id(node) in seen:
                continue
            seen[id(node)] = node
            imported.update(self._imports(name, node))
            used = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
            for used_name in sorted(used):
                binding = module.bindings.get(used_name)
                if binding is None or binding is node:
                    continue
                if isinstance(binding, ast.Import | ast.ImportFrom):
                    imported.update(self._imports(name, binding, {used_name}))
                else:
                    todo.append(binding)
        text = "\n".join(normalised(s) for s in sorted(seen.values(), key=lambda s: s.lineno))
        modules, libraries = self._split(imported)
        return _digest(text), modules, libraries

    def target_root(self, target: str) -> str:
        """The root a ``_target_`` names: ``xner.a.b.Class.factory`` -> ``xner.a.b:Class.factory``;
        a library's target -> its top-level package (counted by version)."""
        parts = target.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            if self.module(".".join(parts[:cut])) is not None:
                return f"{'.'.join(parts[:cut])}:{'.'.join(parts[cut:])}"
        return parts[0]

    def fingerprint(self, roots: Iterable[str]) -> StageCode:
        """The code fingerprint of a stage made of ``roots`` (modules or ``module:qualname``)."""
        key = tuple(sorted(set(roots)))
        if key in self._fingerprints:
            return self._fingerprints[key]
        parts: dict[str, str] = {}
        modules: set[str] = set()
        libraries: set[str] = set()
        for root in key:
            if ":" in root:
                parts[root], found, libs = self._root(root)
            elif root.split(".")[0] == self.package:
                found, libs = {root}, set()
            else:
                found, libs = set(), {root.split(".")[0]}
            libraries |= libs
            for module in found:
                more, more_libs = self.closure(module)
                modules |= more
                libraries |= more_libs
        for module in sorted(modules):
            found_module = self.module(module)
            if found_module is not None:
                parts[module] = found_module.digest
        for library in list(libraries):
            libraries.update(COMPANIONS.get(library, ()))
        versions = {lib: library_version(lib) for lib in sorted(libraries)}
        self._fingerprints[key] = StageCode(parts, versions)
        return self._fingerprints[key]


@cache
def _distributions() -> dict[str, list[str]]:
    return importlib.metadata.packages_distributions()


@cache
def library_version(top: str) -> str:
    """Installed version of the distribution providing import name ``top`` ('absent' if none)."""
    try:
        return importlib.metadata.version(top)
    except importlib.metadata.PackageNotFoundError:
        pass
    for dist in _distributions().get(top, []):  # import name != distribution name (yaml)
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            continue
    return "absent"


def root_name(obj: str | Callable[..., Any] | type) -> str:
    """``module:qualname`` of a function or class; strings are taken as they are."""
    if isinstance(obj, str):
        return obj
    return f"{obj.__module__}:{obj.__qualname__}"


def targets(config: Any) -> list[str]:
    """The ``_target_`` values anywhere in a stage config."""
    if isinstance(config, dict):
        out = [v for k, v in config.items() if k == "_target_" and isinstance(v, str)]
        return out + [t for k, v in config.items() if k != "_target_" for t in targets(v)]
    if isinstance(config, list | tuple):
        return [t for value in config for t in targets(value)]
    return []


_DEFAULT: CodeBase | None = None


def default_codebase() -> CodeBase:
    """The installed package's code base, shared by every cache of this process."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = CodeBase()
    return _DEFAULT
