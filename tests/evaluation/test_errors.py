"""`evaluate.py errors`: one hand-made sentence per error class."""

import json
from pathlib import Path

import evaluate
from xner.data.conll import TaggedSentence, write_conll
from xner.evaluation.errors import classify, error_table

WORDS = "Ann Lee met Bob in New York at Acme Corp today".split()
#        0   1   2   3   4  5   6    7  8    9    10
GOLD = ["B-PER", "I-PER", "O", "B-PER", "O", "B-LOC", "I-LOC", "O", "B-ORG", "I-ORG", "O"]
PRED = ["B-PER", "O", "O", "B-LOC", "O", "B-LOC", "I-LOC", "O", "B-LOC", "O", "B-PER"]
# Ann Lee: boundary (PER 0-1 inside PER 0-2); Bob: type (LOC on the same span);
# New York: correct; Acme Corp: boundary+type (LOC 8-9 overlaps ORG 8-10); today: spurious PER.


def test_each_class_by_hand():
    table = error_table([PRED, ["O", "B-MISC"]], [GOLD, ["O", "B-MISC"]])
    assert table.counts["PER"] == {"correct": 0, "missed": 0, "spurious": 1, "boundary": 1,
                                   "type": 1, "boundary+type": 0}  # fmt: skip
    assert table.counts["LOC"]["correct"] == 1
    assert table.counts["ORG"]["boundary+type"] == 1
    assert table.counts["MISC"]["correct"] == 1
    assert table.totals() == {"correct": 2, "missed": 0, "spurious": 1, "boundary": 1, "type": 1,
                              "boundary+type": 1}  # fmt: skip


def test_missed_and_spurious():
    assert classify({(0, 2, "PER")}, set()) == [("PER", "missed", (0, 2, "PER"), None)]
    assert classify(set(), {(1, 2, "LOC")}) == [("LOC", "spurious", None, (1, 2, "LOC"))]


def test_errors_command(tmp_path: Path, capsys):
    pred, gold = tmp_path / "pred.conll", tmp_path / "gold.conll"
    write_conll(pred, [TaggedSentence(WORDS, PRED)])
    write_conll(gold, [TaggedSentence(WORDS, GOLD)])
    assert evaluate.main(["errors", str(pred), str(gold)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["type", "correct", "missed", "spurious", "boundary",
                                           "type", "boundary+type"]  # fmt: skip
    assert "type           sentence 0: gold [Bob]PER @3-4  pred [Bob]LOC @3-4" in out
    assert "boundary+type  sentence 0: gold [Acme Corp]ORG @8-10  pred [Acme]LOC @8-9" in out
    assert evaluate.main(["errors", str(pred), str(gold), "--json", "--ignore", "ORG"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert "ORG" not in data["per_type"] and data["total"]["correct"] == 1
