"""Every bad input of issue 7, in one place: a one-line error naming where, or a logged repair.

Sections: CoNLL files (a table of messy and broken files), prediction/gold files that do not
line up, translations and alignments gone wrong inside the pipeline, and configurations that
must be refused before any work starts (the apps' own entry points, in a subprocess or in this
process: exit 2, one ``error:`` line, no traceback, no cache entry written).
"""

import logging
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from helpers import CONF_DIR, composed, error_line, from_config, run_app, run_app_here
from xner.align.base import Aligner
from xner.data.conll import TaggedSentence, read_conll
from xner.errors import ConfigError, DataError
from xner.evaluation.metrics import score_sentences
from xner.labelers.base import Labeler, Labelled
from xner.pipeline.cache import StageCache
from xner.pipeline.guards import MAX_LENGTH_RATIO, guard_translations
from xner.pipeline.pipeline import Pipeline, translate_test, translate_train
from xner.pipeline.stages import Align, Label, Project, Translate
from xner.translate.base import Translator

# --- CoNLL files --------------------------------------------------------------------------------

CANONICAL = "John\tB-PER\nSmith\tI-PER\nvisited\tO\nLagos\tB-LOC\n\nThe\tO\nUN\tB-ORG\nmet\tO\n"
WORDS = [["John", "Smith", "visited", "Lagos"], ["The", "UN", "met"]]
TAGS = [["B-PER", "I-PER", "O", "B-LOC"], ["O", "B-ORG", "O"]]
LONG_TAGS = ["O", "B-PER", "I-PER", "O", "B-LOC"] * 1000

# (case, file bytes, read_conll options, expected tags per sentence or an error regex)
CONLL_CASES = [
    ("crlf line endings", CANONICAL.replace("\n", "\r\n").encode(), {}, TAGS),
    ("cr-only line endings (old Mac)", CANONICAL.replace("\n", "\r").encode(), {}, TAGS),
    ("cr cr lf (converted twice)", CANONICAL.replace("\n", "\r\r\n").encode(), {}, TAGS),
    ("mixed line endings", b"John\tB-PER\r\nSmith\tI-PER\rvisited\tO\nLagos\tB-LOC\r\r"
     b"The\tO\r\nUN\tB-ORG\nmet\tO\r", {}, TAGS),
    ("byte order mark mid-file", CANONICAL.replace("\n\n", "\n\n\ufeff").encode(), {}, TAGS),
    ("byte order mark before -DOCSTART-", b"\xef\xbb\xbf" + CANONICAL.replace(
     "\n\n", "\n\n\ufeff-DOCSTART- O\n\n").encode(), {}, TAGS),
    ("zero-width space in a tag", CANONICAL.replace("B-LOC", "B-LOC\u200b").encode(), {},
     r"f\.conll:4: sentence 0: tag 'B-LOC\\u200b' holds invisible characters "
     r"\(U\+200B ZERO WIDTH SPACE\); delete them$"),
    *((f"U+{ord(ch):04X} in a tag", f"a\tO\n\nb\tB-{ch}PER\n".encode(), {},
       rf"f\.conll:3: sentence 1: tag .* holds invisible characters \(U\+{ord(ch):04X} ")
      for ch in "\u200c\u200d\u2060\ufeff\xa0\u2028\u2029"),
    ("tag followed by a no-break space", b"a\tO\xc2\xa0\n", {},
     r"f\.conll:1: sentence 0: tag 'O\\xa0' holds invisible characters \(U\+00A0 NO-BREAK"),
    ("token that is only a no-break space", b"a\tO\n\xc2\xa0\tO\n", {},
     r"f\.conll:2: sentence 0: token '\\xa0' is only invisible characters "
     r"\(U\+00A0 NO-BREAK SPACE\); write the word or delete the line$"),
    ("token that is only a line separator", "a\tO\n\nb\tO\n\u2028\tB-PER\n".encode(), {},
     r"f\.conll:4: sentence 1: token '\\u2028' is only invisible characters "
     r"\(U\+2028 LINE SEPARATOR\)"),
    ("line that is only zero-width spaces", "a\tO\n\u200b\u200b\n".encode(), {},
     r"f\.conll:2: sentence 0: token '\\u200b\\u200b' is only invisible characters"),
    ("byte order mark", b"\xef\xbb\xbf" + CANONICAL.encode(), {}, TAGS),
    ("trailing whitespace", CANONICAL.replace("\n", " \t \n").encode(), {}, TAGS),
    ("several blank lines", CANONICAL.replace("\n\n", "\n\n\n\n").encode() + b"\n\n", {}, TAGS),
    ("no final newline", CANONICAL.rstrip("\n").encode(), {}, TAGS),
    ("tabs and spaces mixed", CANONICAL.replace("\tB-PER", "  B-PER").replace("\tO", " \t O")
     .encode(), {}, TAGS),
    ("token with no tag", b"a\tO\n\nb\tO\nlonely\n", {},
     r"f\.conll:4: sentence 1: token 'lonely' has no tag"),
    ("iob1 tags", b"a\tI-PER\nb\tI-PER\nc\tB-PER\nd\tO\ne\tI-LOC\n", {"scheme": "iob1"},
     [["B-PER", "I-PER", "B-PER", "O", "B-LOC"]]),
    ("bioes tags", b"a\tS-PER\nb\tB-ORG\nc\tI-ORG\nd\tE-ORG\n", {"scheme": "bioes"},
     [["B-PER", "B-ORG", "I-ORG", "I-ORG"]]),
    ("bioes tags read as iob2", b"a\tO\n\nb\tS-PER\n", {},
     r"f\.conll:3: sentence 1: tag 'S-PER' is not IOB2 \(wrong tag scheme\?"),
    ("I-X after O, refused", b"a\tO\nb\tI-LOC\n", {"orphans": "refuse"},
     r"f\.conll:2: sentence 0: I-LOC follows O .*orphans='begin'"),
    ("I-X after O, read as conlleval", b"a\tO\nb\tI-LOC\nc\tI-LOC\n", {},
     [["O", "B-LOC", "I-LOC"]]),
    ("I-X after O, kept", b"a\tO\nb\tI-LOC\nc\tI-LOC\n", {"orphans": "keep"},
     [["O", "I-LOC", "I-LOC"]]),
    ("unknown tag", b"a\tO\nb\tX-PER\n", {}, r"f\.conll:2: sentence 0: unknown tag 'X-PER'"),
    ("unknown label", b"a\tB-PER\n\nb\tB-DATE\n", {"labels": ["PER", "LOC"]},
     r"f\.conll:3: sentence 1: unknown label 'DATE' in tag 'B-DATE' \(known: LOC, PER\)"),
    ("non-utf-8 bytes", b"a\tO\n\ncaf\xe9\tB-LOC\n", {},
     r"f\.conll:3: not valid UTF-8 \(byte 0xe9\); re-encode the file as UTF-8"),
    ("empty file", b"", {}, r"f\.conll: empty file \(no sentences\)$"),
    ("only blank lines", b"\n \n\t\n", {}, r"f\.conll: empty file \(no sentences\)$"),
    ("5,000-word sentence", "".join(f"w{i}\t{t}\n" for i, t in enumerate(LONG_TAGS)).encode(),
     {}, [LONG_TAGS]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("raw", "options", "expected"),
    [case[1:] for case in CONLL_CASES],
    ids=[case[0] for case in CONLL_CASES],
)
def test_conll_file(tmp_path: Path, raw: bytes, options: dict, expected):
    path = tmp_path / "f.conll"
    path.write_bytes(raw)
    if isinstance(expected, str):
        with pytest.raises(DataError, match=expected) as err:
            read_conll(path, **options)
        assert "\n" not in str(err.value) and str(path) in str(err.value)
    else:
        sentences = read_conll(path, **options)
        assert [s.tags for s in sentences] == expected
        if expected is TAGS:
            assert [s.words for s in sentences] == WORDS


def test_orphans_are_counted_and_reported_once(tmp_path: Path, caplog):
    path = tmp_path / "f.conll"
    path.write_text("a\tO\nb\tI-LOC\n\nc\tB-PER\nd\tI-LOC\ne\tI-LOC\n")
    with caplog.at_level(logging.WARNING):
        read_conll(path)
    (record,) = [r for r in caplog.records if "orphan" in r.getMessage()]
    assert f"2 orphan I- tag(s) (an I-X after O or another type, first at {path}:2)" in (
        record.getMessage()
    )


def test_invisible_characters_and_mid_file_boms_are_reported_once(tmp_path: Path, caplog):
    path = tmp_path / "f.conll"
    text = "New\xa0York\tB-LOC\nis\tO\n\n\ufeffZ\u200bu\tB-PER\n\n\ufeffa\u2028b\tO\n"
    path.write_text(text, encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        sentences = read_conll(path)
    assert [s.words for s in sentences] == [["New\xa0York", "is"], ["Z\u200bu"], ["a\u2028b"]]
    assert [s.tags for s in sentences] == [["B-LOC", "O"], ["B-PER"], ["O"]]
    messages = [r.getMessage() for r in caplog.records]
    assert messages == [
        f"{path}: 2 byte order mark(s) inside the file (files concatenated?), first at {path}:4, "
        "removed",
        f"{path}: 3 word(s) hold invisible characters (U+00A0 NO-BREAK SPACE, U+200B ZERO WIDTH "
        f"SPACE, U+2028 LINE SEPARATOR), first at {path}:1; read as written",
    ]


def test_a_bom_at_the_file_start_is_not_reported(tmp_path: Path, caplog):
    path = tmp_path / "f.conll"
    path.write_bytes(b"\xef\xbb\xbf" + CANONICAL.encode())
    with caplog.at_level(logging.WARNING):
        read_conll(path)
    assert not caplog.records


def score_files(repo_root: Path, folder: Path) -> subprocess.CompletedProcess:
    """``evaluate.py score`` of ``folder``'s pred.conll against its gold.conll."""
    return subprocess.run(
        [sys.executable, "evaluate.py", "score", str(folder / "pred.conll"),
         str(folder / "gold.conll")],
        cwd=repo_root, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_score_reads_cr_only_files_exactly(repo_root, tmp_path):
    for name in ("pred.conll", "gold.conll"):
        (tmp_path / name).write_bytes(CANONICAL.replace("\n", "\r").encode())
    done = score_files(repo_root, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("P = 1.0000  R = 1.0000  F1 = 1.0000  (gold entities: 3)")


def test_score_refuses_a_zero_width_tag_in_one_line(repo_root, tmp_path):
    (tmp_path / "pred.conll").write_text(CANONICAL.replace("B-PER", "B-PER\u200b"))
    (tmp_path / "gold.conll").write_text(CANONICAL)
    done = score_files(repo_root, tmp_path)
    assert done.returncode == 2
    assert done.stderr == (
        f"error: {tmp_path}/pred.conll:1: sentence 0: tag 'B-PER\\u200b' holds invisible "
        "characters (U+200B ZERO WIDTH SPACE); delete them\n"
    )


# --- prediction and gold files that do not line up -------------------------------------------


def _sentences(*rows: str) -> list[TaggedSentence]:
    return [TaggedSentence(r.split(), ["O"] * len(r.split())) for r in rows]


def test_prediction_and_gold_token_counts_differ():
    pred = _sentences("a b c", "d e")
    gold = _sentences("a b c", "d e f")
    with pytest.raises(DataError) as err:
        score_sentences(pred, gold, pred_name="pred.conll", gold_name="gold.conll")
    assert str(err.value) == (
        "pred.conll and gold.conll differ at sentence 1 (0-based): 2 vs 3 tokens; "
        "first differing token 2: (end of sentence) vs 'f'"
    )


def test_prediction_and_gold_sentence_counts_differ_on_the_cli(repo_root, tmp_path: Path):
    (tmp_path / "pred.conll").write_text("a\tO\n\nb\tO\n")
    (tmp_path / "gold.conll").write_text("a\tO\n\nb\tO\nc\tO\n")
    done = score_files(repo_root, tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("error: ") and done.stderr.count("\n") == 1
    assert "differ at sentence 1 (0-based): 1 vs 2 tokens" in done.stderr


# --- the pipeline: translations, alignments, entities ----------------------------------------


class TableTranslator(Translator):
    """Returns fixed translations by sentence position."""

    def __init__(self, outputs: Sequence[Sequence[str]]) -> None:
        self.outputs = [list(o) for o in outputs]

    def translate(self, sentences, src_lang, tgt_lang):
        return [list(o) for o in self.outputs[: len(sentences)]]


class DiagonalAligner(Aligner):
    """Links word i to word i (as far as both sentences go); records what it was asked."""

    def __init__(self) -> None:
        self.seen: list[tuple[list[str], list[str]]] = []

    def align(self, pairs):
        self.seen.extend((list(s), list(t)) for s, t in pairs)
        return [{(i, i) for i in range(min(len(s), len(t)))} for s, t in pairs]


class FixedAligner(Aligner):
    def __init__(self, links: Sequence[set]) -> None:
        self.links = links

    def align(self, pairs):
        return [set(x) for x in self.links[: len(pairs)]]


class CapitalLabeler(Labeler):
    """Capitalised words are B-PER; records the sentences it labels."""

    def __init__(self) -> None:
        self.seen: list[list[str]] = []

    def label(self, sentences):
        self.seen.extend(list(s) for s in sentences)
        return [Labelled(["B-PER" if w[:1].isupper() else "O" for w in s]) for s in sentences]


CONFIGS = {"translator": {"t": 1}, "labeler": {"l": 1}, "aligner": {"a": 1}, "projector": {}}


def _pipeline(
    tmp_path,
    translations,
    aligner=None,
    labeler=None,
    max_length_ratio=MAX_LENGTH_RATIO,
    projector=None,
) -> Pipeline:
    translator = TableTranslator([t.split() for t in translations])
    return Pipeline(
        StageCache(tmp_path / "cache"),
        "en",
        "syn",
        translate=Translate(translator, CONFIGS["translator"], max_length_ratio),
        align=Align(aligner or DiagonalAligner(), CONFIGS["aligner"]),
        project=Project(projector or from_config("projector", "heuristic"), CONFIGS["projector"]),
        label=Label(labeler, CONFIGS["labeler"]) if labeler else None,
    )


def _test(tmp_path, translations, target, aligner=None, labeler=None, **kw):
    pipeline = _pipeline(tmp_path, translations, aligner, labeler or CapitalLabeler(), **kw)
    return translate_test(
        pipeline, [TaggedSentence(w.split(), ["O"] * len(w.split())) for w in target]
    )


def _train(tmp_path, source, translations, aligner=None, keep_incomplete=False):
    return translate_train(_pipeline(tmp_path, translations, aligner), source, keep_incomplete)


SOURCE = [
    TaggedSentence(["Ada", "sang"], ["B-PER", "O"]),
    TaggedSentence(["Bo", "ran", "far"], ["B-PER", "O", "O"]),
]


def test_empty_translation_in_translate_test_keeps_o_tags_and_is_counted(tmp_path, caplog):
    labeler, aligner = CapitalLabeler(), DiagonalAligner()
    with caplog.at_level(logging.WARNING):
        result = _test(tmp_path, ["Ada sang", ""], ["Ada sang", "Bo ran"], aligner, labeler=labeler)
    assert [s.tags for s in result.sentences] == [["B-PER", "O"], ["O", "O"]]
    assert result.n_empty_translations == 1 and result.n_source_entities == 1
    assert labeler.seen == [["Ada", "sang"]] and len(aligner.seen) == 1  # the empty one skipped
    assert "1 of 2 translations came back empty (sentences 1)" in caplog.text


def test_empty_translation_in_translate_train_drops_the_sentence_and_counts_it(tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        result = _train(tmp_path, SOURCE, ["Ada sang", ""], keep_incomplete=True)
    assert [s.words for s in result.sentences] == [["Ada", "sang"]] and result.kept == [0]
    assert result.n_empty_translations == 1 and result.n_sentences_dropped == 1
    assert result.n_dropped == 1  # Bo's entity
    assert "their entities are dropped" in caplog.text


def test_runaway_translation_is_cut_to_the_limit_and_counted(tmp_path, caplog):
    limit = 3 * 2 + 10  # max_length_ratio x words + length_slack
    runaway = " ".join(["Ada", "sang"] + ["la"] * 40)
    labeler = CapitalLabeler()
    with caplog.at_level(logging.WARNING):
        result = _test(tmp_path, [runaway], ["Ada sang"], labeler=labeler)
    assert [len(s) for s in labeler.seen] == [limit]
    assert result.n_truncated_translations == 1
    assert result.sentences[0].tags == ["B-PER", "O"]
    assert "longer than 3.0 x the input + 10 words and were cut (sentences 0)" in caplog.text
    # The cut is part of the keys of later stages: another limit relabels, the raw one is reused.
    again = _test(tmp_path, [runaway], ["Ada sang"], max_length_ratio=None)
    assert again.keys["translate"] == result.keys["translate"]
    assert again.keys["label"] != result.keys["label"] and again.n_truncated_translations == 0


def test_guard_translations_counts_are_exact():
    check = guard_translations(
        [["a"], ["b", "c"], [], ["d"]], [[], ["x"] * 17, [], ["y"] * 13], max_ratio=3, slack=10
    )
    assert check.empty == [0] and check.truncated == [1]
    assert [len(t) for t in check.translations] == [0, 16, 0, 13]
    with pytest.raises(DataError, match="translator returned 1 translations for 2 sentences"):
        guard_translations([["a"], ["b"]], [["x"]])


def test_alignment_outside_the_sentence_names_the_pair_and_caches_nothing(tmp_path):
    bad = FixedAligner([{(0, 0)}, {(1, 1), (7, 0)}])
    with pytest.raises(DataError) as err:
        _train(tmp_path, SOURCE, ["Ada sang", "Bo ran"], bad)
    assert str(err.value) == (
        "sentence pair 1: alignment link (7, 0) lies outside the sentences "
        "(3 source words, 2 target words)"
    )
    assert not (tmp_path / "cache" / "align").exists() or not any(
        (tmp_path / "cache" / "align").iterdir()
    )


def test_source_entity_without_links_is_dropped_and_counted(tmp_path):
    links = FixedAligner([{(1, 1)}, {(0, 0), (1, 1)}])  # Ada (word 0) has no link
    result = _train(tmp_path, SOURCE, ["Ada sang", "Bo ran"], links)
    assert result.n_source_entities == 2 and result.n_projected == 1 and result.n_dropped == 1
    assert result.kept == [1] and result.n_sentences_dropped == 1
    kept = _train(tmp_path, SOURCE, ["Ada sang", "Bo ran"], links, keep_incomplete=True)
    assert [s.tags for s in kept.sentences] == [["O", "O"], ["B-PER", "O"]]
    test = _test(tmp_path, ["Ada sang"], ["Ada sang"], FixedAligner([set()]))
    assert test.sentences[0].tags == ["O", "O"] and test.n_dropped == 1


@pytest.mark.parametrize("projector", ["heuristic", "ilp"])
def test_sentences_with_zero_entities_pass_through(tmp_path, projector):

    plain = [TaggedSentence(["it", "rained"], ["O", "O"])]
    chosen = from_config("projector", "ilp_paper" if projector == "ilp" else "heuristic")
    result = translate_train(_pipeline(tmp_path, ["es regnete"], projector=chosen), plain)
    assert [s.tags for s in result.sentences] == [["O", "O"]]
    assert result.n_source_entities == 0 and result.projected_share == 1.0
    test = _test(tmp_path, ["it rained"], ["es regnete"])
    assert test.sentences[0].tags == ["O", "O"] and test.n_source_entities == 0


# --- configurations: refused before any work starts (the real apps) ---------------------------


def no_cache_entries(tmp_path: Path) -> bool:
    cache = tmp_path / "cache"
    return not cache.exists() or not any(p.name == "value.json" for p in cache.rglob("*"))


def masakha_folder(tmp_path: Path, lang: str) -> Path:
    root = tmp_path / "masakhaner"
    (root / lang).mkdir(parents=True)
    for split in ("train", "dev", "test"):
        (root / lang / f"{split}.txt").write_text("Musa B-PER\nya O\n")
    return root


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["aligner=nope"],
         "error: unknown aligner 'nope': choose one of awesome, awesome_me5, eflomal, simalign, "
             "simalign_me5"),
        (["-m", "projector=heuristic,best"],
         "error: unknown projector 'best': choose one of heuristic, heuristic_paper, ilp, "
         "ilp_paper"),
    ],
)  # fmt: skip
def test_unknown_group_choice_is_one_line(repo_root, tmp_path, overrides, message):
    done = run_app(repo_root, tmp_path, "project.py", *overrides)
    assert error_line(done).startswith(message)
    assert no_cache_entries(tmp_path)


def test_check_choices_names_the_group_and_its_options():
    from xner.run.choices import check_choices

    check_choices(
        ["-m", "aligner=eflomal", "projector=heuristic,ilp", "hydra/launcher=joblib",
         "data@source_data=synthetic", "lang=hau", "~labeler", "+experiment=quickstart"]
    )  # fmt: skip
    with pytest.raises(ConfigError, match=r"^unknown aligner 'nope': choose one of awesome, "):
        check_choices(["aligner=nope"])
    with pytest.raises(ConfigError, match=r"^unknown data 'nope': choose one of conll, conll2003,"):
        check_choices(["data@source_data=nope"])
    with pytest.raises(ConfigError, match=r"^hydra.callbacks.x._target_='os.system': Hydra's"):
        check_choices(["+hydra.callbacks.x._target_=os.system"])


def test_language_the_translator_does_not_cover(repo_root, tmp_path):
    root = masakha_folder(tmp_path, "pcm")
    done = run_app_here(
        repo_root, tmp_path, "project.py", "data=masakhaner2", f"data.root={root}", "lang=pcm",
        "source_data=synthetic", "translator=nllb_600m", "labeler=gold",
    )  # fmt: skip
    line = error_line(done)
    assert "language 'pcm' is not covered by facebook/nllb-200-distilled-600M (nllb)" in line
    assert no_cache_entries(tmp_path)


def test_missing_local_data_folder(repo_root, tmp_path):
    absent = tmp_path / "absent"
    done = run_app(
        repo_root, tmp_path, "project.py", "data=masakhaner2", f"data.root={absent}", "lang=hau",
        "source_data=synthetic",
    )  # fmt: skip
    assert error_line(done) == (
        f"error: masakhaner2: data folder {absent} does not exist; set data.root=/local/folder"
    )
    assert no_cache_entries(tmp_path) and not (tmp_path / "mlflow.db").exists()


@pytest.mark.parametrize("what", ["missing", "folder"])
def test_a_missing_split_file_names_the_path_looked_for(repo_root, tmp_path, what):
    (tmp_path / "data" / "yor").mkdir(parents=True)
    (tmp_path / "data" / "yor" / "train.txt").write_text(CANONICAL)
    test_file = tmp_path / "data" / "yor" / "test.txt"
    if what == "folder":
        test_file.mkdir()
    done = run_app_here(
        repo_root, tmp_path, "train.py", "data=masakhaner2", f"data.root={tmp_path}/data",
        "lang=yor", "method=supervised",
    )  # fmt: skip
    state = "is a folder, not a file" if what == "folder" else "does not exist"
    assert error_line(done) == (
        f"error: masakhaner2: no test split for 'yor': {test_file} {state} "
        "(set data.root=/local/folder holding it)"
    )
    assert not (tmp_path / "mlflow.db").exists()


def test_unreachable_hub_while_offline(repo_root, tmp_path):
    done = run_app_here(
        repo_root,
        tmp_path,
        "project.py",
        "+debug=tiny",
        "aligner=simalign",
        "aligner.model=xner-test/absent",
    )
    line = error_line(done)
    assert "aligner.model='xner-test/absent': offline (HF_HUB_OFFLINE=1)" in line
    assert "set aligner.model=/local/folder" in line
    assert no_cache_entries(tmp_path)  # refused before translating or labelling


def test_offline_hub_checks_name_the_model_and_option(monkeypatch, tmp_path):

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ConfigError, match=r"translator.model='xner-test/mt': offline"):
        from_config("translator", "hf", model="xner-test/mt", family="nllb").check("en", "hau")
    with pytest.raises(ConfigError, match=r"labeler.checkpoint='xner-test/ner': offline"):
        from_config("labeler", "model", checkpoint="xner-test/ner")
    with pytest.raises(ConfigError, match=r"labeler.checkpoint='.*nowhere': no such model folder"):
        from_config("labeler", "model", checkpoint=str(tmp_path / "nowhere"))


def test_a_parallel_corpus_with_a_missing_sentence_names_where_it_diverges(tmp_path: Path):

    english = [
        "The House rose .",
        "Mr Smith spoke in Paris today about the budget of the Union .",
        "Thank you .",
        "Yes .",
    ]
    german = ["Das Haus erhob sich .", "Danke .", "Ja ."]  # sentence 1 was lost
    for lang, lines in (("en", english), ("de", german)):
        text = "\n\n".join("\n".join(f"{w}\tO" for w in line.split()) for line in lines)
        (tmp_path / f"{lang}-europarl.test.conll02").write_text(text + "\n")
    source = from_config("data", "europarl", root=tmp_path, train_size=1, test_size=1)
    with pytest.raises(DataError) as err:
        source.split("de", "test")
    message = str(err.value)
    assert "has 3 sentences" in message and "has 4" in message
    assert "near sentence 1" in message


# --- +debug=tiny with every choice --------------------------------------------------------------


@pytest.mark.parametrize("aligner", sorted(p.stem for p in (CONF_DIR / "aligner").glob("*.yaml")))
def test_debug_tiny_builds_every_aligner(aligner: str):
    from helpers import composed
    from xner.config import build

    overrides = ["+debug=tiny", f"aligner={aligner}"]
    if isinstance(composed("project", *overrides).aligner.get("model"), str):
        overrides += ["aligner.model=minilm", "aligner.layer=3"]  # the bundled encoder
    assert build(composed("project", *overrides).aligner) is not None


def test_debug_tiny_with_another_corpus_is_one_line_naming_the_keys(repo_root, tmp_path):
    done = run_app_here(
        repo_root, tmp_path, "train.py", "+debug=tiny", "data=masakhaner2",
        f"data.root={tmp_path}", "lang=yor", "method=supervised",
    )  # fmt: skip
    assert error_line(done) == (
        "error: data.n_train, data.n_dev, data.n_test: xner.data.sources.MasakhaNER2 takes no "
        "such option; remove it (~data.n_train ~data.n_dev ~data.n_test)"
    )


def test_an_option_the_target_does_not_take_is_named_in_a_nested_node():
    from omegaconf import OmegaConf

    from xner.config import build

    shipped = composed("train", "translator=reference").translator  # the source: data=synthetic
    translator = OmegaConf.to_container(shipped, resolve=True)
    node = {**translator, "source": {**translator["source"], "n_train": 4, "n_tarin": 4}}
    with pytest.raises(ConfigError) as err:
        build(node)
    assert str(err.value) == (
        "source.n_tarin: xner.data.sources.Synthetic takes no such option; remove it "
        "(~source.n_tarin)"
    )
