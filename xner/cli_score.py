"""``evaluate.py score PRED GOLD``: entity-level P/R/F1 of a prediction file against gold."""

import argparse
import json

from xner.data.conll import read_conll
from xner.data.tags import SCHEMES
from xner.metrics import format_report, score_sentences


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("pred", help="predicted CoNLL file (token first column, tag last)")
    parser.add_argument("gold", help="gold CoNLL file with the same sentences and tokens")
    parser.add_argument(
        "--ignore",
        action="append",
        default=[],
        metavar="LABEL[,LABEL]",
        help="entity types mapped to O on both sides before scoring (e.g. MISC or DATE)",
    )
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    parser.add_argument(
        "--scheme", choices=SCHEMES, default="iob2", help="tag scheme of both files (default iob2)"
    )
    parser.add_argument(
        "--repair",
        action="store_true",
        help="turn an I-X that follows nothing into B-X instead of refusing the file",
    )


def ignored_labels(values: list[str]) -> list[str]:
    """Labels from repeated and comma-separated --ignore options."""
    return sorted(
        {label.strip() for value in values for label in value.split(",") if label.strip()}
    )


def run(args: argparse.Namespace) -> int:
    """Score a prediction file against gold (seqeval, strict IOB2)."""
    pred = read_conll(args.pred, scheme=args.scheme, repair=args.repair)
    gold = read_conll(args.gold, scheme=args.scheme, repair=args.repair)
    scores = score_sentences(pred, gold, ignored_labels(args.ignore), args.pred, args.gold)
    print(json.dumps(scores, indent=2) if args.json else format_report(scores))
    return 0
