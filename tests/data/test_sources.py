"""Dataset sources on miniature local layouts, the real Europarl files and the synthetic corpus."""

import io
import sys
import types
from pathlib import Path

import pytest
from hydra.utils import instantiate
from omegaconf import OmegaConf

from helpers import from_config
from xner.data.conll import read_conll
from xner.data.sources import MasakhaNER2, rows_to_sentences
from xner.data.sources import roots as sources
from xner.errors import ConfigError, DataError
from xner.offline import OFFLINE_VARIABLES

MASAKHA_TRAIN = (
    "Musa B-PER\nya O\nje O\nKano B-LOC\nranar O\nLitinin B-DATE\n\n"
    "Hukumar B-ORG\nINEC I-ORG\nta O\nce O\n\n"
    "Amina B-PER\nta O\nzo O\n"
)


def masakhaner2(root, **settings):
    """The shipped MasakhaNER 2.0 source (conf/data/masakhaner2.yaml) on ``root``."""
    return from_config("data", "masakhaner2", root=root, **settings)


def europarl(root, **settings):
    """The shipped Europarl-NER source (conf/data/europarl.yaml) on ``root``."""
    return from_config("data", "europarl", root=root, **settings)


def masakha_folder(root: Path, lang: str = "hau") -> Path:
    folder = root / lang
    folder.mkdir(parents=True)
    (folder / "train.txt").write_text(MASAKHA_TRAIN, encoding="utf-8")
    (folder / "dev.txt").write_text("Kano B-LOC\nna O\n", encoding="utf-8")
    (folder / "test.txt").write_text("Ali B-PER\nda O\nAisha B-PER\n", encoding="utf-8")
    return root


def test_masakhaner2_has_the_twenty_languages():
    assert len(MasakhaNER2.languages) == 20
    assert {"hau", "yor", "swa", "zul", "pcm", "bam", "bbj"} <= set(MasakhaNER2.languages)


def test_masakhaner2_local_layout(tmp_path):
    source = from_config(
        "data",
        "masakhaner2",
        root=masakha_folder(tmp_path),
        label_drop=["DATE"],
        max_train_sentences=2,
    )
    train = source.split("hau", "train")
    assert [s.words[0] for s in train] == ["Musa", "Hukumar"]
    assert train[0].tags == ["B-PER", "O", "O", "B-LOC", "O", "O"]
    assert train[1].tags == ["B-ORG", "I-ORG", "O", "O"]
    assert source.split("hau", "test")[0].tags == ["B-PER", "O", "B-PER"]
    assert source.has_split("hau", "dev") and not source.has_split("yor", "dev")
    # Without the label drop DATE stays, and the cap is per split.
    plain = masakhaner2(tmp_path, label_drop=[])
    assert plain.split("hau", "train")[0].tags[-1] == "B-DATE"
    assert len(plain.split("hau", "train")) == 3


def test_masakhaner2_errors(tmp_path):
    source = masakhaner2(masakha_folder(tmp_path))
    with pytest.raises(DataError, match=r"masakhaner2: no train split for 'yor': .*yor/train.txt"):
        source.split("yor", "train")
    (tmp_path / "yor" / "dev.txt").mkdir(parents=True)
    with pytest.raises(DataError, match=r"no dev split for 'yor': .*yor/dev.txt is a folder, not"):
        source.split("yor", "dev")
    assert source.missing("yor", "dev") == (
        f"masakhaner2: no dev split for 'yor': {tmp_path}/yor/dev.txt is a folder, not a file "
        "(set data.root=/local/folder holding it)"
    )
    with pytest.raises(ConfigError, match="unknown language 'xyz'; choose one of bam, bbj"):
        source.split("xyz", "train")
    with pytest.raises(ConfigError, match="split='validation': choose one of train, dev, test"):
        source.split("hau", "validation")
    with pytest.raises(ConfigError, match=r"data folder .*absent does not exist; set data.root="):
        masakhaner2(tmp_path / "absent").split("hau", "train")


def test_bad_options_are_refused_up_front(tmp_path):
    with pytest.raises(ConfigError, match="data.scheme='bilou': choose one of iob2"):
        masakhaner2(tmp_path, scheme="bilou")
    with pytest.raises(ConfigError, match=r"data.max_train_sentences=-1: must be >= 0"):
        masakhaner2(tmp_path, max_train_sentences=-1)


def test_a_local_folder_may_hold_other_languages(tmp_path):
    source = masakhaner2(masakha_folder(tmp_path, "xyz"))
    assert source.split("xyz", "dev")[0].words == ["Kano", "na"]


@pytest.mark.parametrize("bad", ["../hau", "a/b", "..", "", "hau/../../etc", "/etc"])
def test_path_like_language_codes_are_refused(tmp_path, bad):
    with pytest.raises(ConfigError, match="is not a plain name"):
        masakhaner2(masakha_folder(tmp_path)).split(bad, "train")
    with pytest.raises(ConfigError, match="dataset name"):
        masakhaner2(tmp_path, name=bad or "..")


def test_https_root_offline_without_cache_is_one_line(tmp_path):
    root = "https://example.org/MasakhaNER2.0/data"
    source = masakhaner2(root, cache_dir=tmp_path)
    with pytest.raises(ConfigError) as err:
        source.split("hau", "train")
    message = str(err.value)
    assert "\n" not in message
    assert f"{root}/hau/train.txt" in message
    assert "set data.root=/local/folder" in message
    assert source.has_split("hau", "train")


def test_https_root_downloads_once_into_the_cache(tmp_path, monkeypatch):
    for name in OFFLINE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    calls = []

    def urlopen(url, timeout):
        calls.append(url)
        return io.BytesIO(MASAKHA_TRAIN.encode())

    monkeypatch.setattr(sources.urllib.request, "urlopen", urlopen)
    root = "https://example.org/data/"
    assert len(masakhaner2(root, cache_dir=tmp_path).split("hau", "train")) == 3
    assert len(masakhaner2(root, cache_dir=tmp_path).split("hau", "train")) == 3
    assert calls == ["https://example.org/data/hau/train.txt"]
    (cached,) = (tmp_path / "downloads").iterdir()
    assert cached.name.endswith("-train.txt")
    monkeypatch.setenv("XNER_OFFLINE", "1")  # offline now: the cached copy still serves
    assert len(masakhaner2(root, cache_dir=tmp_path).split("hau", "train")) == 3


def test_europarl_split(europarl_dir):
    source = europarl(europarl_dir)
    for lang in ("en", "de"):
        everything = read_conll(europarl_dir / f"{lang}-europarl.test.conll02")
        assert len(everything) == 799
        train, test = source.split(lang, "train"), source.split(lang, "test")
        assert (len(train), len(test)) == (600, 199)
        assert train == everything[:600]
        assert test == everything[600:]
        assert not source.has_split(lang, "dev")
    assert source.split("en", "train")[1].words[:3] == ["I", "declare", "resumed"]
    with pytest.raises(DataError, match="no dev split"):
        source.split("en", "dev")


def test_europarl_options(europarl_dir, tmp_path):
    source = from_config(
        "data", "europarl", root=europarl_dir, train_size=550, dev_size=50, label_drop=["MISC"]
    )
    everything = read_conll(europarl_dir / "de-europarl.test.conll02")
    assert [s.words for s in source.split("de", "dev")] == [s.words for s in everything[550:600]]
    assert not any("MISC" in t for s in source.split("de", "test") for t in s.tags)
    with pytest.raises(ConfigError, match="exceeds the 799 sentences"):
        europarl(europarl_dir, dev_size=10).split("en", "train")
    with pytest.raises(ConfigError, match="unknown language 'fr'; choose one of en, de, es, it"):
        europarl(europarl_dir).split("fr", "test")
    with pytest.raises(ConfigError, match="set data.root="):
        europarl(tmp_path / "nowhere").split("en", "test")
    # a language whose file is not in the folder (es joined ../shared with issue 20)
    with pytest.raises(DataError, match=r"no test split for 'it'.*it-europarl.test.conll02"):
        europarl(europarl_dir).split("it", "test")


def test_wikiann_local_folder_strips_lang_prefix(tmp_path):
    (tmp_path / "sw").mkdir()
    (tmp_path / "sw" / "test.txt").write_text("sw:Nairobi\tB-LOC\nsw:ni\tO\n", encoding="utf-8")
    source = from_config("data", "wikiann", root=tmp_path)
    (sentence,) = source.split("sw", "test")
    assert sentence.words == ["Nairobi", "ni"]
    assert source.has_split("sw", "test") and not source.has_split("sw", "train")


def fake_datasets(rows, names):
    """A stand-in for the `datasets` package: load_dataset returns rows with ner_tags ids."""
    loaded = []

    class Dataset(list):
        features = {"ner_tags": types.SimpleNamespace(feature=types.SimpleNamespace(names=names))}

    def load_dataset(hf_id, config, split, cache_dir):
        loaded.append((hf_id, config, split))
        return Dataset(rows)

    return types.SimpleNamespace(load_dataset=load_dataset), loaded


def test_wikiann_through_datasets(monkeypatch, tmp_path):
    names = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC"]
    rows = [{"tokens": ["Amina", "Mohammed", "aliongea"], "ner_tags": [1, 2, 0]}]
    module, loaded = fake_datasets(rows, names)
    monkeypatch.setitem(sys.modules, "datasets", module)
    source = from_config("data", "wikiann", cache_dir=tmp_path)
    (sentence,) = source.split("sw", "dev")
    assert sentence.tags == ["B-PER", "I-PER", "O"]
    assert loaded == [("unimelb-nlp/wikiann", "sw", "validation")]


def test_datasets_package_missing(monkeypatch):
    monkeypatch.setitem(sys.modules, "datasets", None)
    with pytest.raises(ConfigError, match="needs the 'datasets' package .*set data.root="):
        from_config("data", "wikiann").split("sw", "test")
    with pytest.raises(ConfigError, match="needs the 'datasets' package"):
        from_config("data", "conll2003").split("en", "train")


def test_rows_are_validated_like_files():
    with pytest.raises(
        DataError, match=r"wikiann sw test:3: sentence 1: I-PER follows the sentence start"
    ):
        rows_to_sentences([(["a"], ["O"]), (["b"], ["I-PER"])], "wikiann sw test", "iob2", "refuse")
    _, orphan = rows_to_sentences([(["a"], ["O"]), (["b"], ["I-PER"])], "wikiann sw test")
    assert orphan.tags == ["B-PER"]
    (sentence,) = rows_to_sentences([(["New York", "x"], ["B-LOC", "O"])], "hf")
    assert sentence.words == ["New_York", "x"]


def test_conll2003_local_files(tmp_path):
    (tmp_path / "train.txt").write_text("-DOCSTART- -X- O O\n\nEU NNP I-ORG\nsaid VBD O\n")
    (tmp_path / "valid.txt").write_text("Peter NNP I-PER\nBlackburn NNP I-PER\n")
    source = from_config("data", "conll2003", root=tmp_path, scheme="iob1")
    assert source.split("en", "train")[0].tags == ["B-ORG", "O"]
    assert source.split("en", "dev")[0].tags == ["B-PER", "I-PER"]
    assert not source.has_split("en", "test")
    with pytest.raises(DataError, match=r"test.txt or .*eng.testb does not exist"):
        source.split("en", "test")
    with pytest.raises(ConfigError, match="English only"):
        source.split("de", "train")


def test_synthetic_source_is_parallel_and_writes_its_lexicon(tmp_path):
    sizes = {"n_train": 30, "n_dev": 5, "n_test": 10}
    source = from_config(
        "data", "synthetic", seed=3, **sizes, cache_dir=tmp_path, max_train_sentences=20,
        label_drop=["ORG"],
    )  # fmt: skip
    en, syn = source.split("en", "train"), source.split("syn", "train")
    assert len(en) == len(syn) == 20
    assert not any("ORG" in tag for s in en + syn for tag in s.tags)
    assert source.has_split("syn", "dev")
    lexicon = source.lexicon_path()
    assert lexicon.parent == source.root and lexicon.parent.parent == tmp_path
    first = lexicon.read_text(encoding="utf-8").splitlines()[0].split("\t")
    assert len(first) == 2
    assert read_conll(source.root / "syn" / "test.txt") == source.corpus.split("syn", "test")
    with pytest.raises(ConfigError, match="languages are 'en' and 'syn'"):
        source.split("de", "test")


@pytest.mark.parametrize("name", ["masakhaner2", "conll2003", "wikiann", "europarl", "synthetic"])
def test_configs_instantiate(name, repo_root, shared_dir, tmp_path):
    cfg = OmegaConf.create({"paths": {"shared": str(shared_dir), "cache": str(tmp_path)}})
    cfg.data = OmegaConf.load(repo_root / "conf" / "data" / f"{name}.yaml")
    source = instantiate(cfg.data)
    assert source.name == name
    assert source.cache_dir == tmp_path / "data"
    assert source.caps == {"train": None, "dev": None, "test": None}
    if name == "europarl":
        assert len(source.split("de", "test")) == 199
