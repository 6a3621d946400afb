"""Entity-level scoring (conlleval rules by default, strict IOB2 on request), hand-worked."""

import pytest

from xner.data.conll import TaggedSentence
from xner.errors import DataError
from xner.evaluation.metrics import (
    check_aligned,
    format_report,
    metric_dict,
    score,
    score_sentences,
)

GOLD = [
    ["B-PER", "I-PER", "O", "B-LOC", "O"],
    ["B-ORG", "I-ORG", "I-ORG", "O", "B-MISC"],
]
# PER exact (tp); LOC labelled ORG (fp ORG, fn LOC); ORG boundary too short (fp, fn); MISC exact.
PRED = [
    ["B-PER", "I-PER", "O", "B-ORG", "O"],
    ["B-ORG", "I-ORG", "O", "O", "B-MISC"],
]


def test_score_hand_worked():
    result = score(PRED, GOLD)
    # 4 gold entities, 4 predicted, 2 correct.
    assert result["precision"] == pytest.approx(0.5)
    assert result["recall"] == pytest.approx(0.5)
    assert result["f1"] == pytest.approx(0.5)
    assert result["support"] == 4
    per = result["per_type"]
    assert sorted(per) == ["LOC", "MISC", "ORG", "PER"]
    assert per["PER"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 1}
    assert per["LOC"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
    assert per["ORG"]["precision"] == 0.0 and per["ORG"]["support"] == 1


def test_ignore_maps_labels_to_o_on_both_sides():
    result = score(PRED, GOLD, ignore=["MISC"])
    # 3 gold, 3 predicted, 1 correct (PER).
    assert result["precision"] == pytest.approx(1 / 3)
    assert result["recall"] == pytest.approx(1 / 3)
    assert "MISC" not in result["per_type"]
    result = score(PRED, GOLD, ignore=["MISC", "LOC", "ORG"])
    assert result["f1"] == 1.0 and result["support"] == 1


def test_strict_mode_ignores_orphan_inside_predictions():
    gold = [["B-PER", "I-PER", "O"]]
    assert score([["I-PER", "I-PER", "O"]], gold, mode="strict")["f1"] == 0.0
    assert score([["B-PER", "I-PER", "O"]], gold, mode="strict")["f1"] == 1.0


# Worked by hand with conlleval's chunk rules (an I-X after O or after another type starts
# a chunk; B-X always starts one; a chunk ends before O, B-, or an I- of another type).
TRICKY_GOLD = [["B-PER", "I-PER", "O"], ["B-LOC", "I-LOC"], ["O", "B-ORG", "I-ORG"], [], ["O", "O"]]
TRICKY_PRED = [
    ["I-PER", "I-PER", "O"],  # I after O: the chunk PER 0-2, correct          tp 1, pred 1, gold 1
    ["B-PER", "I-LOC"],  # B-PER then I-LOC: chunks PER 0-1 and LOC 1-2       tp 0, pred 2, gold 1
    ["O", "I-ORG", "I-ORG"],  # orphan chunk ending the sentence, correct     tp 1, pred 1, gold 1
    [],  # an empty sentence counts nothing
    ["O", "I-MISC"],  # a spurious orphan chunk                               tp 0, pred 1, gold 0
]


def test_conlleval_mode_hand_worked():
    result = score(TRICKY_PRED, TRICKY_GOLD)
    assert result["mode"] == "conlleval"
    assert result["precision"] == pytest.approx(2 / 5)
    assert result["recall"] == pytest.approx(2 / 3)
    assert result["f1"] == pytest.approx(0.5)
    per = result["per_type"]["PER"]
    assert per == {"precision": 0.5, "recall": 1.0, "f1": pytest.approx(2 / 3), "support": 1}
    assert result["per_type"]["MISC"]["support"] == 0
    assert score(TRICKY_PRED, TRICKY_GOLD, mode="conlleval")["f1"] == result["f1"]


def test_strict_mode_hand_worked():
    # Only B-PER of the second sentence starts a valid IOB2 entity: tp 0, pred 1, gold 3.
    result = score(TRICKY_PRED, TRICKY_GOLD, mode="strict")
    assert (result["precision"], result["recall"], result["f1"]) == (0.0, 0.0, 0.0)
    assert result["support"] == 3


def test_a_file_with_only_o():
    result = score([["O"], ["O", "O"]], [["O"], ["O", "O"]])
    assert (result["f1"], result["support"], result["per_type"]) == (0.0, 0, {})


def test_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="choose one of conlleval, strict"):
        score(PRED, GOLD, mode="lenient")


def test_unequal_precision_and_recall():
    gold = [["B-PER", "O", "B-LOC", "O", "B-ORG"]]
    pred = [["B-PER", "O", "O", "O", "O"]]
    result = score(pred, gold)
    assert result["precision"] == 1.0
    assert result["recall"] == pytest.approx(1 / 3)
    assert result["f1"] == pytest.approx(0.5)


def test_no_entities_anywhere_scores_zero():
    result = score([["O", "O"]], [["O", "O"]])
    zero = {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}
    assert result == {**zero, "mode": "conlleval", "per_type": {}}
    assert score([], [])["f1"] == 0.0


def test_score_refuses_shape_mismatch():
    with pytest.raises(DataError, match="1 predicted sentences but 2 gold"):
        score(PRED[:1], GOLD)
    with pytest.raises(DataError, match="sentence 1: 4 predicted tags but 5 gold tags"):
        score([PRED[0], PRED[1][:4]], GOLD)


def sentences(*word_lists: str) -> list[TaggedSentence]:
    return [TaggedSentence(words.split(), ["O"] * len(words.split())) for words in word_lists]


def test_check_aligned_names_first_difference():
    gold = sentences("a b c", "the cat sat down", "x")
    check_aligned(gold, sentences("a b c", "the cat sat down", "x"))
    with pytest.raises(DataError) as err:
        check_aligned(sentences("a b c", "the cat sat", "x"), gold, "p.conll", "g.conll")
    assert str(err.value) == (
        "p.conll and g.conll differ at sentence 1 (0-based): 3 vs 4 tokens; "
        "first differing token 3: (end of sentence) vs 'down'"
    )
    with pytest.raises(DataError, match=r"sentence 1 \(0-based\): 4 vs 4 tokens; "
                       r"first differing token 1: 'dog' vs 'cat'"):  # fmt: skip
        check_aligned(sentences("a b c", "the dog sat down", "x"), gold)


def test_check_aligned_sentence_counts():
    gold = sentences("a", "b")
    with pytest.raises(DataError, match="pred has 1 sentences but gold has 2; the first 1 match"):
        check_aligned(sentences("a"), gold, "pred", "gold")


def test_score_sentences_checks_then_scores():
    gold = [TaggedSentence(["John", "ran"], ["B-PER", "O"])]
    pred = [TaggedSentence(["John", "ran"], ["B-PER", "O"])]
    assert score_sentences(pred, gold)["f1"] == 1.0
    with pytest.raises(DataError):
        score_sentences([TaggedSentence(["Jon", "ran"], ["B-PER", "O"])], gold)


def test_metric_dict_names():
    metrics = metric_dict(score(PRED, GOLD), split="val")
    assert metrics["val/f1"] == pytest.approx(0.5)
    assert metrics["val/f1_PER"] == 1.0
    assert metrics["val/precision_LOC"] == 0.0
    assert set(metrics) == {
        f"val/{m}{suffix}"
        for m in ("precision", "recall", "f1")
        for suffix in ("", "_LOC", "_MISC", "_ORG", "_PER")
    }


def test_format_report():
    text = format_report(score(PRED, GOLD))
    assert text.splitlines()[0] == (
        "P = 0.5000  R = 0.5000  F1 = 0.5000  (gold entities: 4)  [conlleval]"
    )
    assert "PER             1.0000    1.0000    1.0000         1" in text
    assert text.splitlines()[-1].startswith("micro avg")
