"""CoNLL reading and writing: round trip, validation messages, and messy real-world files."""

from pathlib import Path

import pytest

from xner.data.conll import (
    TaggedSentence,
    format_conll,
    parse_conll,
    read_conll,
    untagged,
    write_conll,
)
from xner.errors import DataError

CANONICAL = (
    "John\tB-PER\nSmith\tI-PER\nvisited\tO\nLagos\tB-LOC\n.\tO\n"
    "\n"
    "The\tO\nUnited\tB-ORG\nNations\tI-ORG\nmet\tO\n"
)


def write(tmp_path: Path, text: str | bytes, name: str = "f.conll") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_round_trip_is_lossless(tmp_path):
    sentences = parse_conll(CANONICAL)
    assert format_conll(sentences) == CANONICAL
    path = write_conll(tmp_path / "out" / "a.conll", sentences)
    assert path.read_text(encoding="utf-8") == CANONICAL
    assert read_conll(path) == sentences
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]


def test_round_trip_keeps_middle_columns_and_unicode():
    text = "Ọ̀gá\tNNP\tB-PER\nní\tVB\tO\n\nÜber\tAPPR\tO\n"
    sentences = parse_conll(text)
    assert sentences[0].words == ["Ọ̀gá", "ní"]
    assert sentences[0].columns == [["NNP"], ["VB"]]
    assert format_conll(sentences) == text


def test_parse_structure_and_docstart():
    text = "-DOCSTART- -X- O O\n\nEU NNP B-ORG\nrejects VBZ O\n\n-DOCSTART- O\nPeter B-PER\n"
    sentences = parse_conll(text)
    assert [s.words for s in sentences] == [["EU", "rejects"], ["Peter"]]
    assert [s.tags for s in sentences] == [["B-ORG", "O"], ["B-PER"]]


def test_untagged_sets_every_tag_to_o():
    sentences = untagged(parse_conll(CANONICAL))
    assert [s.tags for s in sentences] == [["O"] * 5, ["O"] * 4]


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        (CANONICAL.replace("\n", "\r\n").encode(), "CRLF line endings"),
        (b"\xef\xbb\xbf" + CANONICAL.encode(), "byte order mark"),
        (CANONICAL.replace("\n", "  \t\n").encode(), "trailing whitespace"),
        (CANONICAL.replace("\n\n", "\n\n\n\n").encode() + b"\n\n\n", "several blank lines"),
        (CANONICAL.rstrip("\n").encode(), "no final newline"),
        (CANONICAL.replace("\tI-PER", "   I-PER").replace("\tO", " \t O").encode(), "mixed"),
    ],
)
def test_messy_files_read_the_same(tmp_path, raw, why):
    assert read_conll(write(tmp_path, raw)) == parse_conll(CANONICAL), why


def test_long_sentence(tmp_path):
    tags = ["O", "B-PER", "I-PER", "O", "B-LOC"] * 1000
    text = "".join(f"w{i}\t{t}\n" for i, t in enumerate(tags))
    (sentence,) = read_conll(write(tmp_path, text))
    assert len(sentence) == 5000
    assert sentence.tags == tags


def test_missing_tag_names_file_line_and_sentence(tmp_path):
    path = write(tmp_path, "a\tO\n\nb\tO\nlonely\n")
    with pytest.raises(DataError) as err:
        read_conll(path)
    assert str(err.value).startswith(f"{path}:4: sentence 1: token 'lonely' has no tag")


def test_unknown_tag(tmp_path):
    path = write(tmp_path, "a\tO\nb\tX-PER\n")
    with pytest.raises(DataError, match=r"f\.conll:2: sentence 0: unknown tag 'X-PER'"):
        read_conll(path)


def test_unknown_label_when_labels_are_restricted(tmp_path):
    path = write(tmp_path, "a\tO\n\nb\tB-PER\nc\tB-DATE\n")
    with pytest.raises(DataError) as err:
        read_conll(path, labels=["PER", "LOC"])
    assert f"{path}:4: sentence 1: unknown label 'DATE'" in str(err.value)
    assert "known: LOC, PER" in str(err.value)


def test_orphan_inside_is_refused_on_request(tmp_path):
    path = write(tmp_path, "a\tO\n\nb\tO\nc\tI-LOC\nd\tI-LOC\n")
    with pytest.raises(DataError) as err:
        read_conll(path, orphans="refuse", hint="set data.strict_iob2=false")
    message = str(err.value)
    assert message.startswith(f"{path}:4: sentence 1: I-LOC follows O")
    assert message.endswith("(not valid IOB2; set data.strict_iob2=false)")


def test_orphan_at_sentence_start_and_after_other_type(tmp_path):
    with pytest.raises(DataError, match=r":1: sentence 0: I-PER follows the sentence start"):
        read_conll(write(tmp_path, "a\tI-PER\n"), orphans="refuse")
    with pytest.raises(DataError, match=r":2: sentence 0: I-PER follows B-LOC"):
        read_conll(write(tmp_path, "a\tB-LOC\nb\tI-PER\n"), orphans="refuse")


def test_orphan_inside_begins_an_entity_by_default(tmp_path, caplog):
    path = write(tmp_path, "a\tO\nc\tI-LOC\nd\tI-LOC\ne\tB-LOC\nf\tI-PER\n")
    (sentence,) = read_conll(path)
    assert sentence.tags == ["O", "B-LOC", "I-LOC", "B-LOC", "B-PER"]
    assert f"2 orphan I- tag(s) (an I-X after O or another type, first at {path}:2)" in (
        caplog.text
    )
    (kept,) = read_conll(path, orphans="keep")
    assert kept.tags == ["O", "I-LOC", "I-LOC", "B-LOC", "I-PER"]


@pytest.mark.parametrize("text", ["", "\n\n  \n", "-DOCSTART- -X- O O\n\n"])
def test_empty_file(tmp_path, text):
    path = write(tmp_path, text)
    with pytest.raises(DataError, match=rf"^{path}: empty file \(no sentences\)$"):
        read_conll(path)


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        read_conll(tmp_path / "absent.conll")


def test_non_utf8_names_file_and_line(tmp_path):
    path = write(tmp_path, b"a\tO\nb\tO\n\ncaf\xe9\tB-LOC\n")
    with pytest.raises(DataError) as err:
        read_conll(path)
    assert str(err.value).startswith(f"{path}:4: not valid UTF-8 (byte 0xe9)")


@pytest.mark.parametrize(
    ("text", "scheme", "expected"),
    [
        ("a\tI-PER\nb\tI-PER\nc\tB-PER\nd\tO\ne\tI-LOC\n", "iob1",
         ["B-PER", "I-PER", "B-PER", "O", "B-LOC"]),
        ("a\tS-PER\nb\tB-ORG\nc\tI-ORG\nd\tE-ORG\ne\tO\n", "bioes",
         ["B-PER", "B-ORG", "I-ORG", "I-ORG", "O"]),
    ],
)  # fmt: skip
def test_schemes_convert_on_reading(tmp_path, text, scheme, expected):
    (sentence,) = read_conll(write(tmp_path, text), scheme=scheme)
    assert sentence.tags == expected


def test_wrong_scheme_is_reported_with_line_and_sentence(tmp_path):
    path = write(tmp_path, "a\tO\n\nb\tO\nc\tS-PER\n")
    with pytest.raises(DataError, match=r":4: sentence 1: tag 'S-PER' is not IOB1"):
        read_conll(path, scheme="iob1")
    with pytest.raises(DataError) as err:
        read_conll(path)
    assert str(err.value).startswith(f"{path}:4: sentence 1: tag 'S-PER' is not IOB2 (wrong tag")
    assert read_conll(path, scheme="bioes")[1].tags == ["O", "B-PER"]


def test_tagged_sentence_refuses_length_mismatch():
    with pytest.raises(ValueError):
        TaggedSentence(["a", "b"], ["O"])


def test_the_word_and_tag_columns_and_the_separator_are_settings(caplog):
    from xner.data.conll import Columns

    text = "B-PER\tNN\tJohn Smith\nO\tVB\tslept\n\nB-LOC\tNN\tLagos\n"
    columns = Columns(word=2, tag=0, separator="tab")
    with caplog.at_level("WARNING"):
        first, second = parse_conll(text, "f.conll", columns=columns)
    assert first.words == ["John_Smith", "slept"] and first.tags == ["B-PER", "O"]
    assert first.columns == [["NN"], ["VB"]] and second.words == ["Lagos"]
    assert "f.conll: 1 word(s) hold spaces, first at f.conll:1; read with _" in caplog.text
    # the default separator splits at the space: the tag column 0 then holds no tag
    with pytest.raises(DataError, match=r"f.conll:1: sentence 0: unknown tag 'John'"):
        parse_conll("John\tB-PER\n", "f.conll", columns=Columns(word=1, tag=0))
    with pytest.raises(DataError, match=r"token 'x' has no tag \(1 column\(s\); expected the word "
                       r"in column 0 and the tag in column 2, from 0\)"):  # fmt: skip
        parse_conll("x\n", "f.conll", columns=Columns(tag=2))
    with pytest.raises(ValueError, match="separator must be one of whitespace, tab, not ';'"):
        Columns(separator=";")
