"""Rerun: metric comparison, the re-execution command, and a rerun against a fake app."""

import json
import os
import sys
from pathlib import Path

import pytest
import yaml
from hydra.core.override_parser.overrides_parser import OverridesParser

from helpers import mlflow_store
from xner.errors import ConfigError, XnerError
from xner.paths import PROJECT_ROOT
from xner.run.rerun import (
    MetricCheck,
    app_command,
    compare_metrics,
    format_result,
    launch,
    rerun,
    rerun_overrides,
)
from xner.tracking.store import resolve_run

ORIGINAL = {"test/f1": 0.5, "val/f1": 0.4, "train/loss": 1.0, "test/f1_PER": 0.3}
AGAIN = {"test/f1": 0.5, "val/f1": 0.41, "train/loss": 2.0, "test/precision": 0.2}


def test_compare_metrics_exact_and_with_tolerance():
    assert compare_metrics(ORIGINAL, AGAIN) == [
        MetricCheck("test/f1", 0.5, 0.5, True),
        MetricCheck("test/f1_PER", 0.3, None, False),
        MetricCheck("test/precision", None, 0.2, False),
        MetricCheck("val/f1", 0.4, 0.41, False),
    ]
    assert compare_metrics(ORIGINAL, AGAIN, ["val/*"], tolerance=0.02) == [
        MetricCheck("val/f1", 0.4, 0.41, True)
    ]
    assert compare_metrics({"test/f1": float("nan")}, {"test/f1": float("nan")})[0].ok
    assert compare_metrics(ORIGINAL, ORIGINAL, ["*"]) == [
        MetricCheck(name, ORIGINAL[name], ORIGINAL[name], True) for name in sorted(ORIGINAL)
    ]


def test_rerun_overrides_parse_back_in_hydra():
    overrides = ["lang=de", "+experiment=quickstart", "hydra/launcher=joblib", "tracking.uri=x"]
    command = app_command("train.py", overrides, "sqlite:////tmp/a b/m.db", "12e45")
    assert command[:2] == [sys.executable, str(PROJECT_ROOT / "train.py")]
    assert app_command("project", [], "u", "r")[1] == str(PROJECT_ROOT / "project.py")
    assert command[2:] == rerun_overrides(overrides, "sqlite:////tmp/a b/m.db", "12e45")
    parsed = OverridesParser.create().parse_overrides(command[2:])
    assert [(o.key_or_group, o.value()) for o in parsed] == [
        ("lang", "de"),
        ("experiment", "quickstart"),
        ("tracking.uri", "sqlite:////tmp/a b/m.db"),
        ("tracking.skip_finished", False),
        ("tracking.tags", {"xner.rerun_of": "12e45"}),
    ]


def test_launch_runs_in_the_repo_root_on_the_given_store(tmp_path):
    script = tmp_path / "app.py"
    script.write_text(
        "import json, os, sys\n"
        "json.dump([os.getcwd(), os.environ['MLFLOW_TRACKING_URI'], sys.argv[1:]],"
        f" open({str(tmp_path / 'seen.json')!r}, 'w'))\n"
        "sys.exit(3)\n"
    )
    assert launch([sys.executable, str(script), "a=1"], "sqlite:///s.db") == 3
    seen = json.loads((tmp_path / "seen.json").read_text())
    assert seen == [str(PROJECT_ROOT), "sqlite:///s.db", ["a=1"]]


CONFIG = {"lang": "de", "seed": 1, "model": {"lr": 0.1}, "tracking": {"uri": "old"}}


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    root = tmp_path_factory.mktemp("mlflow")
    uri, client, exp = mlflow_store(root)
    run_id = client.create_run(exp, run_name="orig", tags={"xner.app": "train"}).info.run_id
    client.log_text(run_id, yaml.safe_dump(CONFIG), "config/config.yaml")
    client.log_text(run_id, yaml.safe_dump(["lang=de", "model.lr=0.1"]), "config/overrides.yaml")
    for name, value in ORIGINAL.items():
        client.log_metric(run_id, name, value)
    client.set_terminated(run_id)
    return {"uri": uri, "client": client, "experiment": exp, "run_id": run_id}


def fake_app(store, metrics, config):
    """A runner standing in for train.py: logs a run tagged the way tracking.py does."""
    calls = []

    def runner(command, uri):
        calls.append((list(command), uri))
        parsed = OverridesParser.create().parse_overrides(command[2:])
        values = {o.key_or_group: o.value() for o in parsed}
        tags, name = values["tracking.tags"], values.get("tracking.run_name")
        client = store["client"]
        run_id = client.create_run(store["experiment"], run_name=name, tags=tags).info.run_id
        client.log_text(run_id, yaml.safe_dump(config), "config/config.yaml")
        for name, value in metrics.items():
            client.log_metric(run_id, name, value)
        client.set_terminated(run_id)
        return 0

    return runner, calls


def test_rerun_that_matches(store):
    new_config = {**CONFIG, "tracking": {"uri": store["uri"]}}
    runner, calls = fake_app(store, ORIGINAL, new_config)
    result = rerun("orig", store["uri"], runner=runner)
    assert result.original_id == store["run_id"]
    assert result.matches
    assert result.drift == []
    assert [c.name for c in result.checks] == ["test/f1", "test/f1_PER", "val/f1"]
    ((command, uri),) = calls
    assert uri == store["uri"]
    assert command[1:4] == [str(PROJECT_ROOT / "train.py"), "lang=de", "model.lr=0.1"]
    assert store["client"].get_run(result.rerun_id).data.tags["xner.rerun_of"] == store["run_id"]
    text = format_result(result)
    assert text.endswith("\nmetrics match\n")


EXPECTED_DIFFER = """\
original = {o}
rerun    = {r}

metric       original  rerun  difference
test/f1      0.5       0.25   -0.25       DIFFERS
test/f1_PER  0.3       0.3    +0          ok
val/f1       0.4       0.4    +0          ok

config drift (config/config.yaml):
  key       original  rerun
  model.lr  0.1       0.2

metrics DIFFER
"""


def test_rerun_that_differs_reports_metrics_and_drift(store):
    drifted = {**CONFIG, "model": {"lr": 0.2}}
    runner, _ = fake_app(store, {**ORIGINAL, "test/f1": 0.25}, drifted)
    result = rerun(store["run_id"], store["uri"], runner=runner)
    assert not result.matches
    assert [c for c in result.checks if not c.ok] == [MetricCheck("test/f1", 0.5, 0.25, False)]
    assert result.drift == [("model.lr", 0.1, 0.2)]
    assert format_result(result) == EXPECTED_DIFFER.format(o=store["run_id"], r=result.rerun_id)


def test_failed_rerun_is_an_error(store):
    with pytest.raises(XnerError, match="exited with 3"):
        rerun(store["run_id"], store["uri"], runner=lambda command, uri: 3)


def test_rerun_recomputes_in_a_fresh_cache_under_a_new_name(store, tmp_path, capsys):
    seen = {}
    runner, calls = fake_app(store, ORIGINAL, CONFIG)

    def recording(command, uri):
        parsed = OverridesParser.create().parse_overrides(command[2:])
        values = {o.key_or_group: o.value() for o in parsed}
        cache = values["cache.dir"]
        seen["cache"] = cache
        seen["empty"] = os.path.isdir(cache) and not os.listdir(cache)
        (Path(cache) / "translate").mkdir()  # what the job writes there goes with the folder
        return runner(command, uri)

    result = rerun("orig", store["uri"], runner=recording)
    assert seen["empty"] and not os.path.exists(seen["cache"])
    assert "every stage recomputed in an empty cache" in capsys.readouterr().err
    new = store["client"].get_run(result.rerun_id)
    assert new.info.run_name == "orig (rerun)"
    assert resolve_run(store["client"], "orig").info.run_id == store["run_id"]

    rerun("orig", store["uri"], runner=runner, cached=True)
    cached_command = calls[-1][0]
    assert not any(o.startswith("cache.dir=") for o in cached_command)
    assert cached_command[-1] == "++tracking.run_name='orig (rerun)'"
    # two reruns now share a name: the error lists both, newest first
    reruns = store["client"].search_runs(
        [store["experiment"]],
        "attributes.run_name = 'orig (rerun)'",
        order_by=["attributes.start_time DESC"],
    )
    with pytest.raises(ConfigError) as err:
        resolve_run(store["client"], "orig (rerun)")
    message = str(err.value)
    assert "is not unique" in message and "give the run id (" in message
    listed = [run.info.run_id for run in reruns]
    assert len(listed) >= 2
    assert [message.index(run_id) for run_id in listed] == sorted(
        message.index(run_id) for run_id in listed
    )
    assert "UTC, FINISHED)" in message


def test_rerun_overrides_replace_the_stored_name_and_cache():
    stored = ["lang=de", "cache.dir=/old", "tracking.run_name=x", "+tracking.run_name=y"]
    fresh = rerun_overrides(stored, "u", "r1", "x (rerun)", "/tmp/c")
    assert fresh[:1] == ["lang=de"]
    assert fresh[-2:] == ["++tracking.run_name='x (rerun)'", "cache.dir='/tmp/c'"]
    assert rerun_overrides(stored, "u", "r1")[:2] == ["lang=de", "cache.dir=/old"]
