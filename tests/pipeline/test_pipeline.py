"""The translate-test / translate-train pipeline: stages, cache reuse, back-translation."""

from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from helpers import from_config
from xner.align.base import Aligner
from xner.data.conll import TaggedSentence, read_conll, write_conll
from xner.data.entity import Entity
from xner.data.sources import Synthetic
from xner.labelers import Labeler, Labelled
from xner.pipeline.backtranslation import (
    BackTranslation,
    insert_markers,
    match_spans,
    parse_markers,
)
from xner.pipeline.cache import StageCache
from xner.pipeline.pipeline import Pipeline, translate_test, translate_train
from xner.pipeline.side_inputs import NMTScores, SideInputs, TargetLabels
from xner.pipeline.stages import Align, BackTranslate, Label, Project, Translate
from xner.project.scores import NMTScorer
from xner.translate import LexiconTranslator, Translator

LEXICON = "the\tna\npresident\tshugaba\nvisited\tziyarci\nmet\tgana\nyesterday\tjiya\n.\t.\n"
EN_SYN = dict(line.split("\t") for line in LEXICON.splitlines())


class Counting(Translator):
    """Wraps a translator and counts its calls."""

    def __init__(self, inner: Translator) -> None:
        self.inner = inner
        self.calls = 0

    def translate(self, sentences, src_lang, tgt_lang):
        self.calls += 1
        return self.inner.translate(sentences, src_lang, tgt_lang)


class SameWordAligner(Aligner):
    """Links word i to word j when they are equal after the lexicon (test double)."""

    def __init__(self, lexicon: dict[str, str] | None = None) -> None:
        self.lexicon = lexicon or {}
        self.calls = 0

    def align(self, pairs):
        self.calls += 1
        out = []
        for src, tgt in pairs:
            src_forms = [self.lexicon.get(w, w).lower() for w in src]
            out.append(
                {
                    (i, j)
                    for i, a in enumerate(src_forms)
                    for j, b in enumerate(tgt)
                    if a == b.lower()
                }
            )
        return out


class CapitalLabeler(Labeler):
    """Tags runs of capitalised words as PER (a stand-in for a source NER model)."""

    def label(self, sentences: Sequence[Sequence[str]]) -> list[Labelled]:
        out = []
        for words in sentences:
            tags, prev = [], "O"
            for w in words:
                tag = "O" if not w[:1].isupper() else ("I-PER" if prev != "O" else "B-PER")
                tags.append(tag)
                prev = tag
            out.append(Labelled(tags))
        return out


@pytest.fixture
def lexicon(tmp_path: Path) -> LexiconTranslator:
    path = tmp_path / "lex.tsv"
    path.write_text(LEXICON, encoding="utf-8")
    return from_config("translator", "lexicon", path=str(path), langs=["en", "syn"])


SOURCE = [
    TaggedSentence(
        ["the", "president", "visited", "Barack", "Obama", "."],
        ["O", "O", "O", "B-PER", "I-PER", "O"],
    ),
    TaggedSentence(["Kano", "met", "Abuja", "yesterday"], ["B-LOC", "O", "B-LOC", "O"]),
]
CONFIGS = {
    "translator": {"t": "lex"},
    "labeler": {"l": "gold"},
    "aligner": {"a": 1},
    "projector": {"p": "heuristic"},
    "backtranslation": {"threshold": 0.5},
}


def stages(
    translator: Translator,
    cache: StageCache,
    *,
    aligner: Aligner | None = None,
    projector=None,
    labeler: Labeler | None = None,
    backtranslation: BackTranslation | None = None,
    parallel_text=(),
    configs: dict = CONFIGS,
) -> Pipeline:
    """The pipeline: en -> syn, a same-word aligner, the heuristic projector."""
    return Pipeline(
        cache,
        "en",
        "syn",
        translate=Translate(translator, configs["translator"]),
        align=Align(aligner or SameWordAligner(), configs["aligner"], parallel_text),
        project=Project(projector or from_config("projector", "heuristic"), configs["projector"]),
        label=Label(labeler, configs["labeler"]) if labeler else None,
        backtranslate=BackTranslate(backtranslation, configs["backtranslation"])
        if backtranslation
        else None,
    )


def test_translate_train_projects_onto_the_translation(lexicon, tmp_path: Path):
    cache = StageCache(tmp_path / "c")
    result = translate_train(stages(lexicon, cache, aligner=SameWordAligner(EN_SYN)), SOURCE)
    assert [s.words for s in result.sentences] == [
        ["na", "shugaba", "ziyarci", "Barack", "Obama", "."],
        ["Kano", "gana", "Abuja", "jiya"],
    ]
    assert [s.tags for s in result.sentences] == [s.tags for s in SOURCE]
    assert (result.n_source_entities, result.n_projected, result.n_dropped) == (3, 3, 0)
    assert result.n_sentences_dropped == 0 and result.projected_share == 1.0


def test_translate_train_drops_sentences_with_unprojected_entities(lexicon, tmp_path: Path):
    class NoLinks(Aligner):
        def align(self, pairs):
            return [
                set() if "Kano" in src else {(i, i) for i in range(len(src))} for src, _ in pairs
            ]

    pipeline = stages(lexicon, StageCache(tmp_path), aligner=NoLinks())
    result = translate_train(pipeline, SOURCE)
    assert result.kept == [0] and result.n_sentences_dropped == 1 and result.n_dropped == 2
    kept_all = translate_train(pipeline, SOURCE, keep_incomplete=True)
    assert kept_all.kept == [0, 1] and kept_all.sentences[1].tags == ["O"] * 4


def test_sweep_translates_once_and_aligns_once_per_aligner(lexicon, tmp_path: Path):
    translator = Counting(lexicon)
    target = [TaggedSentence(["na", "shugaba", "ziyarci", "Barack", "Obama", "."], ["O"] * 6)]
    cache = StageCache(tmp_path)
    aligners = {"itermax": SameWordAligner(EN_SYN), "argmax": SameWordAligner(EN_SYN)}
    projectors = {
        "heuristic": from_config("projector", "heuristic"),
        "ilp": from_config("projector", "ilp_paper"),
    }
    outputs = []
    for proj_name, projector in projectors.items():  # the order of a Hydra sweep
        for method, aligner in aligners.items():
            configs = {**CONFIGS, "aligner": {"method": method}, "projector": {"name": proj_name}}
            pipeline = stages(
                translator,
                cache,
                aligner=aligner,
                projector=projector,
                labeler=CapitalLabeler(),
                configs=configs,
            )
            outputs.append(translate_test(pipeline, target))
    assert translator.calls == 1
    assert [a.calls for a in aligners.values()] == [1, 1]
    assert cache.stats["translate.misses"] == 1 and cache.stats["translate.hits"] == 3
    assert cache.stats["label.misses"] == 1
    assert cache.stats["project.misses"] == 4
    for out in outputs:
        assert out.sentences[0].tags == ["O", "O", "O", "B-PER", "I-PER", "O"]


def test_markers_and_fuzzy_matching():
    words = ["[", "Barack", "Obama", "]", "visited", "[", "Kano", "]", ".", "]", "["]
    clean, spans = parse_markers(words)
    assert clean == ["Barack", "Obama", "visited", "Kano", "."] and spans == [(0, 2), (3, 4)]
    assert insert_markers(
        ["Obama", "visited", "Kano"], [Entity(0, 1, "PER"), Entity(2, 3, "LOC")]
    ) == ["[", "Obama", "]", "visited", "[", "Kano", "]"]
    # each entity used once, best ratio first; 'xyz' matches nothing above 0.5
    assert match_spans(["Barak Obama", "Kano", "xyz"], ["Kano", "Barack Obama"], 0.5) == {
        0: 1,
        1: 0,
    }


@pytest.mark.parametrize("direction", ["test", "train"])
def test_backtranslation_with_the_lexicon_translator(lexicon, tmp_path: Path, direction: str):
    bt = BackTranslation(Counting(lexicon), threshold=0.5)
    labeler = CapitalLabeler() if direction == "test" else None
    common = stages(lexicon, StageCache(tmp_path), backtranslation=bt, labeler=labeler)
    if direction == "test":
        target = [
            TaggedSentence(["na", "shugaba", "ziyarci", "Barack", "Obama", "."], ["O"] * 6),
            TaggedSentence(["Kano", "gana", "Abuja", "jiya"], ["O"] * 4),
        ]
        result = translate_test(common, target)
        expected = [["O", "O", "O", "B-PER", "I-PER", "O"], ["B-PER", "O", "B-PER", "O"]]
    else:
        result = translate_train(common, SOURCE)
        expected = [s.tags for s in SOURCE]
    assert [s.tags for s in result.sentences] == expected
    assert bt.translator.calls == 2  # marked sentences, then the entities alone
    assert "backtranslate" in result.keys and result.n_dropped == 0


def test_backtranslation_unmatched_markers_are_dropped(tmp_path: Path):
    class Mangler(Translator):
        def translate(self, sentences, src_lang, tgt_lang):
            return [["zzz"] if len(s) <= 2 else list(s) for s in sentences]

    target = [TaggedSentence(["Kano", "gana", "Abuja"], ["O"] * 3)]
    ident = Mangler()
    pipeline = stages(
        ident,
        StageCache(tmp_path),
        backtranslation=BackTranslation(ident),
        labeler=CapitalLabeler(),
    )
    result = translate_test(pipeline, target)
    assert result.sentences[0].tags == ["O"] * 3
    assert (result.n_source_entities, result.n_projected, result.n_dropped) == (2, 0, 2)


@pytest.fixture(scope="module")
def synthetic() -> Synthetic:
    return from_config("data", "synthetic", n_train=40, n_dev=0, n_test=30)


def test_both_directions_complete_on_the_synthetic_corpus(synthetic, tmp_path: Path):
    lexicon = from_config("translator", "lexicon", source=synthetic, langs=["en", "syn"])
    common = stages(lexicon, StageCache(tmp_path / "cache"), labeler=CapitalLabeler())
    train = translate_train(replace(common, label=None), synthetic.split("en", "train"))
    test = translate_test(common, synthetic.split("syn", "test"))
    assert train.n_source_entities > 0 and train.n_projected > 0
    assert len(test.sentences) == 30
    for name, result in (("train", train), ("test", test)):
        path = write_conll(tmp_path / f"{name}.conll", result.sentences)
        back = read_conll(path)  # strict IOB2 validation
        assert [s.tags for s in back] == [s.tags for s in result.sentences]


def test_reference_translator_and_gold_labels_recover_the_synthetic_target(synthetic, tmp_path):

    gold = synthetic.split("syn", "test")
    common = stages(
        from_config("translator", "reference", source=synthetic),
        StageCache(tmp_path),
        labeler=from_config("labeler", "gold", source=synthetic),
    )
    result = translate_test(common, gold)
    assert [s.words for s in result.sentences] == [s.words for s in gold]
    n_gold = sum(Counter(t[:2] for t in s.tags)["B-"] for s in gold)
    assert result.n_source_entities == n_gold


def test_training_pairs_multiset_difference():
    from xner.pipeline.stages import training_pairs

    a, b, c = (["a"], ["A"]), (["b"], ["B"]), (["c"], [])
    # one occurrence per projected pair is removed; empty sides never reach the aligner
    assert training_pairs([a], [a, b, a, c]) == [b, a]
    assert training_pairs([a, b], [b, a]) == []


class LearningAligner(SameWordAligner):
    """A same-word aligner that records the text it was given to learn from."""

    learns_from_text = True

    def align(self, pairs, training=()):
        self.training = list(training)
        return super().align(pairs)


def test_aligner_learns_from_all_parallel_text_and_the_key_follows_it(tmp_path: Path):

    corpus = from_config("data", "synthetic", n_train=6, n_dev=0, n_test=3, seed=3)
    translator = from_config("translator", "reference", source=corpus, splits=["train", "test"])
    text = translator.parallel_text("en", "syn")
    assert len(text) == 9
    cache = StageCache(tmp_path / "c")
    target = corpus.split("syn", "test")
    kw = {"labeler": from_config("labeler", "gold", source=corpus)}
    aligner = LearningAligner()
    first = translate_test(
        stages(translator, cache, aligner=aligner, parallel_text=text, **kw), target
    )
    assert len(aligner.training) == 6  # the 3 projected pairs are not repeated
    assert aligner.training[0] == text[0]  # (English words, target words) of train sentence 0
    again = translate_test(
        stages(translator, cache, aligner=LearningAligner(), parallel_text=text, **kw), target
    )
    assert again.keys["align"] == first.keys["align"]
    fewer = translate_test(
        stages(translator, cache, aligner=LearningAligner(), parallel_text=[], **kw), target
    )
    assert fewer.keys["align"] != first.keys["align"]
    plain = translate_test(  # a neural-style aligner
        stages(translator, cache, parallel_text=text, **kw), target
    )
    assert plain.keys["align"] == fewer.keys["align"]


class FirstWordAligner(Aligner):
    """Links every source word to target word 0 (test double)."""

    def align(self, pairs):
        return [{(i, 0) for i in range(len(src))} for src, _ in pairs]


def test_unmet_projector_constraints_are_counted_and_logged(lexicon, tmp_path: Path, caplog):
    # sentence 1 has two LOC entities whose only evidence is target word 0: '= 1' cannot hold
    kw = stages(
        lexicon,
        StageCache(tmp_path / "c"),
        aligner=FirstWordAligner(),
        projector=from_config("projector", "ilp_paper", constraint="eq"),
    )
    with caplog.at_level("WARNING", logger="xner.pipeline.pipeline"):
        result = translate_train(kw, SOURCE, keep_incomplete=True)
    assert result.n_unmet == 1
    assert "could not meet its constraints in 1 of 2 sentences (1): they got infeasible" in (
        caplog.text
    )
    cached = translate_train(kw, SOURCE, keep_incomplete=True)  # the status survives the cache
    assert cached.n_unmet == 1


class ProbLabeler(CapitalLabeler):
    """CapitalLabeler with one-hot probabilities: a target-side NER model stand-in."""

    NAMES = ["O", "B-PER", "I-PER"]

    def __init__(self) -> None:
        self.calls = 0

    def label(self, sentences):
        self.calls += 1
        eye = np.eye(len(self.NAMES), dtype=np.float32)
        return [
            Labelled(lab.tags, eye[[self.NAMES.index(t) for t in lab.tags]], list(self.NAMES))
            for lab in super().label(sentences)
        ]


class ExactNMT(NMTScorer):
    """1 for identical phrases; counts the phrase pairs it scored."""

    def __init__(self) -> None:
        self.scored = 0

    def score(self, src_phrases, tgt_phrases):
        self.scored += len(src_phrases)
        return [float(s == t) for s, t in zip(src_phrases, tgt_phrases, strict=True)]


def test_side_inputs_reach_the_projector_and_its_cache_key(lexicon, tmp_path: Path):
    target = [TaggedSentence(["na", "shugaba", "ziyarci", "Barack", "Obama", "."], ["O"] * 6)]
    projector = from_config("projector", "ilp", weights={"align": 1.0, "ner": 1.0, "nmt": 1.0})
    plain = stages(lexicon, StageCache(tmp_path), projector=projector, labeler=CapitalLabeler())
    labeler, nmt = ProbLabeler(), ExactNMT()
    side = SideInputs(TargetLabels(labeler, {"t": "probs"}), NMTScores(nmt, {"n": "exact"}))
    first = translate_test(replace(plain, side_inputs=side), target)
    assert first.sentences[0].tags == ["O", "O", "O", "B-PER", "I-PER", "O"]
    assert labeler.calls == 1 and nmt.scored > 0
    again = translate_test(replace(plain, side_inputs=side), target)
    assert labeler.calls == 1 and again.keys == first.keys  # the target labels were cached
    other = replace(side, nmt_scorer=NMTScores(nmt, {"n": "other"}))
    moved = translate_test(replace(plain, side_inputs=other), target)
    assert moved.keys["target_labeler"] == first.keys["target_labeler"]
    assert moved.keys["project"] != first.keys["project"]  # a side input's config is in the key
