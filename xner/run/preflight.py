"""Checks that need no data: what would make a job fail before it reads a sentence.

A sweep asks them of every job before it creates any MLflow run (all jobs failing is one
``error:`` line, exit 2); a job that fails them alone ends as a FAILED run with the reason.
What is checked follows the method's declaration (:mod:`xner.method_kind`): the corpora it
reads (a local ``root`` that is missing, a download that cannot happen offline, a language the
corpus lacks), the checkpoints on the Hugging Face hub it uses (offline and not cached), the
translator of each pipeline it runs (its languages in that pipeline's direction, so both for the
ensemble; its model, a lexicon file, whether it carries markers for ``projector=markers``), the
class's own checks (``Method.problems``: teacher-student's ``method.teacher_weights``) and the
settings (``score_mode``, unknown keys under ``model``, ``teacher``, ``student`` and
``trainer``).
"""

from dataclasses import dataclass
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from xner.config import build
from xner.errors import XnerError
from xner.method_kind import (
    ALWAYS,
    AS_LABELER,
    TARGET,
    TRANSLATE_TEST,
    MethodKind,
    method_class,
    method_target,
)


@dataclass(frozen=True)
class _Job:
    """What the checks read of a job: its method, its declaration and what it uses."""

    method: type | None
    kind: MethodKind
    lang: str
    labeler_model: bool

    @property
    def uses_model(self) -> bool:
        return self.kind.model == ALWAYS or (self.kind.model == AS_LABELER and self.labeler_model)

    @property
    def needs_source(self) -> bool:
        """A source training split is read to train the source model or as the labelled data;
        a method whose model only labels its pipeline needs neither with a gold labeller."""
        return self.kind.labels != TARGET and (self.uses_model or self.kind.model != AS_LABELER)


def _job(cfg: DictConfig) -> _Job:
    target = method_target(cfg)
    method = method_class(target) if target else None
    kind = method.kind if method else MethodKind("")
    return _Job(method, kind, str(cfg.lang), _labeler_needs_model(cfg))


def problems(cfg: DictConfig) -> list[str]:
    """One line per reason this job cannot run; empty when it can start. What is checked
    follows the method's declaration (:mod:`xner.method_kind`) and its own ``problems``."""
    try:
        job = _job(cfg)
    except XnerError as err:
        return [str(err)]
    found = [*_corpora(cfg, job)]
    if job.uses_model and isinstance(cfg.get("model"), DictConfig):
        found += _checkpoint(cfg.model.get("checkpoint"), "model.checkpoint")
        found += _checkpoint(cfg.model.get("source_checkpoint"), "model.source_checkpoint")
    if job.kind.pipelines:
        found += _translators(cfg, job.kind.pipelines)
        found += _pipeline_parts(cfg, job.labeler_model)
    found += job.method.problems(cfg) if job.method else []
    return list(dict.fromkeys(found + _settings(cfg)))


@dataclass(frozen=True)
class LeftOut:
    """Why a job is left out of its sweep, and whether a translator is what it lacks."""

    reasons: tuple[str, ...]
    translator: bool


def left_out(cfg: DictConfig) -> LeftOut | None:
    """Why a sweep that skips what it cannot have (``skip_unavailable: true``, the study
    presets) leaves this job out: each of its problems is data its corpus does not hold or a
    translator that does not cover its language. None: the job runs, or fails with its reasons."""
    if not cfg.get("skip_unavailable"):
        return None
    found = problems(cfg)
    if not found:
        return None
    job = _job(cfg)
    translators = set(_translators(cfg, job.kind.pipelines))
    if not all(p in translators or p in _corpora(cfg, job) for p in found):
        return None
    return LeftOut(tuple(found), any(p in translators for p in found))


def _corpora(cfg: DictConfig, job: _Job) -> list[str]:
    """The splits the job reads: the target test split, the target split a method trains on
    (``method.train_split``) or distils on (``method.unlabelled_split``), the source training
    splits."""
    found = [*_corpus(cfg, "data", job.lang, "test")]
    for key in (
        ("train_split", "unlabelled_split")
        if job.kind.labels == TARGET or job.kind.distills
        else ()
    ):
        split = cfg.method.get(key)
        if isinstance(split, str):
            found += _corpus(cfg, "data", job.lang, split)
    for source in job.kind.label_langs(cfg) if job.needs_source else []:
        found += _corpus(cfg, "source_data", source, "train")
    return found


def _translators(cfg: DictConfig, pipelines: tuple[str, ...]) -> list[str]:
    """The translator in each pipeline's direction (translate-test: target to source) and,
    for ``projector=markers``, whether it carries markers."""
    lang, source_lang = str(cfg.lang), str(cfg.source_lang)
    found = []
    for task in pipelines:
        src, tgt = (lang, source_lang) if task == TRANSLATE_TEST else (source_lang, lang)
        found += _translator(cfg, src, tgt)
        found += _markers(cfg, task)
    return found


def _pipeline_parts(cfg: DictConfig, labeler_model: bool) -> list[str]:
    """The aligner's and labeller's checkpoints and the pipeline settings."""
    found = _checkpoint(cfg.aligner.get("model"), "aligner.model")
    if labeler_model and not OmegaConf.is_missing(cfg.labeler, "checkpoint"):
        found += _checkpoint(cfg.labeler.get("checkpoint"), "labeler.checkpoint")
    from xner.pipeline.from_config import unknown_keys

    return found + unknown_keys(cfg.get("pipeline"))


def _settings(cfg: DictConfig) -> list[str]:
    """The scoring settings, every model role and the trainer: an unknown key is a problem."""
    from xner.methods.results import Scoring
    from xner.methods.settings import check_settings

    try:
        Scoring.of(cfg)
        check_settings(cfg)
    except XnerError as err:
        return [str(err)]
    return []


def _labeler_needs_model(cfg: DictConfig) -> bool:
    """Whether the labeller labels with a model (its class's ``needs_model``; gold: no)."""
    node = cfg.get("labeler")
    if not isinstance(node, DictConfig):
        return True
    return bool(getattr(_class_of(node), "needs_model", True))


def _corpus(cfg: DictConfig, key: str, lang: str, split: str) -> list[str]:
    node = cfg.get(key)
    if not isinstance(node, DictConfig):
        return []
    try:
        source = build(node)
        missing = source.unavailable(lang, split)
        if missing:
            other = " or data@source_data=europarl (any local English corpus)"
            return [f"{missing}; set {key}.root=/local/folder{other if key != 'data' else ''}"]
        if not source.has_split(lang, split):
            return [_in_terms_of(source.missing(lang, split), key)]
    except XnerError as err:
        return [_in_terms_of(str(err), key)]
    return []


def _in_terms_of(message: str, key: str) -> str:
    """Sources name ``data.root``; for the source corpus the option is ``source_data.root``."""
    return message if key == "data" else message.replace("data.root", f"{key}.root")


def _checkpoint(name: object, option: str) -> list[str]:
    from xner.hub import check_checkpoint
    from xner.models.registry import resolve_checkpoint

    if not name or not isinstance(name, str):
        return []
    try:
        check_checkpoint(resolve_checkpoint(name), option)
    except XnerError as err:
        return [str(err)]
    return []


def _translator(cfg: DictConfig, src: str, tgt: str) -> list[str]:
    node = cfg.translator
    target = str(node.get("_target_", ""))
    if target.endswith("LexiconTranslator"):  # building it may write a corpus: check the file
        path = node.get("path")
        if path is None and not hasattr(_data_class(cfg), "lexicon_path"):
            return [
                f"translator=lexicon needs translator.path=<{src}-{tgt} TSV dictionary> "
                f"(only the synthetic corpus ships one)"
            ]
        if path is not None and not Path(str(path)).is_file():
            return [f"translator.path={path}: no such lexicon file"]
        return []
    try:
        build(node).check(src, tgt)
    except XnerError as err:
        return [str(err)]
    return []


def _markers(cfg: DictConfig, task: str) -> list[str]:
    """``projector=markers`` needs a translator that carries markers through translation (in
    ``task``: translate-test's back-translation translator, translate-train's own)."""
    if not str(cfg.projector.get("_target_", "")).endswith("MarkerProjector"):
        return []
    back = (cfg.get("pipeline") or {}).get("backtranslation") or {}
    node = back.get("translator") if task == "translate_test" else None
    try:
        build(cfg.projector).style_for(build(node or cfg.translator))
    except XnerError as err:
        return [str(err)]
    return []


def _data_class(cfg: DictConfig) -> type | None:
    return _class_of(cfg.data)


def _class_of(node: DictConfig) -> type | None:
    """The class a node's allowed ``_target_`` names (imported, not built); None otherwise."""
    from hydra.utils import get_class

    from xner.config import allowed_target

    target = str(node.get("_target_"))
    try:
        return get_class(target) if allowed_target(target) else None
    except Exception:
        return None
