"""Stage cache: keys (config, inputs, code), round trips, atomic writes, concurrent writers,
path safety, size and clearing."""

import ast
import json
import logging
import shutil
import subprocess
import sys
import textwrap
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from omegaconf import OmegaConf

import evaluate
from helpers import REPO_ROOT, from_config
from xner.align.base import Aligner
from xner.data.conll import TaggedSentence
from xner.errors import ConfigError
from xner.labelers.base import Labeler, Labelled
from xner.methods.teacher_student import TEACHER_CODE
from xner.methods.teacher_weights import FEATURES_CODE, WEIGHTS_CODE
from xner.methods.training import SOURCE_MODEL_CODE, TARGET_MODEL_CODE
from xner.pipeline import code_fingerprint
from xner.pipeline.cache import StageCache, fingerprint
from xner.pipeline.code_fingerprint import CodeBase, root_name
from xner.pipeline.pipeline import Pipeline, translate_test
from xner.pipeline.stages import STAGE_CODE, Align, Label, Project, Translate
from xner.translate.base import Translator

REPO = REPO_ROOT


def test_key_depends_on_stage_config_and_inputs_only(tmp_path: Path):
    cache = StageCache(tmp_path)
    key = cache.key("align", {"method": "itermax", "layer": 8}, ["abc"])
    assert key == cache.key("align", OmegaConf.create({"layer": 8, "method": "itermax"}), ["abc"])
    assert key != cache.key("align", {"method": "argmax", "layer": 8}, ["abc"])
    assert key != cache.key("align", {"method": "itermax", "layer": 8}, ["abd"])
    assert key != cache.key("project", {"method": "itermax", "layer": 8}, ["abc"])
    assert len(key) == 64


def test_fingerprint_sees_words_and_tags():
    a = [TaggedSentence(["Obama", "came"], ["B-PER", "O"])]
    b = [TaggedSentence(["Obama", "came"], ["O", "O"])]
    assert fingerprint(a) != fingerprint(b)
    assert fingerprint([["Obama", "came"]]) == fingerprint([("Obama", "came")])


def test_round_trip_with_arrays_counts_hits_and_misses(tmp_path: Path):
    cache = StageCache(tmp_path)
    calls = []
    value = {"tags": [["O", "B-PER"]], "probs": np.arange(6, dtype=np.float32).reshape(2, 3)}

    def compute():
        calls.append(1)
        return value

    first, key = cache.get_or_compute("label", {"x": 1}, ["in"], compute)
    second, key2 = cache.get_or_compute("label", {"x": 1}, ["in"], compute)
    assert key == key2 and len(calls) == 1
    assert second["tags"] == [["O", "B-PER"]]
    np.testing.assert_array_equal(second["probs"], value["probs"])
    assert second["probs"].dtype == np.float32
    assert cache.stats["hits"] == 1 and cache.stats["misses"] == 1
    assert cache.stats["label.hits"] == 1


def test_disabled_cache_always_computes_and_stores_nothing(tmp_path: Path):
    cache = StageCache(tmp_path, enabled=False)
    calls = []
    for _ in range(2):
        cache.get_or_compute("translate", {}, [], lambda: calls.append(1) or [["a"]])
    assert len(calls) == 2 and not any(tmp_path.iterdir())


@pytest.mark.parametrize("stage", ["..", "a/b", "../x", "", ".hidden", "a\\b", "a b"])
def test_stage_names_that_could_escape_the_folder_are_refused(tmp_path: Path, stage: str):
    with pytest.raises(ConfigError, match="stage name"):
        StageCache(tmp_path).key(stage, {}, [])


def test_keys_must_be_hex_digests(tmp_path: Path):
    with pytest.raises(ConfigError, match="cache key"):
        StageCache(tmp_path).path("align", "../../etc")


def test_failed_write_leaves_no_entry(tmp_path: Path, monkeypatch):
    cache = StageCache(tmp_path)

    def broken_dump(obj, f, **kwargs):
        f.write('{"half": ')
        raise KeyboardInterrupt("killed while writing")

    monkeypatch.setattr("xner.pipeline.cache.json.dump", broken_dump)
    with pytest.raises(KeyboardInterrupt):
        cache.get_or_compute("align", {}, ["in"], lambda: [[0, 1]])
    monkeypatch.undo()
    key = cache.key("align", {}, ["in"])
    assert not cache.contains("align", key)
    assert list((tmp_path / "align").iterdir()) == []  # the temporary folder was removed
    value, _ = cache.get_or_compute("align", {}, ["in"], lambda: [[2, 3]])
    assert value == [[2, 3]] and cache.load("align", key) == [[2, 3]]


KILLED_WRITER = textwrap.dedent(
    """
    import os, signal, sys
    sys.path.insert(0, {repo!r})
    import xner.pipeline.cache as c
    def dump(obj, f, **kw):
        f.write('{{"half": ')
        f.flush()
        os.kill(os.getpid(), signal.SIGKILL)
    c.json.dump = dump
    c.StageCache({dir!r}).get_or_compute("translate", {{"m": 1}}, ["in"], lambda: [["a"]])
    """
)


def test_killed_job_leaves_only_a_temporary_folder_no_reader_uses(tmp_path: Path):
    script = KILLED_WRITER.format(repo=str(REPO), dir=str(tmp_path))
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True)
    assert proc.returncode == -9
    cache = StageCache(tmp_path)
    key = cache.key("translate", {"m": 1}, ["in"])
    leftovers = list((tmp_path / "translate").iterdir())
    assert len(leftovers) == 1 and leftovers[0].name.startswith(".tmp-")
    assert not cache.contains("translate", key)
    value, _ = cache.get_or_compute("translate", {"m": 1}, ["in"], lambda: [["b"]])
    assert value == [["b"]] and cache.stats["misses"] == 1
    assert StageCache(tmp_path).get_or_compute("translate", {"m": 1}, ["in"], list)[0] == [["b"]]


def _write_same_key(args: tuple[str, int]) -> list:
    folder, n = args
    cache = StageCache(folder)
    value = {"links": [[i, i] for i in range(200)], "arr": np.ones((50, 4)) * 3}
    cache.store("align", cache.key("align", {}, ["same"]), value)
    return cache.load("align", cache.key("align", {}, ["same"]))["links"]


def test_concurrent_writers_of_one_key_are_safe(tmp_path: Path):
    with ProcessPoolExecutor(2) as pool:
        results = list(pool.map(_write_same_key, [(str(tmp_path), n) for n in range(6)]))
    assert all(r == results[0] for r in results)
    entries = list((tmp_path / "align").iterdir())
    assert len(entries) == 1 and not entries[0].name.startswith(".")
    assert json.loads((entries[0] / "value.json").read_text())["links"][5] == [5, 5]


# --- the code of a stage is part of its key ---------------------------------------------------

ALIGN = [*map(root_name, STAGE_CODE["align"]), "xner.align.eflomal:EflomalAligner"]
TRANSLATE = ["xner.translate.lexicon:LexiconTranslator"]
LABEL = [*map(root_name, STAGE_CODE["label"]), "xner.labelers:GoldLabeler"]
PROJECT = [*map(root_name, STAGE_CODE["project"]), "xner.project.heuristic:HeuristicProjector"]
TARGETS = {
    "translator": {"_target_": "xner.translate.lexicon.LexiconTranslator", "lexicon": "x.tsv"},
    "labeler": {"_target_": "xner.labelers.GoldLabeler"},
    "aligner": {"_target_": "xner.align.eflomal.EflomalAligner", "runs": 5},
    "projector": {"_target_": "xner.project.heuristic.HeuristicProjector", "thr": 0.8},
}


def copy_of_xner(tmp_path: Path) -> Path:
    """A copy of the package's sources, to edit."""
    dest = tmp_path / "src" / "xner"
    shutil.copytree(REPO / "xner", dest, ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def add_statement(path: Path, name: str, statement: str = "_edited = 1") -> None:
    """A code change: one statement at the end of the body of top-level ``name``."""
    text = path.read_text(encoding="utf-8")
    node = next(n for n in ast.parse(text).body if getattr(n, "name", None) == name)
    lines = text.splitlines(keepends=True)
    lines.insert(node.end_lineno, f"    {statement}\n")
    path.write_text("".join(lines), encoding="utf-8")


def reword_docstring(path: Path) -> None:
    """No code change: the module docstring reworded, a comment and blank lines added."""
    text = path.read_text(encoding="utf-8")
    assert text.startswith('"""'), path
    path.write_text('"""Reworded.\n\n' + text[3:] + "\n\n# a comment\n", encoding="utf-8")


def digests(code: CodeBase) -> dict[str, str]:
    stages = {"translate": TRANSLATE, "label": LABEL, "align": ALIGN, "project": PROJECT}
    return {stage: code.fingerprint(roots).digest for stage, roots in stages.items()}


def test_code_fingerprint_ignores_location_docstrings_and_comments(tmp_path: Path):
    src = copy_of_xner(tmp_path)
    before = digests(CodeBase(src))
    assert before == digests(CodeBase())  # the same code elsewhere: no absolute paths in it
    reword_docstring(src / "align" / "eflomal.py")
    reword_docstring(src / "pipeline" / "stages.py")
    assert digests(CodeBase(src)) == before


def test_a_code_edit_changes_only_the_stages_that_run_it(tmp_path: Path):
    src = copy_of_xner(tmp_path)
    before = digests(CodeBase(src))
    add_statement(src / "align" / "eflomal.py", "EflomalAligner")
    after = digests(CodeBase(src))
    assert after["align"] != before["align"]
    assert {s: after[s] for s in ("translate", "label", "project")} == {
        s: before[s] for s in ("translate", "label", "project")
    }
    add_statement(src / "pipeline" / "stages.py", "_label_nonempty")  # one stage's pipeline glue
    again = digests(CodeBase(src))
    assert again["label"] != after["label"]
    for stage in ("translate", "align"):
        assert again[stage] == after[stage]
    add_statement(src / "align" / "base.py", "check_links")  # a module the aligner imports
    assert CodeBase(src).fingerprint(ALIGN).digest != again["align"]
    parts = CodeBase(src).fingerprint(ALIGN).parts
    assert "xner.align.base" in parts and "xner.align.eflomal:EflomalAligner" in parts


def test_library_versions_are_part_of_the_code(monkeypatch):
    found = CodeBase().fingerprint(ALIGN)
    assert "eflomal" in found.libraries and "tqdm" not in found.libraries
    model = CodeBase().fingerprint(["xner.labelers.model:ModelLabeler"]).libraries
    assert {"torch", "transformers", "tokenizers"} <= set(model)
    real = code_fingerprint.library_version
    monkeypatch.setattr(
        code_fingerprint, "library_version", lambda top: "9.9" if top == "eflomal" else real(top)
    )
    assert CodeBase().fingerprint(ALIGN).digest != found.digest


def test_every_declared_stage_root_exists():
    roots = [*SOURCE_MODEL_CODE, *TARGET_MODEL_CODE, *TEACHER_CODE, *FEATURES_CODE, *WEIGHTS_CODE]
    roots += [r for c in STAGE_CODE.values() for r in c]
    code = CodeBase()
    for root in map(root_name, roots):
        assert root in code.fingerprint([root]).parts
    with pytest.raises(ConfigError, match="no such definition"):
        StageCache(REPO / "unused").key("align", {"_target_": "xner.align.eflomal.Missing"}, [])


class Copy(Translator):
    def __init__(self) -> None:
        self.calls = 0

    def translate(self, sentences, src_lang, tgt_lang):
        self.calls += 1
        return [list(s) for s in sentences]


class Diagonal(Aligner):
    def __init__(self) -> None:
        self.calls = 0

    def align(self, pairs):
        self.calls += 1
        return [{(i, i) for i in range(min(len(s), len(t)))} for s, t in pairs]


class Capitals(Labeler):
    def label(self, sentences):
        return [Labelled(["B-PER" if w[:1].isupper() else "O" for w in s]) for s in sentences]


def run_pipeline(cache_dir: Path, src: Path) -> tuple[StageCache, Diagonal]:
    cache, aligner = StageCache(cache_dir, code=CodeBase(src)), Diagonal()
    target = [TaggedSentence(["Ada", "met", "Bo"], ["O"] * 3)]
    pipeline = Pipeline(
        cache,
        "en",
        "syn",
        translate=Translate(Copy(), TARGETS["translator"]),
        align=Align(aligner, TARGETS["aligner"]),
        project=Project(from_config("projector", "heuristic"), TARGETS["projector"]),
        label=Label(Capitals(), TARGETS["labeler"]),
    )
    out = translate_test(pipeline, target)
    assert out.sentences[0].tags == ["B-PER", "O", "B-PER"]
    return cache, aligner


def outcomes(cache: StageCache) -> dict[str, str]:
    stages = ("translate", "label", "align", "project")
    return {s: "hit" if cache.stats[f"{s}.hits"] else "miss" for s in stages}


def test_pipeline_misses_where_the_code_changed_and_hits_elsewhere(tmp_path: Path):
    src = copy_of_xner(tmp_path)
    cache, _ = run_pipeline(tmp_path / "cache", src)
    assert set(outcomes(cache).values()) == {"miss"}
    reword_docstring(src / "align" / "eflomal.py")  # an edit that cannot change results
    cache, aligner = run_pipeline(tmp_path / "cache", src)
    assert set(outcomes(cache).values()) == {"hit"} and aligner.calls == 0
    add_statement(src / "project" / "heuristic.py", "HeuristicProjector")  # another stage
    cache, aligner = run_pipeline(tmp_path / "cache", src)
    assert outcomes(cache) == {
        "translate": "hit",
        "label": "hit",
        "align": "hit",
        "project": "miss",
    }
    add_statement(src / "align" / "eflomal.py", "EflomalAligner")  # today: a stale hit
    cache, aligner = run_pipeline(tmp_path / "cache", src)
    assert outcomes(cache) == {
        "translate": "hit",
        "label": "hit",
        "align": "miss",
        "project": "miss",
    }
    assert aligner.calls == 1
    assert "xner.align.eflomal:EflomalAligner" in cache.used_code["align"]["parts"]


def test_hits_and_misses_are_logged_with_the_code_fingerprint(tmp_path: Path, caplog):
    cache = StageCache(tmp_path)
    digest = cache.stage_code("align", TARGETS["aligner"]).digest
    with caplog.at_level(logging.INFO, logger="xner.pipeline.cache"):
        for _ in range(2):
            cache.get_or_compute("align", TARGETS["aligner"], ["in"], lambda: [[0, 0]])
    key = cache.key("align", TARGETS["aligner"], ["in"])
    assert [r.getMessage() for r in caplog.records] == [
        f"cache miss: align {key[:12]} (code {digest[:12]})",
        f"cache hit: align {key[:12]} (code {digest[:12]})",
    ]


# --- size and clear -----------------------------------------------------------------------------


def test_size_and_clear_one_stage_or_all(tmp_path: Path, capsys):
    cache = StageCache(tmp_path)
    for i in range(2):
        cache.get_or_compute("align", {}, [str(i)], lambda: [[1, 2]])
    cache.get_or_compute("translate", {}, ["x"], lambda: [["a", "b"]])
    (tmp_path / "align" / ".tmp-0123-killed").mkdir()  # a killed writer's leftover
    (tmp_path / "data" / "masakhaner2").mkdir(parents=True)  # downloads share the folder
    (tmp_path / "data" / "masakhaner2" / "train.txt").write_text("kept")
    sizes = cache.size()
    assert list(sizes) == ["align", "translate"]
    assert sizes["align"][0] == 2 and sizes["translate"][0] == 1 and sizes["align"][1] > 0
    assert cache.describe().startswith(f"stage cache {tmp_path}: 3 entries, ")

    assert evaluate.main(["cache", "clear", "--stage", "align", "--dir", str(tmp_path)]) == 0
    assert "removed 2 entries" in capsys.readouterr().out
    assert list(cache.size()) == ["translate"] and not (tmp_path / "align").exists()
    assert evaluate.main(["cache", "--dir", str(tmp_path)]) == 0
    assert "translate" in capsys.readouterr().out
    assert cache.clear() == (1, sizes["translate"][1])
    assert cache.size() == {} and (tmp_path / "data" / "masakhaner2" / "train.txt").is_file()
    assert evaluate.main(["cache", "clear", "--stage", "../x", "--dir", str(tmp_path)]) == 2
