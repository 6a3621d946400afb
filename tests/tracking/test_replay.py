"""A crafted run in a shared store cannot make `evaluate.py rerun` run its code (issue 21).

Each payload is real and harmless: if it ran, it would create a marker file, which must not
appear. The runs are written with the plain MLflow client, as anyone with write access could.
"""

import json
import os
import pickle
import subprocess
import sys

import pytest
import yaml
from hydra.core.override_parser.overrides_parser import OverridesParser

from helpers import clean_env, error_line, mlflow_store, run_app_here
from xner.errors import ConfigError
from xner.paths import PROJECT_ROOT
from xner.run.choices import check_choices
from xner.run.overrides import NOTHING_ALLOWED, Permissions, app_script, checked_replay
from xner.run.rerun import rerun, shown_command


class _Touch:
    """Unpickling this creates the marker file."""

    def __init__(self, marker) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.fixture
def payloads(tmp_path):
    """Files whose use would touch ``marker``: a script, a pickle, a torch file, remote code."""
    import torch

    marker = tmp_path / "payload-ran"
    script = tmp_path / "payload.py"
    script.write_text(f"open({str(marker)!r}, 'w').close()\n")
    evil_pickle = tmp_path / "evil.pickle"
    evil_pickle.write_bytes(pickle.dumps(_Touch(marker)))
    evil_pt = tmp_path / "evil.pt"
    torch.save({"x": _Touch(marker)}, evil_pt)
    remote = tmp_path / "remote_model"
    remote.mkdir()
    (remote / "config.json").write_text(
        json.dumps({"model_type": "bert", "auto_map": {"AutoConfig": "evil.EvilConfig"}})
    )
    (remote / "evil.py").write_text(
        f"open({str(marker)!r}, 'w').close()\n"
        "from transformers import BertConfig\n\nclass EvilConfig(BertConfig):\n    pass\n"
    )
    return {"marker": marker, "script": script, "pickle": evil_pickle, "pt": evil_pt}, remote


@pytest.fixture
def crafted(tmp_path):
    """A function writing a finished run with the given tags and stored overrides."""
    uri, client, experiment = mlflow_store(tmp_path / "store")

    def write(overrides, tags=None):
        run_id = client.create_run(experiment, tags={"xner.app": "train", **(tags or {})})
        run_id = run_id.info.run_id
        client.log_text(run_id, yaml.safe_dump(list(overrides)), "config/overrides.yaml")
        client.log_text(run_id, yaml.safe_dump({"lang": "de"}), "config/config.yaml")
        client.log_metric(run_id, "test/f1", 0.5)
        client.set_terminated(run_id)
        return run_id

    return uri, write


def _never(command, uri):
    raise AssertionError(f"the crafted run was launched: {command}")


def _refused(uri, run_id, allowed=NOTHING_ALLOWED):
    with pytest.raises(ConfigError) as err:
        rerun(run_id, uri, runner=_never, allowed=allowed)
    message = str(err.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize("app", ["{script}", "../payload", "/bin/sh", "evaluate", "train.sh"])
def test_app_tag_outside_train_and_project_is_refused(crafted, payloads, app):
    (paths, _), (uri, write) = payloads, crafted
    run_id = write(["lang=de"], {"xner.app": app.format(script=paths["script"])})
    assert "tag xner.app is" in _refused(uri, run_id)
    assert not paths["marker"].exists()
    assert app_script("project.py", "r") == "project.py" and app_script("train", "r") == "train.py"


def test_hydra_flags_are_never_replayed(crafted, payloads):
    (paths, _), (uri, write) = payloads, crafted
    run_id = write([f"--experimental-rerun={paths['pickle']}"])
    assert "is a command-line flag" in _refused(uri, run_id, Permissions(True, True, True))
    assert not paths["marker"].exists()


HYDRA_SPELLINGS = [
    "++hydra={{callbacks:{{p:{{_target_:torch.load,f:{pt},weights_only:false}}}}}}",
    "+hydra.callbacks.p={{_target_:torch.load,f:{pt},weights_only:false}}",
    "+hydra.callbacks={{p:{{_target_:torch.load,f:{pt},weights_only:false}}}}",
    "hydra.callbacks.p._target_=torch.load",
    "+model@hydra.callbacks.p=minilm",
    "hydra/launcher=basic",
]


@pytest.mark.parametrize("spelling", HYDRA_SPELLINGS)
def test_the_hydra_node_is_never_replayed(crafted, payloads, spelling):
    (paths, _), (uri, write) = payloads, crafted
    run_id = write(["lang=de", spelling.format(pt=paths["pt"])])
    assert "sets Hydra's own node" in _refused(uri, run_id, Permissions(True, True, True))
    assert not paths["marker"].exists()


@pytest.mark.parametrize(
    "override",
    [
        "aligner._target_=subprocess.Popen",
        "+aligner.x={_target_:torch.load,f:evil.pt}",
        "+aligner.x=[{_target_:os.system}]",
    ],
)
def test_targets_anywhere_are_never_replayed(crafted, override):
    uri, write = crafted
    assert "sets a _target_" in _refused(uri, write([override]), Permissions(True, True, True))


def test_remote_code_needs_its_flag(crafted, payloads):
    (paths, remote), (uri, write) = payloads, crafted
    stored = ["aligner=simalign", "+aligner.trust_remote_code=true", f"aligner.model={remote}"]
    message = _refused(uri, write(stored), Permissions(paths=True))
    assert "'+aligner.trust_remote_code=true' needs --trust-remote-code" in message
    assert "check who wrote the run" in message
    assert not paths["marker"].exists()


@pytest.mark.parametrize(
    "leak",
    [
        "+tracking.tags.leak=${oc.env:MLFLOW_TRACKING_PASSWORD}",
        "+tracking.tags.leak=${ oc.env : MLFLOW_TRACKING_PASSWORD }",
        '+tracking.tags.leak="x${oc.decode:${oc.env:MLFLOW_TRACKING_PASSWORD}}"',
        "+tracking.tags={leak:'${oc.env:MLFLOW_TRACKING_PASSWORD}'}",
        "+tracking.tags.leak=\"${oc.create:'{a: 1}'}\"",
        "+tracking.tags.leak=${tracking.uri}",
    ],
)
def test_interpolations_that_read_outside_are_never_replayed(crafted, leak, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", "s3cret-value")
    uri, write = crafted
    message = _refused(uri, write([leak]), Permissions(True, True, True))
    assert "resolver" in message or "interpolates" in message
    assert "s3cret-value" not in message


def test_out_and_paths_need_their_flags(crafted, tmp_path):
    uri, write = crafted
    target = tmp_path / "elsewhere" / "written.conll"
    run_id = write([f"out={target}", f"data.root={tmp_path}/data"])
    message = _refused(uri, run_id)
    assert f"'out={target}' needs --allow-out" in message
    assert f"'data.root={tmp_path}/data' needs --allow-paths" in message
    assert not target.exists()


def test_unknown_groups_keys_and_sweeps_are_refused(crafted):
    uri, write = crafted
    assert "aligner has no option 'nope'" in _refused(uri, write(["aligner=nope"]))
    assert "no_such_key is no key of the train.py config" in _refused(uri, write(["no_such_key=1"]))
    assert "is a sweep" in _refused(uri, write(["lang=de,fr"]))
    assert "deletes a config key" in _refused(uri, write(["~lang"]))
    assert "not a Hydra override" in _refused(uri, write(["lang=de)"]))
    assert "not an override string" in _refused(uri, write([{"lang": "de"}]))


def test_what_xner_writes_is_replayed_and_the_command_printed(crafted, tmp_path, capsys):
    uri, write = crafted
    out = tmp_path / "x.conll"
    stored = ["experiment=quickstart", "+variant=translate_test_ilp", "+debug=tiny", f"out={out}"]
    stored += ["model@teacher=minilm", "projector.max_len=5", "+tracking.tags.who=me"]
    run_id = write(stored)
    seen = []

    def runner(command, uri):
        seen.append(command)
        return 3

    with pytest.raises(Exception, match="exited with 3"):
        rerun(run_id, uri, runner=runner, allowed=Permissions(out=True))
    (command,) = seen
    assert command[1] == str(PROJECT_ROOT / "train.py")
    assert command[2 : 2 + len(stored)] == stored
    assert capsys.readouterr().out == f"rerunning {run_id}: {shown_command(command)}\n"


def test_shown_command_hides_a_password_in_a_uri():
    command = ["python", "train.py", "tracking.uri='https://ada:pw@host/x'"]
    assert "pw" not in shown_command(command) and "ada:***@host" in shown_command(command)


def test_checked_replay_names_every_refusal_in_one_line():
    with pytest.raises(ConfigError) as err:
        checked_replay(["--cfg=job", "out=/x", "lang=de"], "train.py", "r1")
    assert str(err.value) == (
        "run r1: refusing to replay its stored overrides: '--cfg=job' is a command-line flag, "
        "not an override (flags are never replayed); 'out=/x' needs --allow-out "
        "(check who wrote the run before allowing it)"
    )


def test_rerun_cli_refuses_in_one_line(crafted, payloads):
    (paths, _), (uri, write) = payloads, crafted
    run_id = write([f"+hydra.callbacks.p={{_target_:torch.load,f:{paths['pt']}}}"])
    done = subprocess.run(
        [sys.executable, "evaluate.py", "rerun", run_id, "--tracking-uri", uri],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=300,
    )
    assert error_line(done).startswith(f"error: run {run_id}: refusing to replay")
    assert not paths["marker"].exists()


@pytest.mark.parametrize("spelling", HYDRA_SPELLINGS[:4])
def test_cli_refuses_a_foreign_target_in_the_hydra_node_in_every_spelling(spelling, payloads):
    paths, _ = payloads
    with pytest.raises(ConfigError, match="Hydra's own node may only name classes"):
        check_choices([spelling.format(pt=paths["pt"])])


@pytest.mark.parametrize(
    "override",
    [
        "+hydra.callbacks.p=\"${oc.create:'{_target_: torch.load}'}\"",
        "+model@hydra.callbacks.p=minilm",
    ],
)
def test_cli_refuses_built_nodes_and_groups_in_the_hydra_node(override):
    with pytest.raises(ConfigError, match="refused"):
        check_choices([override])


def test_cli_allows_hydra_settings_without_foreign_targets():
    check_choices(["hydra.job.chdir=false", "hydra/launcher=basic", "hydra.verbose=true"])
    (parsed,) = OverridesParser.create().parse_overrides(["hydra.verbose=true"])
    assert parsed.key_or_group == "hydra.verbose"


def test_train_cli_does_not_build_a_callback_from_torch_load(repo_root, tmp_path, payloads):
    paths, _ = payloads
    spelling = f"+hydra.callbacks.p={{_target_:torch.load,f:{paths['pt']},weights_only:false}}"
    done = run_app_here(repo_root, tmp_path, "train.py", spelling)
    assert "Hydra's own node may only name classes" in error_line(done)
    assert not paths["marker"].exists()
