"""Config diff: exactly the changed keys, on plain dicts and on two runs logged to MLflow."""

import json
import os
import subprocess
import sys
from argparse import Namespace

import pytest
import yaml

from helpers import mlflow_store
from xner.errors import ConfigError, DataError
from xner.evaluation.config_diff import (
    LEGEND,
    MISSING,
    diff_configs,
    diff_documents,
    diff_runs,
    env_section,
    format_diff,
)
from xner.evaluation.config_diff import run as diff_command
from xner.paths import PROJECT_ROOT

CONFIG_A = {
    "lang": "de",
    "seed": 1,
    "model": {"name": "minilm", "lr": 0.001, "layers": [1, 2, 3]},
    "projector": {"_target_": "xner.project.ILPProjector", "max_len": 10},
    "tracking": {"uri": "sqlite:///x.db"},
}
CONFIG_B = {
    "lang": "de",
    "seed": 2,
    "model": {"name": "minilm", "lr": 0.002, "layers": [1, 2]},
    "projector": {"_target_": "xner.project.ILPProjector", "max_len": 10, "n_proj": 1},
    "tracking": {"uri": "sqlite:///x.db"},
}
ENV_A = {
    "python": "3.11.2",
    "packages": {"torch": "2.13.0", "mlflow": "3.17.2"},
    "git_commit": "aaa",
    "git_dirty": False,
    "app": "train.py",
    "overrides": ["seed=1"],
    "data_fingerprints": {"europarl/de": "111"},
}
ENV_B = {
    **ENV_A,
    "packages": {"torch": "2.12.0", "mlflow": "3.17.2"},
    "git_commit": "bbb",
    "overrides": ["seed=2", "model.lr=0.002"],
    "data_fingerprints": {"europarl/de": "222", "europarl/en": "333"},
}


def test_diff_configs_finds_exactly_the_changed_keys():
    assert diff_configs(CONFIG_A, CONFIG_B) == [
        ("seed", 1, 2),
        ("model.lr", 0.001, 0.002),
        ("model.layers[2]", 3, MISSING),
        ("projector.n_proj", MISSING, 1),
    ]
    assert diff_configs(CONFIG_A, CONFIG_A) == []
    assert diff_configs(CONFIG_B, CONFIG_A)[2:] == [
        ("model.layers[2]", MISSING, 3),
        ("projector.n_proj", 1, MISSING),
    ]


def test_diff_configs_types_and_shapes():
    assert diff_configs({"x": 1}, {"x": "1"}) == [("x", 1, "1")]
    assert diff_configs({"x": 1}, {"x": True}) == [("x", 1, True)]
    assert diff_configs({"x": {"a": 1}}, {"x": 5}) == [("x", {"a": 1}, 5)]
    assert diff_configs({"x": [{"a": 1}, 2]}, {"x": [{"a": 0}, 2, 3]}) == [
        ("x[0].a", 1, 0),
        ("x[2]", MISSING, 3),
    ]
    assert diff_configs({"x": None}, {}) == [("x", None, MISSING)]
    assert repr(MISSING) == "<missing>"


def test_environment_sections():
    assert env_section("git_commit") == "git"
    assert env_section("packages.torch") == "packages"
    assert env_section("data_fingerprints.europarl/de") == "data fingerprints"
    assert env_section("python") == "environment"
    diff = diff_documents(CONFIG_A, CONFIG_B, ENV_A, ENV_B, "A", "B")
    assert diff.sections == {
        "config": diff_configs(CONFIG_A, CONFIG_B),
        "git": [("git_commit", "aaa", "bbb")],
        "packages": [("torch", "2.13.0", "2.12.0")],
        "data fingerprints": [("europarl/de", "111", "222"), ("europarl/en", MISSING, "333")],
        "stage code": [],
        "environment": [],
    }
    assert not diff.identical
    same = diff_documents(CONFIG_A, CONFIG_A, ENV_A, {**ENV_A, "overrides": []}, "A", "C")
    assert same.identical


EXPECTED_TEXT = """\
A = {a}
B = {b}

config: 4 differences
  key               A          B
  seed              1          2
  model.lr          0.001      0.002
  model.layers[2]   3          <missing>
  projector.n_proj  <missing>  1

git: 1 difference
  key         A    B
  git_commit  aaa  bbb

packages: 1 difference
  key    A       B
  torch  2.13.0  2.12.0

data fingerprints: 2 differences
  key          A          B
  europarl/de  111        222
  europarl/en  <missing>  333

<missing>: not recorded in that run; <recorded>: that run recorded the stage's code \
fingerprints (the other never ran the stage)
"""


def test_format_diff():
    diff = diff_documents(CONFIG_A, CONFIG_B, ENV_A, ENV_B, "ida", "idb")
    assert format_diff(diff) == EXPECTED_TEXT.format(a="ida", b="idb")
    env = {**ENV_A, "git_dirty": True}
    dirty = diff_documents(CONFIG_A, CONFIG_A, env, env, "x", "y")
    assert format_diff(dirty) == (
        "A = x\nB = y\n"
        "note: uncommitted code changes (git_dirty) are compared only as stage code\n"
        "identical: resolved config, git commit, packages, data fingerprints and stage code\n"
    )


# --- two runs logged to a temporary MLflow store ------------------------------------------


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    root = tmp_path_factory.mktemp("mlflow")
    uri, client, exp = mlflow_store(root)

    def log(name, config, env, metrics=None, tags=None):
        tags = {"git_commit": "tagged", **(tags or {})}
        run_id = client.create_run(exp, run_name=name, tags=tags).info.run_id
        for key, value in (metrics or {}).items():
            client.log_metric(run_id, key, value)
        if config is not None:
            client.log_text(run_id, yaml.safe_dump(config, sort_keys=False), "config/config.yaml")
        if env is not None:
            client.log_text(run_id, json.dumps(env), "config/environment.json")
        client.set_terminated(run_id)
        return run_id

    ids = {
        "a": log("run-a", CONFIG_A, ENV_A),
        "b": log("run-b", CONFIG_B, ENV_B),
        "c": log("run-c", CONFIG_A, ENV_A),
        "bare": log("bare", CONFIG_A, None),
        "noconfig": log("noconfig", None, ENV_A),
    }
    log("dup", CONFIG_A, ENV_A)
    log("dup", CONFIG_A, ENV_A)
    tags = {"xner.pid": "1", "mlflow.user": "ada", "seed": "1"}
    ids["m-a"] = log("m-a", CONFIG_A, ENV_A, {"test/f1": 0.5, "val/f1": 0.4}, tags)
    tags = {"xner.pid": "2", "mlflow.user": "bob", "xner.rerun_of": ids["m-a"], "seed": "1"}
    ids["m-b"] = log("m-b", CONFIG_A, ENV_A, {"test/f1": 0.25, "val/f1": 0.4}, tags)
    return {"uri": uri, "client": client, "ids": ids}


def test_diff_of_two_logged_runs(store):
    ids = store["ids"]
    diff = diff_runs(store["client"], ids["a"], "run-b")  # an id or a unique run name
    assert (diff.run_a, diff.run_b) == (ids["a"], ids["b"])
    assert diff.sections == diff_documents(CONFIG_A, CONFIG_B, ENV_A, ENV_B, "", "").sections
    assert diff_runs(store["client"], ids["a"], ids["c"]).identical
    only_model = diff_runs(
        store["client"], "run-a", "run-b", ignore=["seed", "projector", "model.l"]
    )
    assert only_model.sections["config"] == [
        ("model.lr", 0.001, 0.002),
        ("model.layers[2]", 3, MISSING),
    ]


def test_git_commit_falls_back_to_the_tag(store):
    diff = diff_runs(store["client"], store["ids"]["a"], "bare")
    assert diff.sections["git"] == [("git_commit", "aaa", "tagged"), ("git_dirty", False, MISSING)]
    assert diff.sections["config"] == []


def test_diff_errors(store):
    with pytest.raises(DataError, match="has no artifact config/config.yaml"):
        diff_runs(store["client"], "run-a", "noconfig")
    with pytest.raises(ConfigError, match="'dup' is not unique"):
        diff_runs(store["client"], "run-a", "dup")
    with pytest.raises(ConfigError, match="no run with id or name 'nothing'"):
        diff_runs(store["client"], "run-a", "nothing")


def test_diff_command_identical_is_exit_0(store, capsys):
    args = Namespace(run_a="run-a", run_b="run-c", ignore=[], tracking_uri=store["uri"])
    assert diff_command(args) == 0
    assert capsys.readouterr().out.endswith(
        "identical: resolved config, git commit, packages, data fingerprints and stage code\n"
    )


def test_cli_diff_different_is_exit_1(store):
    ids = store["ids"]
    result = subprocess.run(
        [sys.executable, "evaluate.py", "diff", ids["a"], "run-b"],
        cwd=PROJECT_ROOT,
        env={**os.environ, "MLFLOW_TRACKING_URI": store["uri"]},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1, result.stderr
    assert result.stdout == EXPECTED_TEXT.format(a=ids["a"], b=ids["b"])


def test_stage_code_differences_name_the_stage_and_the_module():
    code_a = {
        "align": {
            "parts": {"xner.align.eflomal:EflomalAligner": "aaa", "xner.align.base": "bbb"},
            "libraries": {"eflomal": "2.0.0"},
        }
    }
    code_b = {
        "align": {
            "parts": {"xner.align.eflomal:EflomalAligner": "ccc", "xner.align.base": "bbb"},
            "libraries": {"eflomal": "2.0.1"},
        },
        "label": {"parts": {"xner.labelers:GoldLabeler": "ddd"}, "libraries": {}},
    }
    env_a, env_b = {**ENV_A, "stage_code": code_a}, {**ENV_A, "stage_code": code_b}
    diff = diff_documents(CONFIG_A, CONFIG_A, env_a, env_b, "A", "B")
    assert diff.sections["stage code"] == [
        ("align: xner.align.eflomal:EflomalAligner", "aaa", "ccc"),
        ("align: eflomal", "2.0.0", "2.0.1"),
        ("label", MISSING, "<recorded>"),
    ]
    assert not diff.identical and "stage code: 3 differences" in format_diff(diff)
    older = diff_documents(CONFIG_A, CONFIG_A, ENV_A, env_a, "A", "B")  # logged before this
    assert older.sections["stage code"] == [("all stages", MISSING, "<recorded>")]


def test_diff_escapes_control_characters_in_keys_and_values():
    config_b = {**CONFIG_A, "lang": "\x1b[2J\x1b[31mde\u202e", "\x1b]0;title\x07": 1}
    text = format_diff(diff_documents(CONFIG_A, config_b, ENV_A, ENV_A, "A", "B"))
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert text.endswith(
        "  key               A          B\n"
        "  lang              de         \\x1b[2J\\x1b[31mde\\u202e\n"
        "  \\x1b]0;title\\x07  <missing>  1\n"
        f"\n{LEGEND}\n"
    )


# --- crafted artifacts: refused in one line, nothing run --------------------------------------

PAYLOAD = "!!python/object/apply:os.system ['touch {marker}']\n"


@pytest.mark.parametrize(
    ("command", "artifact"),
    [("diff", "config/config.yaml"), ("rerun", "config/overrides.yaml")],
)
def test_a_crafted_yaml_artifact_is_refused_in_one_line(tmp_path, command, artifact):
    uri, client, exp = mlflow_store(tmp_path)
    marker = tmp_path / "payload-ran"
    ids = []
    for name in ("crafted", "plain"):
        run_id = client.create_run(exp, run_name=name).info.run_id
        client.log_text(run_id, yaml.safe_dump(CONFIG_A), "config/config.yaml")
        client.log_text(run_id, "[]\n", "config/overrides.yaml")
        ids.append(run_id)
        client.set_terminated(run_id)
    client.log_text(ids[0], PAYLOAD.format(marker=marker), artifact)
    result = subprocess.run(
        [sys.executable, "evaluate.py", command, *ids[: 2 if command == "diff" else 1]],
        cwd=PROJECT_ROOT,
        env={**os.environ, "MLFLOW_TRACKING_URI": uri},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr == (
        f"error: run {ids[0]}: artifact {artifact} line 1 is not plain YAML (could not determine a "
        "constructor for the tag 'tag:yaml.org,2002:python/object/apply:os.system'); refused\n"
    )
    assert not marker.exists()


def test_a_broken_environment_artifact_is_refused_in_one_line(store):
    client, run_id = store["client"], store["ids"]["c"]
    client.log_text(run_id, "{not json", "config/environment.json")
    with pytest.raises(DataError, match=r"artifact config/environment.json is not valid JSON"):
        diff_runs(client, store["ids"]["a"], run_id)


def test_diff_shows_metrics_and_tags_without_counting_them(store, capsys):
    ids = store["ids"]
    args = Namespace(run_a="m-a", run_b="m-b", ignore=[], tracking_uri=store["uri"])
    assert diff_command(args) == 0  # same inputs: metrics and tags do not change the status
    assert capsys.readouterr().out == (
        f"A = {ids['m-a']}\nB = {ids['m-b']}\n"
        "identical: resolved config, git commit, packages, data fingerprints and stage code\n"
        "\nmetrics: 1 difference (shown, not counted in the exit status)\n"
        "  key      A    B\n"
        "  test/f1  0.5  0.25\n"
        "\ntags: 1 difference (shown, not counted in the exit status)\n"
        "  key            A          B\n"
        f"  xner.rerun_of  <missing>  {ids['m-a']}\n"
        "\n<missing>: not recorded in that run; <recorded>: that run recorded the stage's code "
        "fingerprints (the other never ran the stage)\n"
    )
