"""Functions stay short: none in xner/ is over 40 lines, counted from its ``def`` line to its
last line (docstring, comments and blank lines inside it included; decorators not)."""

import ast
from pathlib import Path

from helpers import REPO_ROOT

PACKAGE = REPO_ROOT / "xner"
LIMIT = 40


def long_functions(root: Path, limit: int = LIMIT) -> list[str]:
    """``path:line name (n lines)`` of every function or method over ``limit`` lines."""
    found = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = node.end_lineno - node.lineno + 1
                if lines > limit:
                    where = path.relative_to(root.parent).as_posix()
                    found.append(f"{where}:{node.lineno} {node.name} ({lines} lines)")
    return found


def test_no_function_in_xner_is_over_40_lines():
    assert long_functions(PACKAGE) == []


def test_the_count_runs_from_def_to_the_last_line(tmp_path):
    body = [f"x{i} = {i}" for i in range(38)]
    fits = ["@staticmethod", "def fits():", "    'doc'", *("    " + b for b in body)]  # 40
    over = ["class C:", "    async def over(self):", "        'doc'", ""]
    over += [*("        " + b for b in body), "        return x0"]  # 42 from def to return
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "m.py").write_text("\n".join([*fits, "", "", *over]) + "\n")
    assert long_functions(tmp_path / "pkg") == ["pkg/m.py:45 over (42 lines)"]
