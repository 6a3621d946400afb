"""A newcomer's first commands: help that works, one-line refusals, nothing left behind."""

import re
import subprocess
import sys

import pytest

import evaluate
from helpers import clean_env, error_line, from_config, run_app_here
from xner.data.corpora import corpus_for
from xner.errors import ConfigError
from xner.run.sweep import defaults_of, plan


def test_evaluate_help_names_every_command(capsys):
    with pytest.raises(SystemExit) as exit_:
        evaluate.main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    for name in evaluate.COMMANDS:
        assert re.search(rf"^ +{name} ", out, re.M), (name, out)
    assert "95 % interval" in out  # compare's summary, printed as written
    assert "(exit 1 when any but metrics and tags differ)" in " ".join(out.split())  # whole


@pytest.mark.parametrize("app", ["train.py", "project.py"])
def test_hydra_help_exits_0(repo_root, app):
    done = subprocess.run(
        [sys.executable, app, "--hydra-help"],
        cwd=repo_root, capture_output=True, text=True, env=clean_env(), timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert "hydra/launcher" in done.stdout and "Traceback" not in done.stderr


def test_info_keeps_its_own_argument():
    """The corpus picks go before the options: ``--info`` is not handed ``data=synthetic``."""
    argv = plan(["--info"], defaults_of("train"), multirun=False)
    assert argv[-1] == "--info" and "data=synthetic" in argv
    assert plan(["--info", "defaults"], defaults_of("train"), multirun=False)[-2:] == [
        "--info",
        "defaults",
    ]


def test_an_unknown_language_is_named_instead_of_sent_to_wikiann(repo_root, tmp_path, shared_dir):
    with pytest.raises(ConfigError, match="lang=xx: 'xx' is not a language code xner knows"):
        corpus_for("xx", shared_dir)
    assert corpus_for("sw", shared_dir) == "wikiann"  # a WikiANN code the table knows
    line = error_line(run_app_here(repo_root, tmp_path, "train.py", "lang=xx"))
    assert line.startswith("error: lang=xx: 'xx' is not a language code xner knows: no corpus")
    assert "data=conll data.root=" in line and "data=wikiann" in line
    assert "not cached" not in line
    source = error_line(run_app_here(repo_root, tmp_path, "train.py", "source_lang=qq"))
    assert source.startswith("error: source_lang=qq: 'qq' is not a language code xner knows")
    assert not (tmp_path / "outputs").exists()  # refused before Hydra made a run folder


def test_a_language_of_another_corpus_names_the_corpora_that_have_it(tmp_path):
    from xner.data.corpora import corpora_with

    assert corpora_with("de") == ["europarl", "wikiann"]
    assert corpora_with("en") == ["synthetic", "europarl", "conll2003", "wikiann"]
    assert corpora_with("xx") == []
    (tmp_path / "yor").mkdir()
    with pytest.raises(ConfigError, match=r"unknown language 'de'.*'de' is in europarl, wikiann"):
        from_config("data", "masakhaner2", root=tmp_path).split("de", "test")
    with pytest.raises(ConfigError, match="unknown language 'xx'.*no corpus xner knows has 'xx'"):
        from_config("data", "europarl", root=tmp_path).split("xx", "test")


@pytest.mark.parametrize(
    "override, start",
    [
        ("model.lrr=1", "error: model.lrr: unknown key (known: batch_size, "),
        ("student.lrr=1", "error: student.lrr: unknown key (known: batch_size, "),
        ("trainer.max_epoch=1", "error: trainer.max_epoch: unknown key (not a Lightning Trainer"),
        ("pipeline.max_ratio=1", "error: pipeline.max_ratio: unknown key (known: "),
    ],
)
def test_an_unknown_setting_without_plus_gets_xners_line(repo_root, tmp_path, override, start):
    done = run_app_here(repo_root, tmp_path, "train.py", override)
    assert error_line(done).startswith(start)
    assert "+" + override.split("=")[0] not in done.stderr  # not Hydra's "use +model.lrr" hint


def test_known_settings_pass_the_check():
    from xner.run.choices import check_choices

    check_choices(["model.lr=1e-4", "+student.trainer.precision=bf16-mixed", "trainer.devices=1"])
    check_choices(["pipeline.backtranslation.threshold=0.4", "model.name=mine"])


def test_cfg_with_multirun_is_explained_in_one_line(repo_root, tmp_path):
    line = error_line(run_app_here(repo_root, tmp_path, "train.py", "--cfg", "job", "-m"))
    assert "--cfg" in line and "-m" in line and "ValueError" not in line
    assert not (tmp_path / "outputs").exists()


def test_a_refused_run_leaves_no_run_folder(repo_root, tmp_path):
    absent = tmp_path / "absent"
    done = run_app_here(
        repo_root, tmp_path, "train.py", "data=masakhaner2", f"data.root={absent}", "lang=yor"
    )
    assert "data folder" in error_line(done)
    runs = tmp_path / "outputs" / "runs"
    assert not runs.exists() or not list(runs.iterdir()), list(runs.rglob("*"))
