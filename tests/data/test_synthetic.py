"""The synthetic parallel corpus: determinism, parallelism, valid IOB2, the documented rules."""

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from helpers import from_config
from xner.data.conll import read_conll
from xner.data.synthetic import (
    ADJECTIVES,
    LEXICON_FILE,
    MAX_WORDS,
    MIN_WORDS,
    NOUNS,
    generate,
    name_affix,
    transliterate,
    write_corpus,
)
from xner.data.tags import entities, orphan_inside


@pytest.fixture(scope="module")
def corpus():
    return generate(seed=7, n_train=120, n_dev=20, n_test=40)


def folder_bytes(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}  # fmt: skip


def test_same_seed_gives_byte_identical_files(tmp_path):
    a = folder_bytes(write_corpus(generate(11, 50, 10, 10), tmp_path / "a"))
    b = folder_bytes(write_corpus(generate(11, 50, 10, 10), tmp_path / "b"))
    assert a == b
    assert sorted(a) == [
        "corpus.json", "en/dev.txt", "en/test.txt", "en/train.txt", LEXICON_FILE,
        "syn/dev.txt", "syn/test.txt", "syn/train.txt", "syn/unlabelled.txt",
    ]  # fmt: skip
    c = folder_bytes(write_corpus(generate(12, 50, 10, 10), tmp_path / "c"))
    assert a["en/train.txt"] != c["en/train.txt"]
    assert a["syn/test.txt"] != c["syn/test.txt"]
    assert a[LEXICON_FILE] != c[LEXICON_FILE]


def test_splits_are_independent_of_other_split_sizes():
    assert generate(5, 10, 3, 8).split("syn", "test") == generate(5, 40, 1, 8).split("syn", "test")


def test_sides_are_parallel_with_the_same_entities(corpus):
    for split, size in (("train", 120), ("dev", 20), ("test", 40)):
        en, syn = corpus.split("en", split), corpus.split("syn", split)
        assert len(en) == len(syn) == size
        for e, s in zip(en, syn, strict=True):
            assert Counter(x.label for x in entities(e.tags)) == Counter(
                x.label for x in entities(s.tags)
            )


def test_sentences_are_short_valid_iob2(corpus, tmp_path):
    folder = write_corpus(corpus, tmp_path)
    for lang in ("en", "syn"):
        for split in ("train", "dev", "test"):
            sentences = read_conll(folder / lang / f"{split}.txt")
            assert sentences == corpus.split(lang, split)
            for s in sentences:
                assert MIN_WORDS <= len(s) <= MAX_WORDS
                assert orphan_inside(s.tags) is None
                assert s.words[0][:1].isupper()
    unlabelled = (folder / "syn" / "unlabelled.txt").read_text(encoding="utf-8").splitlines()
    assert [line.split(" ") for line in unlabelled] == corpus.unlabelled


def test_corpus_is_varied_enough_to_be_a_task(corpus):
    en = corpus.split("en", "train")
    spans = [x for s in en for x in entities(s.tags)]
    assert {x.label for x in spans} == {"PER", "ORG", "LOC"}
    assert {x.length for x in spans} == {1, 2, 3}
    # Capitalised words that are not entities (titles, days, sentence starts) exist ...
    capital_o = {w for s in en for w, t in zip(s.words, s.tags, strict=True) if t == "O"
                 and w[:1].isupper()}  # fmt: skip
    assert {"President", "Monday"} & capital_o
    # ... some sentences have no entity, and reordering moves entities in syn.
    assert any(not entities(s.tags) for s in en)
    moved = sum(
        [x.start for x in entities(e.tags)] != [x.start for x in entities(s.tags)]
        for e, s in zip(en, corpus.split("syn", "train"), strict=True)
    )
    assert moved > len(en) // 4


def test_lexicon_is_one_to_one_and_covers_non_name_words(corpus, tmp_path):
    lexicon = corpus.lexicon
    assert len(set(lexicon.values())) == len(lexicon)
    assert lexicon["Report"] == lexicon["report"].capitalize()
    lines = (write_corpus(corpus, tmp_path) / LEXICON_FILE).read_text("utf-8").splitlines()
    assert [line.split("\t") for line in lines] == [[k, v] for k, v in sorted(lexicon.items())]
    for s in corpus.split("en", "train"):
        for word, tag in zip(s.words, s.tags, strict=True):
            if tag == "O" and word not in {",", "."}:
                assert word in lexicon or word.lower() in lexicon, word


def test_transformation_rules():
    assert transliterate("Smith") == "Smit"
    assert transliterate("Victoria") == "Viktoria"
    assert transliterate("Joseph") == "Djosef"
    assert transliterate("Williams") == "Viliams"
    assert name_affix("Smit") == "Smita"
    assert name_affix("Amina") == "Aminan"


def contains(words: list[str], part: list[str]) -> bool:
    return any(words[i : i + len(part)] == part for i in range(len(words) - len(part) + 1))


def test_documented_rules_hold_in_every_sentence():
    corpus = generate(0, 200, 0, 0)
    lex = corpus.lexicon
    checked = Counter()
    for e, s in zip(corpus.split("en", "train"), corpus.split("syn", "train"), strict=True):
        syn_lower = [w.lower() for w in s.words]
        # Person names: respelled, affix on the last word.
        for x, y in zip(entities(e.tags), entities(s.tags), strict=True):
            if x.label == "PER":
                en_name, syn_name = e.words[x.start : x.end], s.words[y.start : y.end]
                assert syn_name[:-1] == [transliterate(w) for w in en_name[:-1]]
                assert syn_name[-1] == name_affix(transliterate(en_name[-1]))
                checked["PER"] += 1
        # Noun phrases: "the new report" -> "report new the".
        words = [w.lower() for w in e.words]
        for i, word in enumerate(words):
            if word == "the" and e.tags[i] == "O":
                j = i + 1
                while words[j] in ADJECTIVES:
                    j += 1
                if words[j] in NOUNS:
                    np = [lex[words[j]], *(lex[a] for a in words[i + 1 : j]), lex["the"]]
                    assert contains(syn_lower, np), (e.words, s.words)
                    checked["NP"] += 1
        # Prepositions become postpositions: "near Lagos" -> "Lagos <near>".
        for x in entities(e.tags):
            before = words[x.start - 1] if x.start else ""
            if x.label == "LOC" and x.length == 1 and before in ("near", "from"):
                assert contains(s.words, [transliterate(e.words[x.start]), lex[before]])
                checked["PP"] += 1
    assert min(checked.values()) >= 10 and len(checked) == 3


def test_command_line_output_does_not_depend_on_hash_seed(repo_root, tmp_path):
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(repo_root)}
        command = [sys.executable, "-m", "xner.data.synthetic", str(tmp_path / hash_seed)]
        subprocess.run([*command, "--n-train", "30"], env=env, check=True, capture_output=True)
    assert folder_bytes(tmp_path / "1") == folder_bytes(tmp_path / "2")


class _Draws:
    """A stand-in random stream: ``random()`` returns the given draws in order."""

    def __init__(self, *draws: float) -> None:
        self.draws = list(draws)

    def random(self) -> float:
        return self.draws.pop(0)


def test_machine_translation_is_literal_or_fluent_phrase_by_phrase():
    from xner.data.synthetic import Phrase, Token, _MachineTranslator

    lexicon = {"in": "ko", "In": "Ko", "met": "vapi", "Met": "Vapi"}
    phrases = [
        Phrase([Token("John", "B-PER"), Token("Smith", "I-PER")], [Token("Djon"), Token("Smita")]),
        Phrase([Token("met")], [Token("vapi")]),
        Phrase([Token("in"), Token("Lagos")], [Token("Lagos"), Token("ko")]),
        Phrase([Token(".")], [Token("bo"), Token(".")]),
    ]
    # literal, fluent, literal, fluent; then the particle is copied (draw < 0.5)
    to_en = _MachineTranslator(_Draws(0.1, 0.9, 0.1, 0.9, 0.2), lexicon).to_en(phrases)
    assert to_en == ["Djon", "Smita", "met", "Lagos", "in", "bo", "."]
    # literal, fluent, literal, fluent: English order, names respelt without the person affix,
    # and the particle, which English lacks, never appears
    to_syn = _MachineTranslator(_Draws(0.1, 0.9, 0.1, 0.9), lexicon).to_syn(phrases)
    assert to_syn == ["Djohn", "Smit", "vapi", "ko", "Lagos", "."]


def test_machine_translation_is_seeded_parallel_and_partly_literal(corpus):
    again = generate(seed=7, n_train=120, n_dev=20, n_test=40)
    assert again.machine == corpus.machine
    for (src, tgt), splits in corpus.machine.items():
        for split, translated in splits.items():
            originals = corpus.split(src, split)
            references = corpus.split(tgt, split)
            assert len(translated) == len(originals)
            same = sum(t == list(r.words) for t, r in zip(translated, references, strict=True))
            # some sentences come out as the human translation, most do not
            assert 0 < same < len(translated), (src, tgt, split, same)
    assert generate(7, 120, 20, 40).split("syn", "test") == corpus.split("syn", "test")


def test_the_human_sides_do_not_depend_on_the_machine_translation(tmp_path):
    """The MT has its own random stream: the corpus files are those of before it existed."""
    import hashlib

    folder = write_corpus(generate(0, 400, 100, 100), tmp_path)
    digest = hashlib.sha256()
    for name, data in folder_bytes(folder).items():
        digest.update(name.encode())
        digest.update(data)
    assert digest.hexdigest() == "7e5c46d5672639b8989e5bc929b51a906642170f7cad4dac4620deaeccdf3aef"


def test_synthetic_mt_translator_serves_the_corpus_mt_and_only_for_the_synthetic_corpus(tmp_path):
    from xner.errors import ConfigError
    from xner.translate import SyntheticMTTranslator

    source = from_config(
        "data", "synthetic", seed=3, n_train=6, n_dev=0, n_test=4, cache_dir=tmp_path
    )
    translator = from_config("translator", "synthetic_mt", source=source)
    test = [list(s.words) for s in source.split("syn", "test")]
    assert translator.translate(test, "syn", "en") == source.corpus.machine["syn", "en"]["test"]
    assert not hasattr(translator, "parallel_text")  # the aligner learns from the pairs it aligns
    with pytest.raises(ConfigError, match="needs data=synthetic, not europarl"):
        europarl = type("Europarl", (), {"name": "europarl"})()
        SyntheticMTTranslator(source=europarl, splits=["test"]).check("en", "de")
