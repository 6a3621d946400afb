"""The ``pipeline`` config group and the Pipeline built from a config (in-process compose)."""

from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir

from helpers import CONF_DIR
from xner.config import register_resolvers
from xner.errors import ConfigError
from xner.pipeline.cache import StageCache
from xner.pipeline.from_config import build_pipeline, pipeline_settings
from xner.pipeline.side_inputs import TargetLabels
from xner.run.preflight import problems

CONF = str(CONF_DIR)
register_resolvers()


def project_config(*overrides: str):
    with initialize_config_dir(CONF, version_base="1.3"):
        return compose("project", overrides=list(overrides))


def test_pipeline_overrides_reach_the_stages(tmp_path: Path):
    cfg = project_config(
        "pipeline.max_translation_ratio=2.0",
        "pipeline.translation_length_slack=4",
        "+labeler@pipeline.target_labeler=gold",
        "pipeline.target_labeler.lang=syn",
    )
    pipeline = build_pipeline(cfg, "translate_test", StageCache(tmp_path))
    assert (pipeline.translate.max_length_ratio, pipeline.translate.length_slack) == (2.0, 4)
    assert isinstance(pipeline.side_inputs.target_labeler, TargetLabels)
    assert pipeline.side_inputs.target_labeler.config["lang"] == "syn"
    assert pipeline.side_inputs.nmt_scorer is None and pipeline.backtranslate is None
    assert pipeline.label is not None and pipeline.label.config["lang"] == "en"


def test_backtranslation_comes_from_the_aligner_via(tmp_path: Path):
    cfg = project_config("aligner.via=backtranslation", "pipeline.backtranslation.threshold=0.7")
    pipeline = build_pipeline(cfg, "translate_train", StageCache(tmp_path))
    assert pipeline.align.aligner.via == "backtranslation" and pipeline.label is None
    assert pipeline.backtranslate is not None
    assert pipeline.backtranslate.backtranslation.threshold == 0.7
    assert pipeline.backtranslate.config["translator"] == pipeline.translate.config


@pytest.mark.parametrize(
    "override, key",
    [
        ("+pipeline.max_ratio=2", "pipeline.max_ratio"),
        ("+pipeline.backtranslation.treshold=0.4", "pipeline.backtranslation.treshold"),
    ],
)
def test_an_unknown_pipeline_key_is_refused_naming_it(override: str, key: str):
    with pytest.raises(ConfigError, match=rf"^{key}: unknown key \(known: "):
        pipeline_settings(project_config(override))
    # preflight names it too, before any MLflow run is started
    found = problems(project_config(override))
    assert any(line.startswith(f"{key}: unknown key") for line in found)


def test_a_missing_labeler_checkpoint_is_asked_for_last(tmp_path: Path):
    cfg = project_config("labeler=model")
    with pytest.raises(ConfigError, match="labeler=model needs labeler.checkpoint="):
        build_pipeline(cfg, "translate_test", StageCache(tmp_path))
    asked = []

    def source_model() -> str:
        asked.append(1)
        return "minilm"

    bad = project_config("labeler=model", "aligner.via=pivot")
    with pytest.raises(ConfigError, match="aligner.via='pivot'"):
        build_pipeline(bad, "translate_test", StageCache(tmp_path), source_model)
    assert not asked  # a bad config is refused before the source model is trained


def test_a_config_without_a_pipeline_node_gets_the_shipped_settings():
    from omegaconf import OmegaConf

    settings = pipeline_settings(OmegaConf.create({"lang": "syn"}))
    shipped = pipeline_settings(project_config())
    assert (settings.max_translation_ratio, settings.translation_length_slack) == (3.0, 10)
    assert (
        settings.backtranslation
        == shipped.backtranslation
        == {
            "translator": None,
            "threshold": 0.5,
        }
    )
