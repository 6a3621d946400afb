"""translator=apertium: mode table, marks, batch checks (a stand-in binary), and real Apertium
(Debian's apertium + apertium-eng-spa, installed by the README's test command) on Europarl."""

import stat
import sys
from pathlib import Path

import pytest

from helpers import composed, from_config, run_app
from xner.data.conll import read_conll
from xner.data.tags import entities
from xner.errors import ConfigError, DataError
from xner.evaluation.metrics import score
from xner.pipeline.cache import StageCache
from xner.pipeline.from_config import build_pipeline
from xner.pipeline.pipeline import translate_test
from xner.translate import ApertiumTranslator
from xner.translate.apertium import apertium_mode, strip_marks


@pytest.fixture(scope="session")
def apertium() -> ApertiumTranslator:
    """Real Apertium with its English-Spanish pair; missing is a failure, not a skip."""
    translator = from_config("translator", "apertium")
    try:
        translator.check("en", "es")
    except ConfigError as err:
        pytest.fail(f"{err} (the README's test command installs them)")
    return translator


def _stand_in(tmp_path: Path, body: str) -> str:
    """An ``apertium`` stand-in: a Python script reading stdin (the last argument is the mode)."""
    path = tmp_path / "apertium"
    path.write_text(f"#!{sys.executable}\nimport sys\ntext = sys.stdin.read()\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


def test_mode_from_the_language_pair():
    assert apertium_mode("en", "es") == "eng-spa"
    assert apertium_mode("es", "it") == "spa-ita"
    assert apertium_mode("spa", "cat") == "spa-cat"  # 3-letter codes pass through
    assert apertium_mode("en", "xx", {"xx": "xyz"}) == "eng-xyz"


def test_marks_are_stripped_except_on_words_the_input_had():
    assert strip_marks("Señor *Blorkington come #puesto @x .", "Mr Blorkington eats") == (
        "Señor Blorkington come puesto x ."
    )
    assert strip_marks("dijo @user y *", "@user said and *") == "dijo @user y *"
    assert strip_marks("e-mail a@b", "") == "e-mail a@b"  # a mark inside a word is no mark


def test_one_process_per_batch_and_sentences_split_back(tmp_path: Path):
    log = tmp_path / "calls"
    body = f"open({str(log)!r}, 'a').write('x'); sys.stdout.write(text.upper())"
    translator = from_config(
        "translator", "apertium", binary=_stand_in(tmp_path, body), batch_size=2
    )
    out = translator.translate([["a", "b"], ["c"], [], ["d", "e."]], "en", "es")
    assert out == [["A", "B"], ["C"], [], ["D", "E", "."]]
    assert log.read_text() == "xx"  # 4 sentences, batches of 2: two processes


def test_a_line_count_mismatch_names_the_batch(tmp_path: Path):
    body = "sys.stdout.write(text.replace('e\\n', 'e ', 1))"  # merges 'e' and 'f'
    translator = from_config(
        "translator", "apertium", binary=_stand_in(tmp_path, body), batch_size=3
    )
    with pytest.raises(DataError, match=r"batch 1 \(sentences 3-5\): 3 sentences in, 2 lines"):
        translator.translate([["a"], ["b"], ["c"], ["d"], ["e"], ["f"]], "en", "es")


def test_a_sentence_that_leaves_its_html_block_is_refused(tmp_path: Path):
    body = "sys.stdout.write(text.replace('<p>b', 'b<p>'))"
    translator = from_config("translator", "apertium", binary=_stand_in(tmp_path, body))
    with pytest.raises(DataError, match="sentence 1 lost its <p> block"):
        translator.translate_texts(["a", "b"], "en", "es", markup="html")


def test_a_missing_binary_or_mode_names_the_debian_packages(tmp_path: Path, apertium):
    with pytest.raises(ConfigError, match="apt-get install apertium apertium-eng-spa"):
        from_config("translator", "apertium", binary=str(tmp_path / "none")).check("en", "es")
    with pytest.raises(ConfigError, match="no Apertium mode 'eng-deu'.*apertium-eng-deu"):
        apertium.check("en", "de")


def test_real_apertium_translates_europarl_sentences(apertium, europarl_dir: Path):
    english = read_conll(europarl_dir / "en-europarl.test.conll02")[:20]
    out = apertium.translate([s.words for s in english], "en", "es")
    assert len(out) == 20 and all(out)
    assert out[0] == ["Reanudación", "de", "la", "sesión"]  # 'Resumption of the session'
    assert not any(w.startswith(("*", "#", "@")) for words in out for w in words)
    kept = from_config("translator", "apertium", keep_marks=True).translate(
        [["I", "declare", "resumed"]], "en", "es"
    )
    assert "*" in kept[0]  # 'resumed' is unknown to Apertium: its mark is kept as a word


def test_real_apertium_keeps_html_markers_per_entity(apertium):
    text = 'The <span id="e0"> European Commission </span> met <span id="e1"> John </span> .'
    (out,) = apertium.translate_texts([text], "en", "es", markup="html")
    assert '<span id="e0">Comisión europea</span>' in out and '<span id="e1">' in out


def test_markers_translate_test_on_real_apertium(apertium, europarl_dir: Path, tmp_path: Path):
    """Reference English + gold labels, marked and translated back by Apertium, located in the
    original Spanish: the marker route alone on 30 real sentences."""
    cfg = composed(
        "project",
        "data=europarl",
        f"data.root={europarl_dir}",
        "lang=es",
        "translator=reference",
        "labeler=gold",
        "projector=markers",
        "+translator@pipeline.backtranslation.translator=apertium",
        "data.test_size=30",
    )
    target = build_pipeline(cfg, "translate_test", StageCache(tmp_path))
    spanish = read_conll(europarl_dir / "es-europarl.test.conll02")[-30:]
    result = translate_test(target, spanish)
    counts = result.summary()
    assert counts["projection/source_entities"] == sum(
        len(entities(s.tags)) for s in read_conll(europarl_dir / "en-europarl.test.conll02")[-30:]
    )
    assert counts["projection/markers_lost"] + counts["projection/markers_unmatched"] < 10
    f1 = score([s.tags for s in result.sentences], [s.tags for s in spanish])["f1"]
    assert f1 > 0.6


@pytest.mark.slow
def test_project_cli_translate_train_by_markers(
    repo_root: Path, tmp_path: Path, apertium, europarl_dir: Path
):
    out = tmp_path / "silver.conll"
    done = run_app(
        repo_root,
        tmp_path,
        "project.py",
        "data=europarl",
        f"data.root={europarl_dir}",
        "lang=es",
        "task=translate_train",
        "translator=apertium",
        "projector=markers",
        f"source_data.root={europarl_dir}",
        "source_data.max_train_sentences=25",
        f"out={out}",
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "translate_train: " in done.stdout and "entities projected" in done.stdout
    silver = read_conll(out)
    assert 15 <= len(silver) <= 25 and any(t != "O" for s in silver for t in s.tags)
