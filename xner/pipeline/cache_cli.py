"""``evaluate.py cache [size|clear]``: how big the stage cache is, and dropping its entries."""

import argparse

from xner.paths import PROJECT_ROOT
from xner.pipeline.cache import StageCache, human_bytes

DEFAULT_DIR = PROJECT_ROOT / "mlruns" / "cache"  # conf/paths: cache (= cache.dir)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "action",
        nargs="?",
        choices=("size", "clear"),
        default="size",
        help="size: entries and bytes per stage (default); clear: delete entries",
    )
    parser.add_argument(
        "--stage",
        action="append",
        default=None,
        metavar="STAGE",
        help="only this stage, e.g. align or source_model (repeatable; default: every stage)",
    )
    parser.add_argument(
        "--dir", default=str(DEFAULT_DIR), help=f"the cache folder (default: {DEFAULT_DIR})"
    )


def run(args: argparse.Namespace) -> int:
    """Show the stage cache's size per stage, or clear one stage's entries or all."""
    cache = StageCache(args.dir)
    if args.action == "clear":
        n_entries, n_bytes = cache.clear(args.stage)
        which = ", ".join(args.stage) if args.stage else "every stage"
        print(f"removed {n_entries} entries ({human_bytes(n_bytes)}) of {which} from {cache.dir}")
        return 0
    sizes = cache.size()
    shown = {s: sizes.get(s, (0, 0)) for s in args.stage} if args.stage else sizes
    print(f"stage cache {cache.dir}")
    for stage, (n, size) in shown.items():
        print(f"  {stage:<16}{n:>8} entries{human_bytes(size):>12}")
    total = sum(n for n, _ in shown.values()), sum(b for _, b in shown.values())
    print(f"  {'total':<16}{total[0]:>8} entries{human_bytes(total[1]):>12}")
    return 0
