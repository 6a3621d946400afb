"""``evaluate.py score``: the real command line (subprocess) and the in-process entry point."""

import json
import subprocess
import sys

import pytest

import evaluate

GOLD = "John\tB-PER\nSmith\tI-PER\nvisited\tO\nParis\tB-LOC\n\nThe\tO\nEU\tB-MISC\nmet\tO\n"
PRED = "John\tB-PER\nSmith\tI-PER\nvisited\tO\nParis\tB-ORG\n\nThe\tO\nEU\tB-MISC\nmet\tO\n"


def cli(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "evaluate.py", *map(str, args)],
        cwd=cwd, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def test_europarl_german_against_itself_is_perfect(repo_root, europarl_dir):
    gold = europarl_dir / "de-europarl.test.conll02"
    result = cli("score", gold, gold, cwd=repo_root)
    assert result.returncode == 0, result.stderr
    assert "F1 = 1.0" in result.stdout
    assert result.stdout.splitlines()[0].startswith("P = 1.0000  R = 1.0000  F1 = 1.0000")


def test_europarl_english_ignoring_misc_as_json(repo_root, europarl_dir):
    gold = europarl_dir / "en-europarl.test.conll02"
    result = cli("score", gold, gold, "--ignore", "MISC", cwd=repo_root)
    assert result.returncode == 0, result.stderr
    assert "F1 = 1.0" in result.stdout
    assert "MISC" not in result.stdout
    result = cli("score", gold, gold, "--ignore", "MISC", "--json", cwd=repo_root)
    scores = json.loads(result.stdout)
    assert scores["f1"] == 1.0
    assert sorted(scores["per_type"]) == ["LOC", "ORG", "PER"]


def test_mismatch_exits_2_with_one_line(repo_root, europarl_dir, tmp_path):
    pred = tmp_path / "pred.conll"
    pred.write_text(GOLD.replace("Paris\tB-LOC\n", ""), encoding="utf-8")
    gold = tmp_path / "gold.conll"
    gold.write_text(GOLD, encoding="utf-8")
    result = cli("score", pred, gold, cwd=repo_root)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"error: {pred} and {gold} differ at sentence 0 (0-based): 3 vs 4 tokens; "
        "first differing token 3: (end of sentence) vs 'Paris'\n"
    )
    assert "Traceback" not in result.stderr


def write_pair(tmp_path, pred: str = PRED, gold: str = GOLD):
    (tmp_path / "pred.conll").write_text(pred, encoding="utf-8")
    (tmp_path / "gold.conll").write_text(gold, encoding="utf-8")
    return str(tmp_path / "pred.conll"), str(tmp_path / "gold.conll")


def test_ignore_changes_the_score(tmp_path, capsys):
    pred, gold = write_pair(tmp_path)
    assert evaluate.main(["score", pred, gold, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["f1"] == pytest.approx(2 / 3)
    assert evaluate.main(["score", pred, gold, "--json", "--ignore", "LOC,ORG"]) == 0
    assert json.loads(capsys.readouterr().out)["f1"] == 1.0
    assert evaluate.main(["score", pred, gold, "--ignore", "LOC", "--ignore", "ORG"]) == 0
    assert "F1 = 1.0000" in capsys.readouterr().out


def test_data_errors_are_one_line(tmp_path, capsys):
    pred, gold = write_pair(tmp_path, pred=PRED.replace("B-ORG", "I-ORG"))
    assert evaluate.main(["score", pred, gold, "--strict-tags"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {pred}:4: sentence 0: I-ORG follows O")
    assert "drop --strict-tags" in err and "repair=" not in err
    assert err.count("\n") == 1
    assert evaluate.main(["score", pred, gold, "--json"]) == 0
    assert evaluate.main(["score", str(tmp_path / "absent"), gold]) == 2
    assert "absent: no such file" in capsys.readouterr().err


def test_scheme_option(tmp_path, capsys):
    iob1 = "John\tI-PER\nSmith\tI-PER\nvisited\tO\nParis\tI-LOC\n"
    pred, gold = write_pair(tmp_path, pred=iob1, gold=iob1)
    assert evaluate.main(["score", pred, gold, "--scheme", "iob1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["support"] == 2


def test_commands_are_registered():
    assert "score" in evaluate.COMMANDS
    with pytest.raises(SystemExit) as exit_info:
        evaluate.main([])
    assert exit_info.value.code == 2
