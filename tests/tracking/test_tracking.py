"""Tracking: config flattening, URI precedence, and one MLflow run per Hydra job (real CLIs)."""

import json
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from helpers import composed, run_app, store_uri
from sweep_support import TINY
from xner.errors import ConfigError
from xner.methods.teacher_student import TeacherStudent
from xner.methods.translate_test import TranslateTest
from xner.tracking.connection import log_inputs_racing, refusal, tracking_uri
from xner.tracking.job_tags import config_hash, flatten, job_tags
from xner.tracking.names import FULL_NAME_TAG, variant_name
from xner.tracking.runs import fitted_name

TAGS = (
    "method",
    "lang",
    "dataset",
    "translator",
    "aligner",
    "projector",
    "model",
    "seed",
    "git_commit",
    "git_dirty",
)


def test_flatten_gives_dotted_keys_for_dicts_and_lists():
    assert flatten({"a": {"b": 1, "c": [2, {"d": None}]}, "e": {}}) == {
        "a.b": "1",
        "a.c.0": "2",
        "a.c.1.d": "None",
        "e": "{}",
    }


def test_tracking_uri_precedence(monkeypatch, tmp_path):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    assert tracking_uri(None).endswith("mlruns/mlflow.db")
    assert tracking_uri(None).startswith("sqlite:///")
    assert tracking_uri("http://127.0.0.1:5000") == "http://127.0.0.1:5000"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path}/x.db")
    assert tracking_uri(None) == f"sqlite:///{tmp_path}/x.db"
    assert tracking_uri("http://127.0.0.1:5000") == "http://127.0.0.1:5000"


@pytest.mark.parametrize(
    "uri",
    [
        "http://xner:s3cret@mlflow.example.org:5000",
        "postgresql://mlflow:s3cret@dbhost/mlflow",
        "postgresql+psycopg2://mlflow:s3cret@/mlflow?host=/tmp/pg",
    ],
)
def test_a_store_uri_holding_a_password_is_refused_without_echoing_it(uri, monkeypatch):
    with pytest.raises(ConfigError, match=r"holds a password") as caught:
        tracking_uri(uri)
    assert "s3cret" not in str(caught.value) and ":***@" in str(caught.value)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    with pytest.raises(ConfigError, match=r"holds a password"):
        tracking_uri()


def test_store_uris_without_a_password_pass_unchanged():
    for uri in (
        "http://127.0.0.1:5000",
        "https://xner@mlflow.example.org",
        "postgresql+psycopg2://mlflow@/mlflow?host=/tmp/pg",
        "sqlite:////tmp/a@b/mlflow.db",
    ):
        assert tracking_uri(uri) == uri


def test_a_refused_login_is_named_and_other_errors_are_not():
    body = "API request to endpoint /api/2.0/mlflow/experiments/get-by-name failed with error code"
    assert refusal(RuntimeError(f"{body} 401 != 200. Response body: 'not authenticated'")) == (
        "refused the login (HTTP 401): check MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD"
    )
    assert refusal(RuntimeError(f"{body} 403 != 200.")).startswith("refused access (HTTP 403)")
    assert refusal(RuntimeError(f"{body} 500 != 200.")) is None


def test_run_names_are_cut_to_what_postgresql_keeps_and_kept_whole_in_a_tag():
    tags = {}
    assert fitted_name("x" * 250, tags) == "x" * 250 and tags == {}
    name = "sweep " + "a=1 " * 100
    fitted = fitted_name(name, tags)
    assert len(fitted) == 250 and fitted.endswith("…") and name.startswith(fitted[:-1])
    assert tags == {FULL_NAME_TAG: name}


def test_config_hash_ignores_tracking_and_paths_but_not_the_method():
    base = {"method": {"_target_": "a"}, "tracking": {"uri": "x"}, "paths": {"root": "/a"}}
    moved = {**base, "tracking": {"uri": "y"}, "paths": {"root": "/b"}}
    other = {**base, "method": {"_target_": "b"}}
    assert config_hash(base) == config_hash(moved)
    assert config_hash(base) != config_hash(other)


def test_variant_splits_projection_methods_by_projector():
    assert variant_name(TranslateTest.kind, "ilp") == "translate_test[ilp]"
    assert variant_name(TeacherStudent.kind, "ilp") == "teacher_student"


def test_a_variant_file_with_a_column_names_its_own_variant_tag():
    """The human-translation columns of experiment=europarl_mt sit beside the MT ones."""
    choices = {"method": "translate_test", "projector": "ilp", "translator": "reference"}
    for column, expected in ((None, "translate_test[ilp]"), ("x[ilp@reference]", None)):
        tags = job_tags({"column": column, "lang": "es"}, "train", choices, None, "c", False)
        assert tags["variant"] == (expected or column)
    cfg = composed("train", "experiment=europarl_mt", "+variant=translate_test_ilp_reference")
    assert cfg.column == "translate_test[ilp@reference]"
    assert cfg.translator._target_.endswith("ReferenceTranslator")
    assert composed("train", "experiment=europarl_mt").translator._target_.endswith(
        "ApertiumTranslator"
    )


def _project(repo_root, tmp_path, *overrides, multirun=False):
    done = run_app(repo_root, tmp_path, "project.py", *TINY, *overrides, multirun=multirun)
    assert done.returncode == 0, done.stderr[-3000:]
    return MlflowClient(tracking_uri=store_uri(tmp_path)), done


@pytest.mark.slow
def test_one_job_creates_exactly_one_run_with_tags_and_config(repo_root, tmp_path):
    client, done = _project(repo_root, tmp_path, "projector=heuristic")
    assert "entities projected" in done.stdout
    experiment = client.get_experiment_by_name("xner")
    runs = client.search_runs([experiment.experiment_id])
    assert len(runs) == 1
    run = runs[0]
    assert run.info.status == "FINISHED"
    tags = run.data.tags
    for tag in TAGS:
        assert tag in tags, tag
    assert (tags["method"], tags["lang"], tags["dataset"]) == ("translate_test", "syn", "synthetic")
    assert (tags["translator"], tags["aligner"], tags["projector"]) == (
        "reference",
        "eflomal",
        "heuristic",
    )
    assert tags["variant"] == "translate_test[heuristic]"
    assert run.data.params["projector._target_"].endswith("HeuristicProjector")
    assert 0.0 < run.data.metrics["test/f1"] <= 1.0
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id, "config")}
    assert artifacts == {"config/config.yaml", "config/overrides.yaml", "config/environment.json"}
    path = client.download_artifacts(run.info.run_id, "config/environment.json", str(tmp_path))
    env = json.loads(Path(path).read_text())
    align = env["stage_code"]["align"]  # the code the cached stages were keyed on
    assert "xner.align.eflomal:EflomalAligner" in align["parts"] and "eflomal" in align["libraries"]


@pytest.mark.slow
def test_multirun_is_one_parent_with_one_child_per_job(tiny_project_sweep):
    tiny_project_sweep.check()  # project.py -m +debug=tiny projector=heuristic,ilp
    done, store = tiny_project_sweep, tiny_project_sweep.folder
    client = MlflowClient(tracking_uri=tiny_project_sweep.uri)
    experiment = client.get_experiment_by_name("xner")
    runs = client.search_runs([experiment.experiment_id])
    parents = [r for r in runs if r.data.tags.get("xner.role") == "parent"]
    children = [r for r in runs if "mlflow.parentRunId" in r.data.tags]
    assert len(parents) == 1 and len(children) == 2 and len(runs) == 3
    assert {c.data.tags["mlflow.parentRunId"] for c in children} == {parents[0].info.run_id}
    assert {c.data.tags["projector"] for c in children} == {"heuristic", "ilp"}
    assert all(r.info.status == "FINISHED" for r in runs)
    # the cache's size at the end: one translation and one alignment, a projection per job
    assert f"stage cache {store}/cache: " in done.stdout
    assert "translate 1 / " in done.stdout and "align 1 / " in done.stdout
    assert "project 2 / " in done.stdout


def test_source_tags_fill_mlflow_columns_and_never_carry_a_token(monkeypatch):
    import xner.tracking.provenance as tracking

    answers = {"rev-parse": "main", "config": "https://user:secret@example.org/xner.git"}
    monkeypatch.setattr(tracking, "_git_output", lambda args: answers[args[0]])
    tags = tracking.source_tags("train", commit="c" * 40)
    assert tags["mlflow.source.name"] == "train.py"
    assert tags["mlflow.source.git.commit"] == "c" * 40
    assert tags["mlflow.source.git.branch"] == "main"
    assert tags["mlflow.source.git.repoURL"] == "https://example.org/xner.git"


class _RacingClient:
    """A store whose first ``failures`` dataset inserts lose the race to a parallel job."""

    def __init__(self, failures: int, message: str):
        self.failures, self.message, self.calls = failures, message, 0

    def log_inputs(self, run_id, inputs):
        self.calls += 1
        if self.calls <= self.failures:
            raise RuntimeError(self.message)


def test_dataset_insert_that_lost_the_race_to_a_parallel_job_is_retried():
    lost = _RacingClient(2, 'duplicate key value violates unique constraint "dataset_pk"')
    log_inputs_racing(lost, "run", [])
    assert lost.calls == 3


def test_other_store_failures_and_a_race_lost_every_time_still_raise():
    refused = _RacingClient(1, "error code 403")
    with pytest.raises(RuntimeError, match="403"):
        log_inputs_racing(refused, "run", [])
    assert refused.calls == 1
    always = _RacingClient(10, "UNIQUE constraint failed: datasets.experiment_id")
    with pytest.raises(RuntimeError, match="UNIQUE"):
        log_inputs_racing(always, "run", [], attempts=3)
    assert always.calls == 3


CHOICES = {"translator": "lexicon", "aligner": "eflomal", "projector": "heuristic"}


@pytest.mark.parametrize("method", ["supervised", "model_transfer", "teacher_student"])
def test_a_method_without_projection_is_not_tagged_with_the_pipeline_parts(method):
    tags = job_tags(
        {"lang": "syn"}, "train", {**CHOICES, "method": method, "model": "m"}, None, "c", False
    )
    assert not {"translator", "aligner", "projector", "labeler"} & set(tags)
    assert tags["model"] == "m" and tags["variant"] == method


@pytest.mark.parametrize("method", ["translate_test", "translate_train"])
def test_a_projection_method_is_tagged_with_the_parts_it_ran(method):
    tags = job_tags({"lang": "syn"}, "train", {**CHOICES, "method": method}, None, "c", False)
    assert (tags["translator"], tags["aligner"], tags["projector"]) == (
        "lexicon",
        "eflomal",
        "heuristic",
    )
    assert tags["variant"] == f"{method}[heuristic]"


class _Tags:
    """A job run that keeps the tags set on it."""

    def __init__(self) -> None:
        self.tags: dict[str, str] = {}

    def set_tags(self, tags: dict[str, str]) -> None:
        self.tags.update(tags)

    def log_dataset(self, *args: object) -> None:
        pass


@pytest.mark.parametrize("method", ["supervised", "model_transfer"])
def test_label_drop_sets_the_labels_ignored_tag(method, tmp_path):
    from xner.methods.context import RunContext

    cfg = composed(
        "train", f"method={method}", "+debug=tiny", f"cache.dir={tmp_path}", "data.label_drop=[LOC]"
    )
    job = _Tags()
    context = RunContext(cfg, job)
    assert all("LOC" not in tag for s in context.target_split("test") for tag in s.tags)
    assert job.tags == {"labels.ignored": "LOC"}
