"""``evaluate.py score PRED GOLD``: entity-level P/R/F1 of a prediction file against gold."""

import argparse
import json

from xner.data.conll import read_conll
from xner.data.tags import SCHEMES
from xner.evaluation.metrics import DEFAULT_MODE, MODES, format_report, score_sentences

CLI_HINT = "drop --strict-tags to read it as conlleval does, as the start of an entity"


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
        "--mode",
        choices=MODES,
        default=DEFAULT_MODE,
        help="conlleval (default; seqeval's default mode, as MasakhaNER 2.0 and the reference "
        "papers score: an I-X after O or another type starts an entity) or strict IOB2 "
        "(such an I-X belongs to no entity)",
    )
    parser.add_argument(
        "--strict-tags",
        action="store_true",
        help="refuse a file with an I-X after O or another type instead of reading it",
    )


def ignored_labels(values: list[str]) -> list[str]:
    """Labels from repeated and comma-separated --ignore options."""
    return sorted(
        {label.strip() for value in values for label in value.split(",") if label.strip()}
    )


def run(args: argparse.Namespace) -> int:
    """Score a prediction file against gold (seqeval; conlleval rules unless --mode strict)."""
    orphans = "refuse" if args.strict_tags else "keep"
    pred, gold = (
        read_conll(path, scheme=args.scheme, orphans=orphans, hint=CLI_HINT)
        for path in (args.pred, args.gold)
    )
    ignore = ignored_labels(args.ignore)
    scores = score_sentences(pred, gold, ignore, args.pred, args.gold, args.mode)
    print(json.dumps(scores, indent=2) if args.json else format_report(scores))
    return 0
