"""Checks that need no data: what would make a job fail before it reads a sentence.

A sweep asks them of every job before it creates any MLflow run (all jobs failing is one
``error:`` line, exit 2); a job that fails them alone ends as a FAILED run with the reason.
Checked: the corpora (a local ``root`` that is missing, a download that cannot happen
offline, a language the corpus lacks), the checkpoints on the Hugging Face hub (offline and
not cached), the translator (its languages, in both directions for the ensemble, its model,
a lexicon file, whether it carries markers for ``projector=markers``), teacher-student's
``method.teacher_weights`` and the settings (``score_mode``, unknown keys under ``model``,
``teacher``, ``student`` and ``trainer``).
"""

from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from xner.config import build
from xner.errors import XnerError
from xner.methods.context import method_of
from xner.tracking.names import PROJECTION_METHODS

# The pipelines a projection method runs (default: the one named like it).
TASKS_OF = {"ensemble": ("translate_test", "translate_train")}


def problems(cfg: DictConfig) -> list[str]:
    """One line per reason this job cannot run; empty when it can start."""
    method = method_of(cfg)
    lang, source_lang = str(cfg.lang), str(cfg.source_lang)
    uses_model = not (method == "translate_test" and _gold_labels(cfg))
    # a source training split is read to train the source model or, in translate-train, as
    # the labelled data; translate-test with gold labels needs neither
    needs_source = method != "supervised" and (uses_model or method != "translate_test")
    found = [*_corpus(cfg, "data", lang, "test")]
    for source in _source_langs(cfg, method) if needs_source else []:
        found += _corpus(cfg, "source_data", source, "train")
    if uses_model and isinstance(cfg.get("model"), DictConfig):
        found += _checkpoint(cfg.model.get("checkpoint"), "model.checkpoint")
        found += _checkpoint(cfg.model.get("source_checkpoint"), "model.source_checkpoint")
    if method in PROJECTION_METHODS:
        for task in TASKS_OF.get(method, (method,)):
            src, tgt = (lang, source_lang) if task == "translate_test" else (source_lang, lang)
            found += _translator(cfg, src, tgt)
            found += _markers(cfg, task)
        found += _checkpoint(cfg.aligner.get("model"), "aligner.model")
        if not _gold_labels(cfg) and not OmegaConf.is_missing(cfg.labeler, "checkpoint"):
            found += _checkpoint(cfg.labeler.get("checkpoint"), "labeler.checkpoint")
        from xner.pipeline.from_config import unknown_keys

        found += unknown_keys(cfg.get("pipeline"))
    if method == "teacher_student":
        found += _teacher_weights(cfg)
    return list(dict.fromkeys(found + _settings(cfg)))


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


def _teacher_weights(cfg: DictConfig) -> list[str]:
    """``method.teacher_weights=similarity`` needs source text; its settings must be known."""
    from xner.methods.teacher_weights import SIMILARITY, similarity_settings, weights_problem

    node = cfg.method
    weights = node.get("teacher_weights")
    problem = weights_problem(weights, list(node.get("teachers") or []))
    if problem:
        return [problem]
    if weights == SIMILARITY:
        try:
            similarity_settings(OmegaConf.to_container(node.get("similarity") or {}, resolve=True))
        except XnerError as err:
            return [str(err)]
    return []


def _source_langs(cfg: DictConfig, method: str) -> list[str]:
    """Teacher-student trains one teacher per ``source_langs``; other methods use source_lang."""
    langs = cfg.get("source_langs") if method == "teacher_student" else None
    if not langs:
        return [str(cfg.source_lang)]
    return [str(langs)] if isinstance(langs, str) else [str(x) for x in langs]


def _gold_labels(cfg: DictConfig) -> bool:
    return str(cfg.labeler.get("_target_", "")).endswith("GoldLabeler")


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
    from hydra.utils import get_class

    try:
        return get_class(str(cfg.data.get("_target_")))
    except Exception:
        return None
