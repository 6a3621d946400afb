"""Stage cache: keys, round trips, atomic writes, concurrent writers, path safety."""

import json
import subprocess
import sys
import textwrap
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from omegaconf import OmegaConf

from xner.cache import StageCache, fingerprint
from xner.data.conll import TaggedSentence
from xner.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]


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

    monkeypatch.setattr("xner.cache.json.dump", broken_dump)
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
    import xner.cache as c
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
