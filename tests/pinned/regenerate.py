"""Pin the numbers of the tiny runs anew: ``python tests/pinned/regenerate.py`` (repo root).

Runs the two sweeps of ``tests/tiny_runs.py`` (every method under ``+debug=tiny``, and
``project.py`` with both projectors) in a temporary folder, a few minutes on 2 CPU cores, and
rewrites ``tests/pinned/tiny_runs.json``. Review its diff and commit it with the change that
moved the numbers: it is the one place where a refactor declares that its numbers changed.
"""

import json
import sys
import tempfile
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(TESTS.parent), str(TESTS)]  # xner, and the tests' helper modules by name

from tiny_runs import PINNED, run_pinned_sweeps  # noqa: E402


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="xner-pinned-") as folder:
        numbers = run_pinned_sweeps(TESTS.parent, Path(folder))
    PINNED.write_text(json.dumps(numbers, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {PINNED.relative_to(TESTS.parent)}: review its diff (git diff {PINNED.parent})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
