"""Your own CoNLL files without code: ``data=conll data.root=<folder> lang=<code>``.

A folder for a language that is not in ``../shared`` (``zz``), with what real files hold (CR LF
line ends, a byte order mark, an orphan ``I-`` tag, a missing split), trains and scores end to
end; a missing root, language or split is one line naming it.
"""

import logging

import pytest
from mlflow.tracking import MlflowClient

from helpers import (
    NOT_SYNTHETIC,
    composed,
    error_line,
    from_config,
    run_app,
    run_app_here,
    store_uri,
    write_language,
)
from xner.data.conll import TaggedSentence
from xner.errors import ConfigError
from xner.run.preflight import problems


def test_a_folder_of_my_own_files_is_read_with_its_labels_reported(tmp_path, caplog):
    source = from_config("data", "conll", root=write_language(tmp_path))
    assert source.has_split("zz", "train") and not source.has_split("zz", "dev")
    with caplog.at_level(logging.INFO):
        train = source.split("zz", "train")
        test = source.split("zz", "test")
    assert len(train) == 40 and len(test) == 16
    assert not any("\r" in w or "\ufeff" in w for s in train for w in s.words)
    reported = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("conll zz train: 40 sentences, ") and "PER " in m for m in reported)
    assert any("1 orphan I- tag(s)" in m and "zz/test.txt" in m for m in reported)
    assert source.missing("zz", "dev") == (
        f"conll: no dev split for 'zz': {tmp_path}/zz/dev.txt does not exist "
        "(set data.root=/local/folder holding it)"
    )


def test_columns_and_separator_come_from_the_yaml(tmp_path):
    (tmp_path / "zz").mkdir()
    (tmp_path / "zz" / "test.txt").write_text("B-LOC\tNew York\n\nO\tyes\n", encoding="utf-8")
    source = from_config(
        "data", "conll", root=tmp_path, word_column=1, tag_column=0, separator="tab"
    )
    assert source.split("zz", "test") == [
        TaggedSentence(["New_York"], ["B-LOC"]),
        TaggedSentence(["yes"], ["O"]),
    ]
    with pytest.raises(ConfigError, match="conll: separator must be one of whitespace, tab"):
        from_config("data", "conll", root=tmp_path, separator="comma")


def test_a_missing_root_language_or_split_is_one_line(tmp_path):
    write_language(tmp_path / "mine")
    with pytest.raises(ConfigError, match=r"^conll: no data.root: set data.root=/path/to/folder"):
        from_config("data", "conll").split("zz", "test")
    with pytest.raises(ConfigError, match=r"^conll: data folder .*absent does not exist"):
        from_config("data", "conll", root=tmp_path / "absent")
    with pytest.raises(ConfigError, match=r"^conll: no folder 'qq' in .*mine \(it holds zz\)"):
        from_config("data", "conll", root=tmp_path / "mine").split("qq", "test")

    def preflight(*overrides: str) -> list[str]:
        return problems(composed("train", "data=conll", "method=supervised", *overrides))

    mine = f"data.root={tmp_path / 'mine'}"
    assert preflight(mine, "lang=zz") == []
    assert preflight(f"data.root={tmp_path / 'absent'}", "lang=zz") == [
        f"conll: data folder {tmp_path / 'absent'} does not exist; set data.root=/local/folder"
    ]
    (line,) = preflight(mine, "lang=qq")
    assert line.startswith("conll: no folder 'qq' in ")
    (tmp_path / "mine" / "zz" / "test.txt").unlink()
    (line,) = preflight(mine, "lang=zz")
    assert line.startswith("conll: no test split for 'zz': ") and "zz/test.txt" in line


def test_a_missing_language_folder_stops_the_run_in_one_line(repo_root, tmp_path):
    root = write_language(tmp_path / "mine")
    done = run_app_here(
        repo_root, tmp_path, "train.py", "data=conll", f"data.root={root}", "lang=qq"
    )
    assert error_line(done).startswith("error: conll: no folder 'qq' in ")


@pytest.mark.slow
def test_my_own_language_trains_and_scores_end_to_end(repo_root, tmp_path):
    root = write_language(tmp_path / "mine")
    done = run_app(
        repo_root, tmp_path, "train.py", "+debug=tiny", *NOT_SYNTHETIC,
        "data=conll", f"data.root={root}", "lang=zz", timeout=900,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    assert "Supervised lang=zz: test F1 = " in done.stdout
    log = done.stdout + done.stderr
    assert "conll zz train: 40 sentences, " in log and "1 orphan I- tag(s)" in log
    client = MlflowClient(tracking_uri=store_uri(tmp_path))
    (run,) = client.search_runs([client.get_experiment_by_name("xner").experiment_id])
    assert run.info.status == "FINISHED"
    assert (run.data.tags["dataset"], run.data.tags["lang"]) == ("conll", "zz")
    assert 0.0 <= run.data.metrics["test/f1"] <= 1.0
