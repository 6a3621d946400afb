"""``evaluate.py compare RUN_A RUN_B``: paired difference of two runs on the same test set."""

import argparse
import json

from xner.errors import DataError
from xner.evaluation.bootstrap import N_RESAMPLES, SEED, paired_bootstrap
from xner.evaluation.counts import RunCounts, load_counts
from xner.evaluation.metrics import f1_of
from xner.tracking.names import counts_artifact
from xner.tracking.store import open_client, resolve_run, tracking_uri


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_a", help="run id or unique run name (A)")
    parser.add_argument("run_b", help="run id or unique run name (B)")
    parser.add_argument("--split", default="test", help="scored split (default test)")
    parser.add_argument("--resamples", type=int, default=N_RESAMPLES, help="bootstrap draws")
    parser.add_argument("--seed", type=int, default=SEED, help="bootstrap seed")
    parser.add_argument("--tracking-uri", default=None, help="default: $MLFLOW_TRACKING_URI")
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")


def _counts(client, ref: str, split: str) -> tuple[str, RunCounts]:
    run = resolve_run(client, ref)
    found = load_counts(client, run.info.run_id, split)
    if found is None:
        raise DataError(
            f"run {run.info.run_id} ({run.info.run_name}) has no {counts_artifact(split)}: "
            "it was logged before per-sentence counts existed; rerun it (evaluate.py rerun)"
        )
    return run.info.run_name or run.info.run_id, found


def run(args: argparse.Namespace) -> int:
    """Paired bootstrap of two runs' F1 on the same sentences: difference, 95 % interval, p."""
    client = open_client(tracking_uri(args.tracking_uri))
    name_a, a = _counts(client, args.run_a, args.split)
    name_b, b = _counts(client, args.run_b, args.split)
    problem = a.comparable(b)
    if problem:
        raise DataError(problem)
    diff = paired_bootstrap([a.matrix], [b.matrix], args.resamples, args.seed)
    f1_a, f1_b = (100 * f1_of(*m.sum(axis=0)) for m in (a.matrix, b.matrix))
    if args.json:
        out = {"a": name_a, "b": name_b, "f1_a": f1_a, "f1_b": f1_b, **diff.as_dict()}
        print(json.dumps(out, indent=2))
        return 0
    print(f"A  {name_a}: {args.split}/f1 = {f1_a:.1f}")
    print(f"B  {name_b}: {args.split}/f1 = {f1_b:.1f}")
    print(
        f"A − B = {diff}  (95 % paired-bootstrap interval over {diff.n_sentences} sentences, "
        f"{diff.n_resamples} resamples); p = {diff.p_value:.3f}  [{a.mode}]"
    )
    return 0
