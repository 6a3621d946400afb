"""Marker-based projection (EasyProject): insertion, reading back, piece merging, fuzzy location,
and the pipeline's marker route with the lexicon translator. Every case is worked by hand."""

from pathlib import Path

import pytest

from helpers import from_config
from xner.data.conll import TaggedSentence
from xner.data.entity import Entity
from xner.errors import ConfigError
from xner.pipeline.cache import StageCache
from xner.pipeline.pipeline import Pipeline, translate_test, translate_train
from xner.pipeline.stages import Align, Label, Project, Translate, TranslateMarked
from xner.project.markers import insert_markers, locate, read_markers
from xner.translate import LexiconTranslator

PER, LOC = Entity(0, 2, "PER"), Entity(3, 4, "LOC")
WORDS = ["Barack", "Obama", "visited", "Kano", "."]


def test_insert_markers_in_both_styles_adjacent_entities_and_one_at_the_end():
    assert insert_markers(WORDS, [PER, LOC], "brackets") == "[ Barack Obama ] visited [ Kano ] ."
    # adjacent entities, the second one ending the sentence
    assert insert_markers(["a", "b", "c"], [Entity(1, 2, "X"), Entity(2, 3, "Y")], "html") == (
        'a <span id="e0"> b </span> <span id="e1"> c </span>'
    )
    # html escapes the words (an '<' in the text is no tag)
    assert insert_markers(["x", "<", "&"], [Entity(1, 2, "X")], "html") == (
        'x <span id="e0"> &lt; </span> &amp;'
    )


def test_read_back_what_was_inserted_gives_the_same_spans():
    for style in ("brackets", "html"):
        read = read_markers(insert_markers(WORDS, [PER, LOC], style), 2, style)
        assert read.words == WORDS and read.spans == {0: (0, 2), 1: (3, 4)}
        assert read.counts == {"nested": 0, "unbalanced": 0, "split": 0, "lost": 0}


def test_punctuation_glued_to_markers_and_reordered_ids():
    # a translator that glues the markers to the words and to punctuation, and reorders
    text = 'Visitó <span id="e1">Kano</span>,<span id="e0">Barack Obama</span>.'
    read = read_markers(text, 2, "html")
    assert read.words == ["Visitó", "Kano", ",", "Barack", "Obama", "."]
    assert read.spans == {1: (1, 2), 0: (3, 5)}
    text = "[Barack Obama]visited[Kano]."
    read = read_markers(text, 2, "brackets")
    assert read.words == WORDS and read.spans == {0: (0, 2), 1: (3, 4)}


def test_a_lost_marker_is_counted_and_brackets_cannot_guess_which():
    # html: e1's markers did not come back; e0 is still read by its id
    read = read_markers('<span id="e0">Barack Obama</span> visited Kano .', 2, "html")
    assert read.spans == {0: (0, 2)} and read.broken == {1} and read.counts["lost"] == 1
    # brackets: one span for two entities: which one it is cannot be known, both are lost
    read = read_markers("[ Barack Obama ] visited Kano .", 2, "brackets")
    assert read.spans == {} and read.broken == {0, 1} and read.counts["lost"] == 2


def test_unbalanced_markers():
    # a close with nothing open is ignored; an open never closed breaks its entity
    read = read_markers('x </span> <span id="e0"> a b </span> <span id="e1"> c', 2, "html")
    assert read.words == ["x", "a", "b", "c"]
    assert read.spans == {0: (1, 3)} and read.broken == {1}
    assert read.counts["unbalanced"] == 2 and read.counts["lost"] == 1


def test_nested_markers_break_both_entities():
    text = '<span id="e0"> a <span id="e1"> b </span> c </span> <span id="e2"> d </span>'
    read = read_markers(text, 3, "html")
    assert read.words == ["a", "b", "c", "d"]
    assert read.spans == {2: (3, 4)} and read.broken == {0, 1}
    # the inner close ends e1 (broken), the outer close then has nothing open
    assert read.counts == {"nested": 1, "unbalanced": 1, "split": 0, "lost": 2}


def test_a_duplicated_id_merges_into_its_hull_unless_another_entity_lies_inside():
    # the design's Apertium examples: Salud y Comité de Seguridad; Estados de Miembro de la UE
    text = (
        'La <span id="e0">Salud y Comité</span> de <span id="e0">Seguridad</span> de los '
        '<span id="e1">Estados</span> de <span id="e1">Miembro</span> de la '
        '<span id="e1">UE</span> cumplió .'
    )
    read = read_markers(text, 2, "html")
    assert read.spans == {0: (1, 6), 1: (8, 14)} and read.counts["split"] == 2
    assert " ".join(read.words[8:14]) == "Estados de Miembro de la UE"
    # e0's hull would contain e1's piece: the longest piece of e0 is kept
    text = '<span id="e0">a b</span> <span id="e1">c</span> <span id="e0">d</span>'
    read = read_markers(text, 2, "html")
    assert read.spans == {0: (0, 2), 1: (2, 3)} and read.counts["split"] == 1
    # brackets: a second span beyond the entity count is a count mismatch
    read = read_markers("[ a ] b [ c ]", 1, "brackets")
    assert read.spans == {} and read.broken == {0}


def test_on_broken_entity_or_sentence():
    read = read_markers('<span id="e0">Barack Obama</span> visited Kano .', 2, "html")
    kept, dropped = from_config("projector", "markers", on_broken="entity").entities(
        read, ["PER", "LOC"]
    )
    assert kept == [Entity(0, 2, "PER")] and dropped == {1}
    kept, dropped = from_config("projector", "markers", on_broken="sentence").entities(
        read, ["PER", "LOC"]
    )
    assert kept == [] and dropped == {0, 1}


def test_locate_finds_the_best_ngram_without_overlaps():
    sentence = ["El", "presidente", "Barak", "Obama", "visitó", "Kano", "ayer", "."]
    # exact, fuzzy (Barack ~ Barak: ratio 2*11/23 = 0.957 on 'barack obama' vs 'barak obama')
    placed = locate({0: ["Barack", "Obama"], 1: ["Kano"]}, sentence, 0.5)
    assert placed == {0: (2, 4), 1: (5, 6)}
    # nothing similar enough: unplaced
    assert locate({0: ["Zanzibar"]}, sentence, 0.8) == {}
    # two entities want the same words. 'Kano' at (5, 6) and 'Kano ayer' at (5, 7) both score
    # 1.0 at their own length and start: the earlier entity wins; the other takes its best
    # remaining span, 'ayer' (2*4/13 = 0.615 against 'kano ayer')
    placed = locate({0: ["Kano"], 1: ["Kano", "ayer"]}, sentence, 0.5)
    assert placed == {0: (5, 6), 1: (6, 7)}
    # above 0.615 nothing is left for it
    assert locate({0: ["Kano"], 1: ["Kano", "ayer"]}, sentence, 0.7) == {0: (5, 6)}


def test_locate_ties_prefer_the_phrase_length_then_the_earlier_span():
    # 'a' matches at 0 and 2 with ratio 1: the earlier one wins
    assert locate({0: ["a"]}, ["a", "b", "a"], 0.9) == {0: (0, 1)}
    # case is folded
    assert locate({0: ["KANO"]}, ["in", "kano"], 0.9) == {0: (1, 2)}


def test_settings_are_checked():
    with pytest.raises(ConfigError, match="projector.style"):
        from_config("projector", "markers", style="xml")
    with pytest.raises(ConfigError, match="on_broken"):
        from_config("projector", "markers", on_broken="guess")
    with pytest.raises(ConfigError, match="threshold"):
        from_config("projector", "markers", threshold=0.0)
    reference = from_config("translator", "reference", source=None)
    with pytest.raises(ConfigError, match="cannot.*reference translation is looked up"):
        from_config("projector", "markers").style_for(reference)


class Shuffling(LexiconTranslator):
    """The lexicon translator, then every marked text's first two tokens swapped (reordering)."""

    def translate_texts(self, texts, src_lang, tgt_lang, markup=None):
        out = super().translate_texts(texts, src_lang, tgt_lang, markup)
        return [" ".join([*t.split()[1::-1], *t.split()[2:]]) for t in out]


class CapitalLabeler:
    """Tags every capitalised word B-PER (a source model that needs no training)."""

    def label(self, sentences):
        from xner.labelers.base import Labelled

        return [Labelled(["B-PER" if w[:1].isupper() else "O" for w in s]) for s in sentences]


@pytest.fixture
def lexicon(tmp_path: Path) -> LexiconTranslator:
    path = tmp_path / "en-ha.tsv"
    path.write_text("visited\tziyarci\nyesterday\tjiya\nthe\tna\npresident\tshugaba\n")
    return from_config("translator", "lexicon", path=str(path), langs=["en", "ha"])


def _pipeline(translator, cache, style="brackets", labeler=None) -> Pipeline:
    projector = from_config("projector", "markers", style=style)
    return Pipeline(
        cache,
        "en",
        "ha",
        translate=Translate(translator, {"t": type(translator).__name__}),
        align=Align(object(), {}),  # type: ignore[arg-type]  (never called by the marker route)
        project=Project(projector, {"p": style}),  # type: ignore[arg-type]
        label=None if labeler is None else Label(labeler, {"l": 1}),
        mark=TranslateMarked(translator, {"t": type(translator).__name__}, style),
    )


@pytest.mark.parametrize("style", ["brackets", "html"])
def test_translate_train_by_markers_with_the_lexicon(lexicon, tmp_path: Path, style: str):
    source = [
        TaggedSentence(["Obama", "visited", "Kano", "yesterday"], ["B-PER", "O", "B-LOC", "O"]),
        TaggedSentence(["the", "president"], ["O", "O"]),
    ]
    cache = StageCache(tmp_path)
    result = translate_train(_pipeline(lexicon, cache, style), source)
    assert [s.words for s in result.sentences] == [
        ["Obama", "ziyarci", "Kano", "jiya"],
        ["na", "shugaba"],
    ]
    assert result.sentences[0].tags == ["B-PER", "O", "B-LOC", "O"]
    assert result.n_projected == 2 and result.marker_counts["lost"] == 0
    assert cache.stats["translate_marked.misses"] == 1 and "translate.misses" not in cache.stats
    translate_train(_pipeline(lexicon, cache, style), source)
    assert cache.stats["translate_marked.hits"] == 1


def test_translate_train_drops_a_sentence_whose_markers_broke(lexicon, tmp_path: Path):
    # swapping the first two tokens gives 'Obama [ ] ziyarci [ Kano ]': an empty span, so one
    # span for two entities: both lost, the sentence dropped
    source = [TaggedSentence(["Obama", "visited", "Kano"], ["B-PER", "O", "B-LOC"])]
    result = translate_train(
        _pipeline(
            Shuffling(path=lexicon.path, langs=("en", "ha"), lowercase=False, source=None),
            StageCache(tmp_path),
        ),
        source,
    )
    assert result.sentences == [] and result.n_dropped == 2
    assert result.summary()["projection/markers_lost"] == 2
    assert result.summary()["projection/markers_unbalanced"] == 0
    assert result.summary()["projection/markers_broken_sentences"] == 1


def test_translate_test_by_markers_finds_spans_in_the_original(lexicon, tmp_path: Path):
    target = [
        TaggedSentence(["na", "shugaba", "ziyarci", "Kano", "jiya"], ["O"] * 5),
        TaggedSentence([], []),
    ]
    pipeline = _pipeline(lexicon, StageCache(tmp_path), "html", labeler=CapitalLabeler())
    result = translate_test(pipeline, target)
    # ha -> en: 'the president visited Kano yesterday'; Kano labelled, marked, back to ha
    assert result.sentences[0].tags == ["O", "O", "O", "B-PER", "O"]
    assert result.sentences[1].tags == []
    assert result.summary()["projection/markers_unmatched"] == 0
