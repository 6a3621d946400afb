"""Command line for scores and reports: ``python evaluate.py <command> ...``.

Each command lives in a module under ``xner/evaluation/`` (``cache``: ``xner/pipeline/``) with
``add_arguments(parser)`` and ``run(args) -> exit status``; register it in :data:`COMMANDS`.
Errors meant for the user (:class:`xner.errors.XnerError`) print one ``error: ...`` line and
exit with status 2.
"""

import argparse
import sys
from collections.abc import Callable, Sequence

from xner.errors import XnerError
from xner.evaluation import compare, config_diff, errors_cli, report, results_page, score_cli
from xner.pipeline import cache_cli
from xner.run import rerun

Command = tuple[Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]

COMMANDS: dict[str, Command] = {
    "score": (score_cli.add_arguments, score_cli.run),
    "report": (report.add_arguments, report.run),
    "results": (results_page.add_arguments, results_page.run),
    "diff": (config_diff.add_arguments, config_diff.run),
    "rerun": (rerun.add_arguments, rerun.run),
    "compare": (compare.add_arguments, compare.run),
    "errors": (errors_cli.add_arguments, errors_cli.run),
    "cache": (cache_cli.add_arguments, cache_cli.run),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="evaluate.py", description="Score predictions and report xner experiments."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (add_arguments, run) in COMMANDS.items():
        summary = " ".join((run.__doc__ or name).strip().split("\n\n")[0].split())
        # argparse %-formats help strings ("95 %" would be a format code); descriptions are not
        sub = commands.add_parser(name, help=summary.replace("%", "%%"), description=summary)
        add_arguments(sub)
        sub.set_defaults(run=run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except XnerError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
