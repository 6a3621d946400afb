"""Command line for scores and reports: ``python evaluate.py <command> ...``.

Each command lives in a module under ``xner/`` that provides ``add_arguments(parser)`` and
``run(args) -> exit status``; register it in :data:`COMMANDS`. Errors meant for the user
(:class:`xner.errors.XnerError`) print one ``error: ...`` line and exit with status 2.
"""

import argparse
import sys
from collections.abc import Callable, Sequence

from xner import cli_cache, cli_score, config_diff, report, rerun
from xner.errors import XnerError
from xner.evaluation import compare, errors_cli

Command = tuple[Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]

COMMANDS: dict[str, Command] = {
    "score": (cli_score.add_arguments, cli_score.run),
    "report": (report.add_arguments, report.run),
    "diff": (config_diff.add_arguments, config_diff.run),
    "rerun": (rerun.add_arguments, rerun.run),
    "compare": (compare.add_arguments, compare.run),
    "errors": (errors_cli.add_arguments, errors_cli.run),
    "cache": (cli_cache.add_arguments, cli_cache.run),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="evaluate.py", description="Score predictions and report xner experiments."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (add_arguments, run) in COMMANDS.items():
        summary = (run.__doc__ or name).strip().splitlines()[0]
        sub = commands.add_parser(name, help=summary, description=summary)
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
