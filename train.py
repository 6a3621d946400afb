"""Run one method of the comparison; one MLflow run per job.

python train.py method=teacher_student data=masakhaner2 lang=hau model=xlmr_large
python train.py -m experiment=quickstart
"""

import logging
import sys

from omegaconf import DictConfig

from xner.config import build, register_resolvers
from xner.methods.context import RunContext
from xner.pipeline.cost import measuring
from xner.run.app import run_job
from xner.run.entry import xner_app
from xner.run.variants import register_variants
from xner.tracking.runs import JobRun

log = logging.getLogger("xner.train")
register_resolvers()
register_variants(sys.argv[1:])  # at import: workers that import this script again see them


def train(cfg: DictConfig, job: JobRun | None) -> dict[str, float]:
    method = build(cfg.method)
    ctx = RunContext(cfg, job)
    ctx.target_split("test")  # logged first: the UI's Datasets column names the scored set
    with measuring() as cost:
        metrics = method.run(ctx)
    ctx.log_cache_use(cost[0])
    f1 = metrics.get("test/f1", float("nan"))
    print(f"{type(method).__name__} lang={cfg.lang}: test F1 = {f1:.4f}")
    return metrics


@xner_app("train")
def main(cfg: DictConfig) -> float | None:
    metrics = run_job(cfg, "train", train)
    return None if metrics is None else metrics.get("test/f1")


if __name__ == "__main__":
    main()
