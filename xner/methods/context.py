"""What a method needs for one job: its config, data splits and labels, cache and MLflow run.

Training steps live in :mod:`xner.methods.training`, scoring and logging results in
:mod:`xner.methods.results`.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from omegaconf import DictConfig

from xner.config import build
from xner.data.conll import TaggedSentence
from xner.data.tags import filter_labels, iob2_tag_names, label_set
from xner.method_kind import TARGET, MethodKind, kind_of, source_langs
from xner.pipeline.cache import StageCache, fingerprint
from xner.pipeline.cost import Cost, measuring
from xner.pipeline.cost_report import cost_metrics
from xner.tracking.runs import JobRun

log = logging.getLogger(__name__)


@dataclass
class RunContext:
    """One job's config, its data (splits read once, fingerprinted and logged), cache and run."""

    cfg: DictConfig
    job: JobRun | None
    cache: StageCache = field(init=False)

    def __post_init__(self) -> None:
        self.cache = StageCache(self.cfg.cache.dir, bool(self.cfg.cache.enabled))
        self.fingerprints: dict[str, str] = {}
        self._logged_inputs: set[tuple[str, str, str]] = set()
        self.stage_costs: list[tuple[str, Cost, bool]] = []  # stages outside the cache

    @contextmanager
    def measured(self, stage: str) -> Iterator[None]:
        """Account a stage the cache does not hold (training, distillation, evaluation)."""
        with measuring() as cost:
            yield
        self.stage_costs.append((stage, cost[0], False))

    def log_cache_use(self, job_cost: Cost | None = None) -> None:
        """The stages this job computed and reused (``cache/<stage>.misses|hits``: parallel jobs
        that share a stage show whether it was computed once) and what each cost
        (:func:`xner.pipeline.cost_report.cost_metrics`), as metrics and ``cost.json``."""
        if self.job is None:
            return
        counts = {f"cache/{key}": float(n) for key, n in sorted(self.cache.stats.items())}
        metrics, record = cost_metrics([*self.cache.costs, *self.stage_costs], job_cost)
        self.job.log_metrics({**counts, **metrics})
        self.job.log_dict(record, "cost.json")

    @cached_property
    def target(self) -> Any:
        return build(self.cfg.data)

    @cached_property
    def source(self) -> Any:
        return build(self.cfg.source_data)

    @property
    def lang(self) -> str:
        return str(self.cfg.lang)

    @property
    def source_lang(self) -> str:
        return str(self.cfg.source_lang)

    @property
    def source_langs(self) -> list[str]:
        """Languages of the labelled source data: ``source_langs``, else ``[source_lang]``."""
        return source_langs(self.cfg)

    @cached_property
    def kind(self) -> MethodKind:
        """The job's method declaration (:mod:`xner.method_kind`): whose labels it reads."""
        return kind_of(self.cfg)

    @cached_property
    def unshared_labels(self) -> list[str]:
        """Entity types only one side has (MISC only in the source, DATE only in MasakhaNER 2.0):
        ignored on both sides, read as O, so no method is scored on a type it cannot know.

        Decided from the label inventories of the source training split and the target test
        split; a method that reads target labels alone (supervised) keeps every type. The run's tag
        ``labels.ignored`` names these and the types a corpus's ``label_drop`` maps to O.
        """
        unshared = self._unshared_labels()
        ignored = sorted({*unshared, *self._dropped_labels()})
        if ignored and self.job is not None:
            self.job.set_tags({"labels.ignored": ",".join(ignored)})
        return unshared

    def _dropped_labels(self) -> list[str]:
        """The ``label_drop`` types of the corpora this method reads."""
        keys = ["data"] if self.kind.labels == TARGET else ["data", "source_data"]
        dropped = {
            str(label)
            for key in keys
            if isinstance(node := self.cfg.get(key), DictConfig)
            for label in node.get("label_drop") or ()
        }
        if dropped:
            log.info(
                "label types dropped by data.label_drop (read as O): %s", ", ".join(sorted(dropped))
            )
        return sorted(dropped)

    def _unshared_labels(self) -> list[str]:
        if self.kind.labels == TARGET or self.cfg.get("source_data") is None:
            return []
        langs = self.kind.label_langs(self.cfg)
        found = [self._source_labels(lang) for lang in langs]
        if any(labels is None for labels in found):
            return []  # a source without labelled text to compare with: keep every type
        source = sorted({label for labels in found for label in labels})  # type: ignore[union-attr]
        target = label_set(s.tags for s in self.target.split(self.lang, "test"))
        unshared = sorted(set(source) ^ set(target))
        if unshared:
            log.info(
                "label types ignored on both sides (only one side has them): %s "
                "(source %s: %s; target %s: %s)",
                ", ".join(unshared), ",".join(langs), ", ".join(source), self.lang,
                ", ".join(target),
            )  # fmt: skip
        return unshared

    def _source_labels(self, lang: str) -> list[str] | None:
        """The label types of a source language's training split (its test split when it has
        no training split, e.g. a whole parallel corpus projected as test); None without both."""
        for split in ("train", "test"):
            if self.source.has_split(lang, split):
                sentences = self.source.split(lang, split)
                if sentences:
                    return label_set(s.tags for s in sentences)
        return None

    def _split(self, dataset: Any, lang: str, split: str, role: str) -> list[TaggedSentence]:
        sentences = dataset.split(lang, split)
        if self.unshared_labels:
            sentences = [
                TaggedSentence(
                    list(s.words), filter_labels(s.tags, self.unshared_labels), s.columns
                )
                for s in sentences
            ]
        self.fingerprints[f"{role}.{lang}.{split}"] = fingerprint(sentences)
        self._log_input(dataset, lang, split, role, sentences)
        return sentences

    def _log_input(
        self, dataset: Any, lang: str, split: str, role: str, sentences: list[TaggedSentence]
    ) -> None:
        """Each split a job reads is an MLflow dataset input (name, language, split, digest)."""
        if self.job is None or (role, lang, split) in self._logged_inputs:
            return
        self._logged_inputs.add((role, lang, split))
        root = getattr(dataset, "root", None)
        self.job.log_dataset(
            str(getattr(dataset, "name", role)),
            lang,
            split,
            role,
            self.fingerprints[f"{role}.{lang}.{split}"],
            len(sentences),
            str(root or getattr(dataset, "hf_id", "") or ""),
        )

    def target_split(self, split: str) -> list[TaggedSentence]:
        return self._split(self.target, self.lang, split, "data")

    def source_split(self, split: str, lang: str | None = None) -> list[TaggedSentence]:
        return self._split(self.source, lang or self.source_lang, split, "source_data")

    def source_dev(self, lang: str | None = None) -> list[TaggedSentence]:
        """Validation data for zero-shot methods: the source dev set (never target labels)."""
        if self.source.has_split(lang or self.source_lang, "dev"):
            return self.source_split("dev", lang)
        return []

    def label_names(self, lang: str | None = None) -> list[str]:
        """The classifier's labels: those of the source training data (after label_drop)."""
        return iob2_tag_names(label_set(s.tags for s in self.source_split("train", lang)))
