"""The scoring contract on the unmodified MasakhaNER 2.0 files: conlleval numbers, orphans read."""

import json
import logging
import random
from pathlib import Path

import pytest

import evaluate
from helpers import from_config
from xner.data.conll import read_conll


def conlleval_chunks(tags: list[str]) -> set[tuple[int, int, str]]:
    """The chunks of conlleval.pl's startOfChunk/endOfChunk rules, written out independently."""
    chunks, start, kind, previous = set(), None, "", ("O", "")
    for i, tag in enumerate([*tags, "O"]):
        prefix, label = (tag.split("-", 1) + [""])[:2] if tag != "O" else ("O", "")
        prev_prefix, prev_label = previous
        ends = start is not None and (
            prefix in ("O", "B") or (prefix == "I" and label != prev_label)
        )
        if ends:
            chunks.add((start, i, kind))
            start = None
        begins = prefix == "B" or (prefix == "I" and (prev_prefix == "O" or prev_label != label))
        if begins:
            start, kind = i, label
        previous = (prefix, label)
    return chunks


def oracle(pred: list[list[str]], gold: list[list[str]]) -> tuple[float, float, float]:
    correct = predicted = true = 0
    for p, g in zip(pred, gold, strict=True):
        found, truth = conlleval_chunks(p), conlleval_chunks(g)
        correct, predicted, true = (
            correct + len(found & truth),
            predicted + len(found),
            true + len(truth),
        )
    precision = correct / predicted if predicted else 0.0
    recall = correct / true if true else 0.0
    f1 = 2 * correct / (predicted + true) if predicted + true else 0.0
    return precision, recall, f1


def perturbed(text: str, seed: int) -> str:
    """Every 8th token on average gets a random tag, orphan I- tags included."""
    rng = random.Random(seed)
    tags = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-DATE", "I-DATE"]
    lines = []
    for line in text.split("\n"):
        if line.strip() and rng.random() < 0.125:
            word = line.rsplit(" ", 1)[0] if " " in line else line.split("\t")[0]
            line = f"{word} {rng.choice(tags)}"
        lines.append(line)
    return "\n".join(lines)


@pytest.mark.parametrize("lang", ["yor", "swa"])
def test_score_cli_equals_conlleval_on_perturbed_real_files(
    masakhaner2_dir: Path, tmp_path: Path, capsys, lang: str
):
    gold_path = masakhaner2_dir / lang / "test.txt"
    pred_path = tmp_path / "pred.txt"
    pred_path.write_text(perturbed(gold_path.read_text(encoding="utf-8"), seed=7), "utf-8")
    assert evaluate.main(["score", str(gold_path), str(gold_path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["f1"] == 1.0
    assert evaluate.main(["score", str(pred_path), str(gold_path), "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    raw_pred = [s.tags for s in read_conll(pred_path, orphans="keep")]
    raw_gold = [s.tags for s in read_conll(gold_path, orphans="keep")]
    expected = oracle(raw_pred, raw_gold)
    assert (got["precision"], got["recall"], got["f1"]) == pytest.approx(expected, abs=1e-12)
    assert 0.2 < got["f1"] < 0.9  # the perturbation matters, and not everything is lost


@pytest.mark.parametrize(("lang", "orphan_line"), [("yor", 18597), ("swa", 12873)])
def test_published_test_files_read_without_flags(
    masakhaner2_dir: Path, caplog, lang: str, orphan_line: int
):
    with caplog.at_level(logging.WARNING):
        test = from_config("data", "masakhaner2", root=masakhaner2_dir).split(lang, "test")
    assert len(test) > 1800
    path = masakhaner2_dir / lang / "test.txt"
    assert (
        f"1 orphan I- tag(s) (an I-X after O or another type, first at {path}:{orphan_line})"
        in (caplog.text)
    )
    with pytest.raises(Exception, match=r"not valid IOB2; set data.strict_iob2=false"):
        from_config("data", "masakhaner2", root=masakhaner2_dir, strict_iob2=True).split(
            lang, "test"
        )
