"""From a Hydra config to a :class:`~xner.pipeline.pipeline.Pipeline`: every stage built once,
before any work runs, each with the config that keys its cache entries.

Shared by ``project.py`` and the ``translate_test`` / ``translate_train`` methods of
``train.py``, so both run exactly the same pipeline from the same config groups: ``translator``,
``labeler`` (translate_test only), ``aligner`` (its ``via``: direct or back-translation),
``projector`` and ``pipeline`` (:class:`PipelineSettings`).
"""

from collections.abc import Callable, Mapping
from typing import Any

from omegaconf import DictConfig, OmegaConf

from xner.align.base import VIAS, Aligner
from xner.config import build, group_config
from xner.errors import ConfigError
from xner.options import one_of
from xner.paths import CONF_DIR
from xner.pipeline.backtranslation import BackTranslation
from xner.pipeline.cache import StageCache
from xner.pipeline.pipeline import Pipeline
from xner.pipeline.side_inputs import SideInputs
from xner.pipeline.stages import Align, BackTranslate, Label, Project, Translate, TranslateMarked
from xner.project.markers import MarkerProjector
from xner.translate.base import Translator

TASKS = ("translate_test", "translate_train")
BACKTRANSLATION_KEYS = ("translator", "threshold")


SETTINGS_KEYS = ("max_translation_ratio", "translation_length_slack", "backtranslation")


def unknown_keys(node: Mapping[str, Any] | None) -> list[str]:
    """One line per key of a ``pipeline`` node that no setting or side input reads."""
    if not node:
        return []
    known = [*SETTINGS_KEYS, *SideInputs.names()]
    found = [
        f"pipeline.{key}: unknown key (known: {', '.join(known)})"
        for key in node
        if key != "_target_" and key not in known
    ]
    backtranslation = node.get("backtranslation") or {}
    return found + [
        f"pipeline.backtranslation.{key}: unknown key (known: {', '.join(BACKTRANSLATION_KEYS)})"
        for key in backtranslation
        if key not in BACKTRANSLATION_KEYS
    ]


class PipelineSettings:
    """The ``pipeline`` config group: translation guards, back-translation, side inputs.

    Every other key names a side input (a field of :class:`SideInputs`, null: not used); an
    unknown key is refused, naming it (also by preflight, before any run starts).
    """

    def __init__(
        self,
        max_translation_ratio: float | None,
        translation_length_slack: int,
        backtranslation: Mapping[str, Any] | None,
        **side_inputs: Any,
    ) -> None:
        self.backtranslation = group_config(backtranslation)
        found = unknown_keys({**side_inputs, "backtranslation": self.backtranslation})
        if found:
            raise ConfigError(found[0])
        self.max_translation_ratio = max_translation_ratio
        self.translation_length_slack = int(translation_length_slack)
        self.side_inputs = SideInputs.build(side_inputs)

    def translate(self, node: DictConfig) -> Translate:
        """The translate stage of the ``translator`` node, with these guards."""
        return Translate(
            build(node),
            group_config(node),
            self.max_translation_ratio,
            self.translation_length_slack,
        )

    def marker_translation(
        self, translate: Translate, projector: MarkerProjector, task: str
    ) -> TranslateMarked:
        """The translator markers go through: translate-train's own; translate-test's
        back-translation translator (``pipeline.backtranslation.translator``, default the
        ``translator``)."""
        node = self.backtranslation.get("translator") if task == "translate_test" else None
        translator = build(node) if node else translate.translator
        config = group_config(node) if node else translate.config
        return TranslateMarked(translator, config, projector.style_for(translator))

    def backtranslate(self, translator: DictConfig) -> BackTranslate:
        """The back-translation stage; its translator defaults to the ``translator`` node."""
        translator_cfg = self.backtranslation.get("translator") or group_config(translator)
        if "threshold" not in self.backtranslation:
            raise ConfigError("pipeline.backtranslation.threshold is missing (default.yaml: 0.5)")
        threshold = float(self.backtranslation["threshold"])
        return BackTranslate(
            BackTranslation(build(translator_cfg), threshold=threshold),
            {**self.backtranslation, "translator": translator_cfg},
        )


def pipeline_settings(cfg: DictConfig) -> PipelineSettings:
    """The ``pipeline`` node instantiated (its nested nodes stay configs: the stages' keys); a
    config without one (a run stored before the group existed) gets the shipped file's."""
    node = cfg.get("pipeline")
    if node is None:
        node = OmegaConf.load(CONF_DIR / "pipeline" / "default.yaml")
    return build(node, _recursive_=False)


def _labeler(cfg: DictConfig, source_checkpoint: Callable[[], str] | None) -> Label:
    """translate_test's labeller; ``labeler=model`` without a checkpoint asks
    ``source_checkpoint`` (train.py: the source model, trained once and cached)."""
    node = cfg.get("labeler")
    if node is None:
        raise ConfigError("translate_test needs a labeler (labeler=gold or labeler=model)")
    config = group_config(node)
    if isinstance(node, DictConfig) and OmegaConf.is_missing(node, "checkpoint"):
        if source_checkpoint is None:
            raise ConfigError(
                "labeler=model needs labeler.checkpoint=<HF id or folder> "
                "(train.py fills it with the source model)"
            )
        config["checkpoint"] = str(source_checkpoint())
    return Label(build(config), config)


def _check_languages(translate: Translate, back: BackTranslate | None, pairs: list) -> None:
    """A language a translator does not cover is refused here, before any data is read."""
    translators = [translate.translator, back.backtranslation.translator if back else None]
    for translator, pair in zip(translators, pairs, strict=True):
        check = getattr(translator, "check", None)
        if check is not None:
            check(*pair)


def _parallel_text(translator: Translator, aligner: Aligner, langs: tuple[str, str]) -> list:
    """All (source, target) pairs the translator knows (a reference translator: its whole
    parallel corpus), for an aligner that learns from text."""
    if not aligner.learns_from_text:
        return []
    known = getattr(translator, "parallel_text", None)
    return known(*langs) if known is not None else []


def build_pipeline(
    cfg: DictConfig,
    task: str,
    cache: StageCache,
    source_checkpoint: Callable[[], str] | None = None,
) -> Pipeline:
    """Every stage ``task`` needs, built from ``cfg``; a bad config is refused before
    ``source_checkpoint`` (which may train a model) is asked."""
    one_of("task", task, TASKS)
    own = pipeline_settings(cfg)
    aligner = build(cfg.aligner)
    one_of("aligner.via", aligner.via, VIAS)
    translate = own.translate(cfg.translator)
    back = own.backtranslate(cfg.translator) if aligner.via == "backtranslation" else None
    langs = (str(cfg.get("source_lang", "en")), str(cfg.lang))
    forward = langs[::-1] if task == "translate_test" else langs
    _check_languages(translate, back, [forward, langs])
    projector = build(cfg.projector)
    mark, parallel_text = None, []
    if isinstance(projector, MarkerProjector):
        if back is not None:
            raise ConfigError("projector=markers uses no aligner: drop aligner.via=backtranslation")
        mark = own.marker_translation(translate, projector, task)
    else:
        parallel_text = _parallel_text(translate.translator, aligner, langs)
    return Pipeline(
        cache,
        *langs,
        translate=translate,
        align=Align(aligner, group_config(cfg.aligner), parallel_text),
        project=Project(projector, group_config(cfg.projector)),
        label=_labeler(cfg, source_checkpoint) if task == "translate_test" else None,
        backtranslate=back,
        side_inputs=own.side_inputs,
        mark=mark,
    )
