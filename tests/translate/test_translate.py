"""Translators: word tokenizer, language codes, lexicon, reference and a tiny random HF model."""

from pathlib import Path

import pytest
import torch

from helpers import from_config
from xner.data.conll import TaggedSentence
from xner.errors import ConfigError, DataError
from xner.testing.tiny_models import build_tiny_seq2seq
from xner.translate import word_tokenize
from xner.translate.langcodes import MASAKHANER2, model_code, unsupported

CORPUS = [
    "Barack Obama visited Kano yesterday .",
    "the president of Nigeria met the governor .",
    "Shugaban Najeriya ya gana da gwamna jiya .",
    "Obama ya ziyarci Kano .",
] * 4


def lexicon_translator(path: Path, **settings):
    """The shipped lexicon translator (conf/translator/lexicon.yaml) reading ``path``."""
    return from_config("translator", "lexicon", path=str(path), **settings)


def hf_translator(model: str, **settings):
    """The shipped any-checkpoint translator (conf/translator/hf.yaml) for ``model``."""
    return from_config("translator", "hf", model=model, **settings)


def test_word_tokenize_splits_punctuation_and_keeps_inner_apostrophes():
    assert word_tokenize("Hello, [ Obama ] don't go to Jean-Luc's U.S.") == [
        "Hello",
        ",",
        "[",
        "Obama",
        "]",
        "don't",
        "go",
        "to",
        "Jean-Luc's",
        "U",
        ".",
        "S",
        ".",
    ]


def test_word_tokenize_keeps_combining_marks_and_splits_cjk():
    assert word_tokenize("Ọ̀ṣun  हिन्दी") == ["Ọ̀ṣun", "हिन्दी"]
    assert word_tokenize("東京に行く。") == ["東", "京", "に", "行", "く", "。"]
    assert word_tokenize("   ") == []


def test_language_codes_cover_masakhaner_except_bbj_and_pcm_for_nllb():
    assert model_code("hau", "nllb") == "hau_Latn"
    assert model_code("swa", "nllb") == "swh_Latn"
    assert model_code("hau", "m2m100") == "ha"
    assert model_code("en", "m2m100") == "en"
    missing = [lang for lang in MASAKHANER2 if lang in unsupported("nllb")]
    assert missing == ["bbj", "pcm"]
    assert model_code("pcm", "nllb", overrides={"pcm": "eng_Latn"}) == "eng_Latn"


def test_uncovered_language_is_a_config_error_naming_language_and_model():
    translator = from_config("translator", "nllb_3.3b")  # never loaded: the check comes first
    with pytest.raises(ConfigError, match=r"'pcm'.*nllb-200-3\.3B"):
        translator.translate([["hello"]], "en", "pcm")
    with pytest.raises(ConfigError, match="'fon'.*m2m100"):
        from_config("translator", "m2m100_418m").translate([["hello"]], "en", "fon")
    with pytest.raises(ConfigError, match="unknown language code 'xyz'"):
        model_code("xyz", "nllb")


@pytest.fixture
def lexicon(tmp_path: Path) -> Path:
    path = tmp_path / "lexicon.tsv"
    path.write_text(
        "# en\tsyn\nthe\tna\nvisited\tziyarci\nsaw\tziyarci\nNew\tSabon\ngovernor\tbabban gwamna\n",
        encoding="utf-8",
    )
    return path


def test_lexicon_translates_both_ways_copies_unknown_words(lexicon: Path):
    tr = lexicon_translator(lexicon, langs=("en", "syn"))
    assert tr.translate([["the", "governor", "visited", "Kano"]], "en", "syn") == [
        ["na", "babban", "gwamna", "ziyarci", "Kano"]
    ]
    # reverse: 'ziyarci' has two sources; the first line in the file (visited) wins
    assert tr.translate([["ziyarci", "Kano"], []], "syn", "en") == [["visited", "Kano"], []]
    with pytest.raises(ConfigError, match="not en->de"):
        tr.translate([["the"]], "en", "de")


def test_lexicon_lowercase_matching_keeps_capitalisation(lexicon: Path):
    tr = lexicon_translator(lexicon, langs=("en", "syn"), lowercase=True)
    assert tr.translate([["The", "new", "Governor"]], "en", "syn") == [
        ["Na", "Sabon", "Babban", "gwamna"]  # dictionary form kept
    ]
    assert lexicon_translator(lexicon).translate([["The"]], "en", "syn") == [["The"]]


def test_lexicon_bad_line_names_file_and_line(tmp_path: Path):
    path = tmp_path / "bad.tsv"
    path.write_text("the\tna\nbroken line\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"bad\.tsv:2"):
        lexicon_translator(path)


class ParallelSource:
    name = "toy"

    def __init__(self, data: dict[str, list[list[str]]]) -> None:
        self.data = data

    def has_split(self, lang: str, split: str) -> bool:
        return split == "test"

    def split(self, lang: str, split: str) -> list[TaggedSentence]:
        return [TaggedSentence(w, ["O"] * len(w)) for w in self.data[lang]]


def test_reference_translator_maps_sentence_i_to_sentence_i():
    source = ParallelSource({"en": [["a", "cat"], ["a", "dog"]], "syn": [["na", "kat"], ["dog"]]})
    tr = from_config("translator", "reference", source=source)
    assert tr.translate([["dog"], ["na", "kat"]], "syn", "en") == [["a", "dog"], ["a", "cat"]]
    with pytest.raises(DataError, match="sentence 0 .*'no such'.* toy"):
        tr.translate([["no", "such"]], "syn", "en")


@pytest.fixture(scope="module", params=["nllb", "m2m100"])
def tiny_translator(request, tmp_path_factory) -> tuple[str, Path]:
    torch.set_num_threads(1)
    langs = {"nllb": ["eng_Latn", "hau_Latn"], "m2m100": ["en", "ha"]}[request.param]
    folder = tmp_path_factory.mktemp(request.param)
    return request.param, build_tiny_seq2seq(folder, request.param, CORPUS, langs)


def test_tiny_model_runs_through_hf_translator_in_input_order(tiny_translator):
    family, folder = tiny_translator
    sentences = [["Obama", "visited", "Kano", "."], [], ["the", "governor", "met", "Obama", "."]]
    batched = hf_translator(str(folder), batch_size=2, num_beams=2, max_length=16, device="cpu")
    forced = []
    batched._load()
    generate = batched._model.generate

    def spy(**kwargs):
        forced.append(kwargs.get("forced_bos_token_id"))
        return generate(**kwargs)

    batched._model.generate = spy
    out = batched.translate(sentences, "en", "hau")
    assert len(out) == 3 and out[1] == []
    assert all(isinstance(w, str) and w for sent in out for w in sent)
    hau = batched._tokenizer.convert_tokens_to_ids("hau_Latn" if family == "nllb" else "__ha__")
    assert forced == [hau]  # the empty sentence is not sent to the model
    alone = hf_translator(str(folder), batch_size=1, num_beams=2, max_length=16, device="cpu")
    assert [alone.translate([s], "en", "hau")[0] for s in sentences] == out


def test_tiny_marian_model_loads_and_translates(tmp_path: Path):
    torch.set_num_threads(1)
    folder = build_tiny_seq2seq(tmp_path / "marian", "marian", CORPUS)
    out = hf_translator(str(folder), num_beams=1, max_length=8, device="cpu").translate(
        [["Obama", "visited", "Kano"]], "en", "de"
    )
    assert len(out) == 1
