"""Run the projection pipeline and write the labelled target sentences as CoNLL.

    python project.py data=europarl lang=de labeler=gold translator=reference \
        aligner=eflomal projector=ilp out=/tmp/de.conll
"""

import logging

from omegaconf import DictConfig, OmegaConf

from xner.config import build, register_resolvers
from xner.data.conll import format_conll
from xner.method_kind import method_class, method_target
from xner.methods.context import RunContext
from xner.methods.results import publish, report
from xner.methods.translate_test import TranslateTest
from xner.methods.translate_train import TranslateTrain
from xner.paths import CONF_DIR
from xner.run.app import run_job
from xner.run.entry import xner_app
from xner.tracking.runs import JobRun

log = logging.getLogger("xner.project")
register_resolvers()


def task_method(cfg: DictConfig) -> TranslateTest | TranslateTrain:
    """The method whose pipeline ``task`` names, as its ``conf/method/<task>.yaml`` sets it up."""
    method = method_class(method_target(cfg) or "")
    return build(OmegaConf.load(CONF_DIR / "method" / f"{method.kind.name}.yaml"))


def project(cfg: DictConfig, job: JobRun | None) -> dict[str, float]:
    ctx = RunContext(cfg, job)
    method = task_method(cfg)
    split = str(cfg.split or method.default_split)
    gold, result = method.projected(ctx, split)
    if gold and any(t != "O" for s in gold for t in s.tags):
        metrics = report(ctx, [s.tags for s in result.sentences], gold, extra=result.summary())
    else:
        metrics = publish(ctx, result.sentences, result.summary())
    if job is not None:  # after out= is written: a store that went away loses no output
        job.log_text(format_conll(result.sentences), f"projected/{method.kind.name}.{split}.conll")
    ctx.log_cache_use()
    f1 = f"{metrics['test/f1']:.4f}" if "test/f1" in metrics else "n/a (no gold target labels)"
    print(
        f"{method.kind.name}: {len(result.sentences)} sentences, {result.n_projected} of "
        f"{result.n_source_entities} entities projected, {result.n_dropped} dropped, "
        f"{result.n_sentences_dropped} sentences dropped, F1 = {f1}"
        + (f"; wrote {cfg.out}" if cfg.get("out") else "")
    )
    return metrics


@xner_app("project", columns=False)
def main(cfg: DictConfig) -> float | None:
    metrics = run_job(cfg, "project", project)
    return None if metrics is None else metrics.get("test/f1")


if __name__ == "__main__":
    main()
