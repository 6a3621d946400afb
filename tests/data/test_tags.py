"""IOB2 tags: scheme conversions, span extraction, repair and label filtering."""

import pytest
from hypothesis import given

from strategies import spans, tag_lists
from xner.data.entity import Entity
from xner.data.tags import (
    bioes_to_iob2,
    entities,
    filter_labels,
    iob1_to_iob2,
    iob2_tag_names,
    iob2_to_bioes,
    label_set,
    orphan_inside,
    repair_iob2,
    split_tag,
    tags_from_entities,
    to_iob2,
)


def test_split_tag():
    assert split_tag("O") == ("O", "")
    assert split_tag("B-PER") == ("B", "PER")
    assert split_tag("I-B-X") == ("I", "B-X")
    for bad in ("PER", "B-", "X-PER", "b-PER", ""):
        with pytest.raises(ValueError):
            split_tag(bad)


def test_iob1_to_iob2():
    iob1 = ["I-PER", "I-PER", "B-PER", "O", "I-LOC", "I-ORG", "I-ORG", "B-ORG"]
    assert iob1_to_iob2(iob1) == [
        "B-PER",
        "I-PER",
        "B-PER",
        "O",
        "B-LOC",
        "B-ORG",
        "I-ORG",
        "B-ORG",
    ]
    with pytest.raises(ValueError, match="not IOB1"):
        iob1_to_iob2(["E-PER"])


def test_bioes_to_iob2_and_back():
    bioes = ["S-PER", "B-ORG", "I-ORG", "E-ORG", "O", "B-LOC", "E-LOC", "S-LOC"]
    iob2 = ["B-PER", "B-ORG", "I-ORG", "I-ORG", "O", "B-LOC", "I-LOC", "B-LOC"]
    assert bioes_to_iob2(bioes) == iob2
    assert iob2_to_bioes(iob2) == bioes


def test_to_iob2_dispatch():
    assert to_iob2(["B-PER"], "iob2") == ["B-PER"]
    assert to_iob2(["I-PER"], "iob1") == ["B-PER"]
    assert to_iob2(["S-PER"], "bioes") == ["B-PER"]
    with pytest.raises(ValueError, match="tag 'E-PER' is not IOB2"):
        to_iob2(["B-PER", "E-PER"], "iob2")
    with pytest.raises(ValueError, match="scheme='bilou': choose one of iob2"):
        to_iob2(["O"], "bilou")


def test_entities_and_back():
    tags = ["B-PER", "I-PER", "O", "B-LOC", "B-LOC", "I-LOC", "I-LOC"]
    spans = [Entity(0, 2, "PER"), Entity(3, 4, "LOC"), Entity(4, 7, "LOC")]
    assert entities(tags) == spans
    assert tags_from_entities(len(tags), spans) == tags
    assert entities(["O", "O"]) == []


def test_entities_orphan_opens_new_entity():
    assert entities(["O", "I-PER", "I-PER", "I-LOC"]) == [Entity(1, 3, "PER"), Entity(3, 4, "LOC")]


def test_tags_from_entities_refuses_bad_spans():
    with pytest.raises(ValueError, match="overlaps"):
        tags_from_entities(4, [Entity(0, 2, "PER"), Entity(1, 3, "LOC")])
    with pytest.raises(ValueError, match="outside"):
        tags_from_entities(2, [Entity(1, 3, "PER")])


def test_orphan_inside_and_repair():
    assert orphan_inside(["B-PER", "I-PER", "O"]) is None
    assert orphan_inside(["O", "I-PER"]) == 1
    assert orphan_inside(["B-LOC", "I-PER"]) == 1
    assert orphan_inside(["I-PER"]) == 0
    assert repair_iob2(["I-PER", "I-PER", "O", "I-LOC", "B-ORG", "I-LOC"]) == [
        "B-PER",
        "I-PER",
        "O",
        "B-LOC",
        "B-ORG",
        "B-LOC",
    ]


def test_filter_labels():
    tags = ["B-MISC", "I-MISC", "B-PER", "O", "B-DATE"]
    assert filter_labels(tags, ["MISC", "DATE"]) == ["O", "O", "B-PER", "O", "O"]
    assert filter_labels(tags, []) == tags


def test_label_set_and_tag_names():
    assert label_set([["B-PER", "O"], ["B-LOC", "I-LOC"]]) == ["LOC", "PER"]
    assert iob2_tag_names(["PER", "LOC", "PER"]) == ["O", "B-LOC", "I-LOC", "B-PER", "I-PER"]


def test_entity_helpers():
    a, b = Entity(0, 3, "PER"), Entity(2, 4, "LOC")
    assert a.length == 3
    assert a.overlaps(b) and b.overlaps(a)
    assert not a.overlaps(Entity(3, 4, "LOC"))


@given(spans())
def test_entities_written_as_tags_read_back_the_same(sentence):
    length, found = sentence
    tags = tags_from_entities(length, found)
    assert len(tags) == length and orphan_inside(tags) is None
    assert entities(tags) == found
    assert to_iob2(iob2_to_bioes(tags), "bioes") == tags


@given(tag_lists())
def test_any_tags_written_back_from_their_entities_are_their_repair(tags):
    repaired = repair_iob2(tags)
    assert orphan_inside(repaired) is None
    assert entities(repaired) == entities(tags)
    assert tags_from_entities(len(tags), entities(tags)) == repaired
