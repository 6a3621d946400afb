"""Token classifier, windows and distillation on the offline MiniLM (tiny runs, CPU)."""

import math

import numpy as np
import pytest
import torch

from helpers import from_config
from xner.data.conll import TaggedSentence
from xner.errors import ConfigError
from xner.models.classifier import TokenClassifier
from xner.models.datamodule import BucketBatchSampler, NERDataModule
from xner.models.distill import DistillationModule, combine_teachers, distillation_loss
from xner.models.features import IGNORE_INDEX, encode_words, merge_windows
from xner.models.registry import minilm_path, resolve_checkpoint
from xner.models.settings import TrainerSettings
from xner.models.trainer import build_trainer, seed_everything

LABELS = ["O", "B-LOC", "I-LOC", "B-PER", "I-PER"]
TRAINER = {
    "patience": 3,
    "progress_refresh_rate": 20,
    "max_epochs": 1,
    "accelerator": "cpu",
    "devices": 1,
    "enable_progress_bar": False,
    "enable_model_summary": False,
    "deterministic": True,
    "limit_train_batches": 2,
    "limit_val_batches": 1,
    "limit_test_batches": 2,
    "log_every_n_steps": 1,
}


def _corpus(n: int = 24) -> list[TaggedSentence]:
    people, places = ["Anna", "Peter", "Maria"], ["Berlin", "Paris", "New York"]
    out = []
    for i in range(n):
        place = places[i % 3].split()
        words = [people[i % 3], "went", "to", *place, "."]
        tags = ["B-PER", "O", "O", "B-LOC"] + ["I-LOC"] * (len(place) - 1) + ["O"]
        out.append(TaggedSentence(words, tags))
    return out


@pytest.fixture(scope="module")
def tokenizer():
    from transformers import AutoTokenizer

    torch.set_num_threads(1)
    return AutoTokenizer.from_pretrained(minilm_path())


def test_registry_resolves_the_bundled_minilm():
    assert (minilm_path() / "config.json").is_file()
    assert resolve_checkpoint("minilm") == str(minilm_path())
    assert resolve_checkpoint("builtin:minilm") == str(minilm_path())
    assert resolve_checkpoint("xlm-roberta-base") == "xlm-roberta-base"


def test_first_subword_carries_the_label_and_empty_words_become_unk(tokenizer):
    (window,) = encode_words(tokenizer, ["Hello", "\u200b", "Unbelievably", "x"], [1, 2, 3, 4])
    tokens = tokenizer.convert_ids_to_tokens(window.input_ids)
    assert tokens == [
        "[CLS]",
        "hello",
        "[UNK]",
        "un",
        "##bel",
        "##ie",
        "##va",
        "##bly",
        "x",
        "[SEP]",
    ]
    assert window.labels == [IGNORE_INDEX, 1, 2, 3] + [IGNORE_INDEX] * 4 + [4, IGNORE_INDEX]
    assert window.positions == [1, 2, 3, 8]
    assert window.owned == [True] * 4


def test_long_sentence_windows_cover_every_word_once(tokenizer):
    words = [["Brussels", "antidisestablishment", "the", "a"][i % 4] for i in range(2000)]
    windows = encode_words(tokenizer, words, max_length=64, stride=16)
    assert len(windows) > 1 and max(len(w) for w in windows) <= 64
    owners = [word for w in windows for word, own in zip(w.word_ids, w.owned, strict=True) if own]
    assert sorted(owners) == list(range(2000))
    scores = [np.asarray(w.word_ids, dtype=np.float32)[:, None] for w in windows]
    assert merge_windows(windows, scores, 2000)[:, 0].tolist() == list(range(2000))


def test_bucket_sampler_is_a_seeded_permutation_of_length_sorted_batches():
    lengths = [5, 1, 9, 3, 7, 2, 8, 4, 6, 0]
    sampler = BucketBatchSampler(lengths, batch_size=3, seed=7, chunk_batches=10)
    batches = list(sampler)
    assert sorted(i for b in batches for i in b) == list(range(10))
    assert batches == list(BucketBatchSampler(lengths, batch_size=3, seed=7, chunk_batches=10))
    flat = sorted(range(10), key=lengths.__getitem__)  # one chunk: batches cut from sorted order
    assert sorted(batches) == sorted([flat[0:3], flat[3:6], flat[6:9], flat[9:]])
    sampler.set_epoch(1)
    assert sorted(map(sorted, sampler)) == sorted(map(sorted, batches))


def _minilm(**settings):
    """conf/model/minilm.yaml's settings, small windows and batches (eval: the same size)."""
    small = {"max_length": 32, "stride": 8, "batch_size": 4, "eval_batch_size": None}
    return from_config("model", "minilm", **{**small, **settings})


def _fit(seed: int, tmp_path=None):
    seed_everything(seed)
    settings = _minilm(lr=1e-4)
    model = TokenClassifier(settings, LABELS)
    data = _corpus()
    dm = NERDataModule(
        settings, model.tokenizer, LABELS, train=data, val=data[:8], test=data[:8], seed=seed
    )
    trainer = build_trainer(TrainerSettings(**TRAINER), has_val=True, checkpoint_dir=tmp_path)
    trainer.fit(model, datamodule=dm)
    (metrics,) = trainer.test(model, datamodule=dm, verbose=False)
    return model, metrics


def test_classifier_trains_logs_word_level_f1_and_is_repeatable(tmp_path):
    model, metrics = _fit(3, tmp_path / "ckpt")
    assert {"test/f1", "test/precision", "test/recall", "test/f1_PER", "test/f1_LOC"} <= set(
        metrics
    )
    assert (tmp_path / "ckpt" / "best.ckpt").is_file()
    sentence = ["Maria", "went", "to", "Paris", "."]
    (tags, probs), (empty_tags, _) = model.predict_words([sentence, []])
    assert len(tags) == 5 and probs.shape == (5, len(LABELS)) and empty_tags == []
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)

    again, metrics_again = _fit(3)
    assert metrics_again == metrics
    np.testing.assert_array_equal(again.predict_words([sentence])[0][1], probs)

    folder = model.save_hf(tmp_path / "hf")
    reloaded = TokenClassifier(model.settings, checkpoint=str(folder))
    assert reloaded.label_names == LABELS
    np.testing.assert_allclose(reloaded.predict_words([sentence])[0][1], probs, atol=1e-6)


def test_two_thousand_word_sentence_gets_one_prediction_per_word():
    model = TokenClassifier(_minilm(max_length=64, stride=16), LABELS)
    words = ["Anna", "lives", "in", "Berlin", "antidisestablishment"] * 400
    ((tags, probs),) = model.predict_words([words])
    assert len(tags) == 2000 and probs.shape == (2000, len(LABELS))


def test_distillation_losses_on_hand_made_tensors():
    logits = torch.tensor([[0.0, 0.0], [math.log(3.0), 0.0]])  # softmax: [.5 .5], [.75 .25]
    teacher = torch.tensor([[0.8, 0.2], [0.5, 0.5]])
    mse = ((0.5 - 0.8) ** 2 + (0.5 - 0.2) ** 2 + 0.25**2 + 0.25**2) / 4
    assert distillation_loss(logits, teacher, "mse").item() == pytest.approx(mse)
    kl1 = (
        0.8 * math.log(0.8 / 0.5)
        + 0.2 * math.log(0.2 / 0.5)
        + 0.5 * math.log(0.5 / 0.75)
        + 0.5 * math.log(0.5 / 0.25)
    ) / 2
    assert distillation_loss(logits, teacher, "kl", 1.0).item() == pytest.approx(kl1, rel=1e-5)
    # T = 2: teacher row 1 becomes [2/3, 1/3]; student rows [.5 .5] and [√3, 1]/(1 + √3)
    s3 = math.sqrt(3.0)
    kl2 = (
        (
            2 / 3 * math.log((2 / 3) / 0.5)
            + 1 / 3 * math.log((1 / 3) / 0.5)
            + 0.5 * math.log(0.5 * (1 + s3) / s3)
            + 0.5 * math.log(0.5 * (1 + s3))
        )
        / 2
        * 4
    )
    assert distillation_loss(logits, teacher, "kl", 2.0).item() == pytest.approx(kl2, rel=1e-5)
    hard = (math.log(2.0) + math.log(4 / 3)) / 2  # argmax targets: class 0 in both rows
    assert distillation_loss(logits, teacher, "hard").item() == pytest.approx(hard, rel=1e-6)
    with pytest.raises(ConfigError):
        distillation_loss(logits, teacher, "l1")


def test_multi_teacher_soft_labels_are_weighted_averages():
    a, b = [np.array([[1.0, 0.0]])], [np.array([[0.0, 1.0]])]
    np.testing.assert_allclose(combine_teachers([a, b])[0], [[0.5, 0.5]])
    np.testing.assert_allclose(combine_teachers([a, b], [3, 1])[0], [[0.75, 0.25]])
    with pytest.raises(ConfigError):
        combine_teachers([a, b], [1.0])


def test_student_freezes_embeddings_and_bottom_layers_and_distils(tmp_path):
    seed_everything(0)
    settings = _minilm(freeze_layers=3, lr=5e-5)
    student = DistillationModule(settings, LABELS, loss="mse", temperature=1.0)
    bert = student.model.bert
    assert not any(p.requires_grad for p in bert.embeddings.parameters())
    frozen = [all(not p.requires_grad for p in layer.parameters()) for layer in bert.encoder.layer]
    assert frozen == [True, True, True, False, False, False]
    assert all(p.requires_grad for p in student.model.classifier.parameters())

    data = _corpus(8)
    unlabelled = [TaggedSentence(s.words, ["O"] * len(s)) for s in data]
    soft = [np.full((len(s), len(LABELS)), 1 / len(LABELS), dtype=np.float32) for s in data]
    dm = NERDataModule(
        settings, student.tokenizer, LABELS, train=unlabelled, test=data, train_soft=soft
    )
    trainer = build_trainer(TrainerSettings(**TRAINER))
    before = student.model.classifier.weight.detach().clone()
    trainer.fit(student, datamodule=dm)
    assert not torch.equal(before, student.model.classifier.weight)
    assert "train/loss" in trainer.callback_metrics
    (metrics,) = trainer.test(student, datamodule=dm, verbose=False)
    assert "test/f1" in metrics


def test_the_head_has_its_own_learning_rate_and_the_vocabulary_can_be_frozen():
    model = TokenClassifier(_minilm(lr=1e-4, head_lr=1e-3, freeze_word_embeddings=True), LABELS)
    groups = model.parameter_groups()
    head = {id(p) for p in model.model.classifier.parameters()}
    rates = {id(p): g["lr"] for g in groups for p in g["params"]}
    assert {rates[i] for i in head} == {1e-3}
    assert {r for i, r in rates.items() if i not in head} == {1e-4}
    vocabulary = model.model.get_input_embeddings().weight
    assert id(vocabulary) not in rates and not vocabulary.requires_grad
    assert model.model.base_model.embeddings.position_embeddings.weight.requires_grad
    decayed = [p for g in groups if g["weight_decay"] > 0 for p in g["params"]]
    assert decayed and all(p.ndim >= 2 for p in decayed)


def test_without_a_head_rate_every_parameter_trains_at_lr():
    model = TokenClassifier(_minilm(lr=3e-4), LABELS)
    groups = model.parameter_groups()
    assert {g["lr"] for g in groups} == {3e-4}
    trained = sum(p.numel() for g in groups for p in g["params"])
    assert trained == sum(p.numel() for p in model.model.parameters())
