"""``evaluate.py errors PRED GOLD``: per type, correct / missed / spurious / boundary / type."""

import argparse
import json

from xner.data.conll import read_conll
from xner.data.tags import SCHEMES
from xner.evaluation.errors import as_dict, error_table, format_errors
from xner.evaluation.metrics import DEFAULT_MODE, MODES, check_aligned
from xner.evaluation.score_cli import CLI_HINT, ignored_labels


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("pred", help="predicted CoNLL file (token first column, tag last)")
    parser.add_argument("gold", help="gold CoNLL file with the same sentences and tokens")
    parser.add_argument("--ignore", action="append", default=[], metavar="LABEL[,LABEL]",
                        help="entity types mapped to O on both sides first")  # fmt: skip
    parser.add_argument("--examples", type=int, default=3, help="example sentences per class")
    parser.add_argument("--mode", choices=MODES, default=DEFAULT_MODE, help="entity rule")
    parser.add_argument("--scheme", choices=SCHEMES, default="iob2", help="tag scheme")
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")


def run(args: argparse.Namespace) -> int:
    """Error classes per entity type, with example sentences of each."""
    pred, gold = (
        read_conll(path, scheme=args.scheme, orphans="keep", hint=CLI_HINT)
        for path in (args.pred, args.gold)
    )
    check_aligned(pred, gold, args.pred, args.gold)
    table = error_table(
        [s.tags for s in pred],
        [s.tags for s in gold],
        ignored_labels(args.ignore),
        args.mode,
        args.examples,
    )
    print(json.dumps(as_dict(table), indent=2) if args.json else format_errors(table, gold), end="")
    return 0
