"""Teacher and student as their own model choices; several teachers; other tokenizers."""

import re
from pathlib import Path

import numpy as np
import pytest
from mlflow.tracking import MlflowClient
from omegaconf import OmegaConf

from helpers import composed, run_app, store_uri
from xner.errors import ConfigError
from xner.evaluation.gap import gap_table
from xner.methods.context import RunContext
from xner.methods.model_transfer import ModelTransfer
from xner.methods.settings import ModelSettings, check_settings, model_settings
from xner.methods.teacher_student import TeacherStudent, student_start, teacher_names
from xner.methods.training import Training
from xner.models.distill import align_labels, shared_labels, teacher_alphas
from xner.tracking.job_tags import role_tags
from xner.tracking.names import variant_name
from xner.tracking.store import RunRecord


def train_config(*overrides: str):
    return composed("train", "method=teacher_student", *overrides)


def test_teacher_and_student_follow_model_unless_chosen_or_set():
    cfg = train_config("model.lr=0.5", "model.batch_size=4", "student.lr=0.1")
    assert (cfg.teacher.name, cfg.teacher.lr, cfg.teacher.batch_size) == ("minilm", 0.5, 4)
    assert (cfg.student.name, cfg.student.lr, cfg.student.batch_size) == ("minilm", 0.1, 4)
    chosen = train_config("model@teacher=xlmr_large", "model@student=xlmr_base", "model.lr=0.5")
    assert (chosen.teacher.name, chosen.teacher.checkpoint) == ("xlmr_large", "xlm-roberta-large")
    assert (chosen.student.name, chosen.student.lr) == ("xlmr_base", 3e-05)


def test_same_follows_every_key_of_every_model():
    same = OmegaConf.to_container(OmegaConf.load("conf/model/same.yaml"), resolve=False)
    assert same == {key: f"${{model.{key}}}" for key in same}
    assert list(same) == list(OmegaConf.load("conf/model/_base.yaml"))
    for path in Path("conf/model").glob("[!_]*.yaml"):
        if path.stem != "same":
            assert list(composed("train", f"model={path.stem}").model) == list(same), path.name


def test_each_role_trains_with_its_own_epochs_unless_the_trainer_sets_them():
    cfg = train_config("model@teacher=xlmr_large", "student.max_epochs=2")
    ctx = Training(RunContext(cfg, None))
    assert [ctx.trainer_config(r)["max_epochs"] for r in ("model", "teacher", "student")] == [
        10,
        5,
        2,
    ]
    both = Training(
        RunContext(train_config("model@teacher=xlmr_large", "trainer.max_epochs=1"), None)
    )
    assert both.trainer_config("teacher")["max_epochs"] == 1
    assert both.trainer_config("student")["max_epochs"] == 1
    own = Training(
        RunContext(train_config("trainer.max_epochs=1", "+student.trainer.max_epochs=7"), None)
    )
    assert own.trainer_config("student")["max_epochs"] == 7
    assert own.trainer_config("teacher")["max_epochs"] == 1
    # a teacher that follows `model` is the very source model other methods train
    ctx = Training(RunContext(train_config("model.lr=0.5"), None))
    assert ctx.trainer_config("teacher") == ctx.trainer_config("model")
    assert ctx.model_config("teacher") == ctx.model_config("model")


def test_an_unknown_model_or_trainer_key_is_an_error_naming_it():
    for override, key in (
        ("+model.lrr=0.1", "model.lrr"),
        ("+student.dropout=0.1", "student.dropout"),
        ("+trainer.max_epoch=2", "trainer.max_epoch"),
        ("+student.trainer.precison=16", "student.trainer.precison"),
    ):
        with pytest.raises(ConfigError, match=rf"^{re.escape(key)}: unknown key"):
            check_settings(train_config(override))
    check_settings(train_config("model@teacher=xlmr_large", "+trainer.accumulate_grad_batches=2"))
    student = model_settings(train_config("model.lr=0.5"), "student")
    assert isinstance(student, ModelSettings) and student.lr == 0.5


def test_cfg_job_prints_both_nodes():
    cfg = train_config("model@teacher=xlmr_large", "model@student=minilm")
    printed = OmegaConf.to_yaml(cfg)  # what `train.py ... --cfg job` prints
    teacher = printed.split("\nteacher:\n", 1)[1]
    student = printed.split("\nstudent:\n", 1)[1]
    assert teacher.splitlines()[0].strip() == "name: xlmr_large"
    assert student.splitlines()[0].strip() == "name: minilm"


def test_teachers_with_other_labels_are_mapped_onto_one_label_list():
    a = ["O", "B-PER", "I-PER"]
    b = ["O", "B-LOC", "I-LOC", "B-PER", "I-PER"]
    target = shared_labels([a, b])
    assert target == ["O", "B-LOC", "I-LOC", "B-PER", "I-PER"]
    assert shared_labels([a, list(reversed(a))]) == a  # same set: the first teacher's order
    (moved,) = align_labels([np.array([[0.5, 0.3, 0.2]])], a, target)
    np.testing.assert_allclose(moved, [[0.5, 0.0, 0.0, 0.3, 0.2]])
    with pytest.raises(ConfigError, match="B-ORG"):
        align_labels([np.array([[1.0, 0.0]])], ["O", "B-ORG"], a)


def test_teacher_weights_are_checked_and_normalised():
    np.testing.assert_allclose(teacher_alphas(2, [3, 1]), [0.75, 0.25])
    np.testing.assert_allclose(teacher_alphas(3), [1 / 3] * 3)
    with pytest.raises(ConfigError, match="3 non-negative numbers"):
        teacher_alphas(3, [1.0, 2.0])


def test_a_student_starts_from_its_teacher_only_with_one_teacher_of_its_own_model():
    def start(*overrides: str) -> str:
        cfg = train_config(*overrides)
        return student_start(cfg.method.student_init, cfg)

    assert start() == "teacher"  # auto: one teacher (en) of the student's model
    assert start("source_langs=[en,de]") == "pretrained"
    assert start("model@student=xlmr_base") == "pretrained"
    assert start("method.teachers=[/ckpt/ner-en]") == "pretrained"
    assert start("method.teachers=[/ckpt/ner-en]", "method.student_init=teacher") == "teacher"
    assert start("method.student_init=pretrained") == "pretrained"
    assert TeacherStudent.problems(train_config("method.student_init=teacher")) == []
    two = TeacherStudent.problems(
        train_config("method.student_init=teacher", "source_langs=[en,de]")
    )
    assert two == [
        "method.student_init=teacher starts the student from its one teacher's weights, but "
        "there are 2 teachers (en, de): use method.student_init=pretrained"
    ]
    other = train_config("method.student_init=teacher", "model@student=xlmr_base")
    (problem,) = TeacherStudent.problems(other)
    assert "a minilm model, but the student's recipe is for xlm-roberta-base" in problem
    (typo,) = TeacherStudent.problems(train_config("method.student_init=teachr"))
    assert typo == "method.student_init='teachr': choose one of auto, pretrained, teacher"


def test_teacher_student_columns_name_teacher_and_student_when_they_differ():
    assert variant_name(TeacherStudent.kind, "ilp", "xlmr_large", "xlmr_base") == (
        "teacher_student[xlmr_large→xlmr_base]"
    )
    assert variant_name(TeacherStudent.kind, None, "minilm", "minilm") == "teacher_student"
    resolved = {"teacher": {"name": "a"}, "student": {"name": "b"}, "method": {"teachers": []}}
    assert role_tags(TeacherStudent.kind, resolved) == {"teacher": "a", "student": "b"}
    resolved["method"]["teachers"] = ["org/ner-en/", "/ckpt/ner-en"]
    assert role_tags(TeacherStudent.kind, resolved)["teacher"] == "ner-en+ner-en"
    assert teacher_names(["org/ner-en/", "/ckpt/ner-en", "x y"]) == ["ner-en", "ner-en_2", "x_y"]
    assert role_tags(ModelTransfer.kind, resolved) == {}


def test_gap_uses_the_only_teacher_student_column_of_a_row():
    def run(i, variant, f1):
        tags = {"lang": "hau", "variant": variant, "seed": "1"}
        return RunRecord(f"r{i}", tags, metrics={"test/f1": f1}, start_time=i)

    runs = [run(1, "translate_test[ilp]", 0.6), run(2, "teacher_student[l→b]", 0.5)]
    assert gap_table(runs).gaps["hau"] == pytest.approx(10.0)
    both = [*runs, run(3, "teacher_student[l→s]", 0.4)]
    assert gap_table(both).gaps["hau"] is None  # two students: no honest single gap
    plain = [*both, run(4, "teacher_student", 0.55)]
    assert gap_table(plain).gaps["hau"] == pytest.approx(5.0)


@pytest.fixture(scope="module")
def two_sources(tmp_path_factory):
    """Two source corpora (the synthetic English side, seeds 1 and 2, as languages ena and enb)
    and two tiny random encoders of different families, vocabularies and sizes."""
    from xner.data.conll import write_conll
    from xner.data.synthetic import generate
    from xner.testing.tiny_models import build_tiny_encoder

    root = tmp_path_factory.mktemp("two_sources")
    text = []
    for seed, lang in ((1, "ena"), (2, "enb")):
        corpus = generate(seed=seed, n_train=40, n_dev=8, n_test=8)
        for split in ("train", "dev", "test"):
            write_conll(root / "src" / lang / f"{split}.txt", corpus.split("en", split))
        text += [" ".join(s.words) for s in corpus.split("en", "train")]
    target = generate(seed=0, n_train=40, n_dev=8, n_test=16)
    text += [" ".join(s.words) for s in target.split("syn", "train")]
    build_tiny_encoder(root / "teacher", "xlm-roberta", text, 400, seed=1, hidden_size=48)
    build_tiny_encoder(root / "student", "bert", text, 200, seed=2, num_layers=1)
    return root


def two_teacher_sweep(repo_root: Path, folder: Path, two_sources: Path, *overrides: str):
    """A two-job tiny teacher-student sweep (student.lr=1e-3,2e-3) with teachers on ena, enb."""
    teacher = two_sources / "teacher"
    done = run_app(
        repo_root, folder, "train.py", "method=teacher_student", "+debug=tiny", "lang=syn",
        "data@source_data=masakhaner2", f"source_data.root={two_sources / 'src'}",
        "source_data.label_drop=[]", "source_langs=[ena,enb]",
        "model@teacher=xlmr_base", "teacher.name=tiny_xlmr", f"teacher.checkpoint={teacher}",
        "teacher.lr=1e-3", "student.lr=1e-3,2e-3", *overrides, multirun=True, timeout=900,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    return done


def job_runs(folder: Path) -> list:
    """The sweep's job runs (not its parent) in the store under ``folder``."""
    client = MlflowClient(tracking_uri=store_uri(folder))
    experiment = client.get_experiment_by_name("xner")
    runs = client.search_runs([experiment.experiment_id])
    return [r for r in runs if "mlflow.parentRunId" in r.data.tags]


@pytest.mark.slow
def test_two_tiny_teachers_distil_into_a_student_of_another_vocabulary(
    repo_root, tmp_path, two_sources
):
    from transformers import AutoConfig, AutoTokenizer

    student = two_sources / "student"
    done = two_teacher_sweep(
        repo_root, tmp_path, two_sources,
        "model@student=mbert", "student.name=tiny_bert", f"student.checkpoint={student}",
        "student.batch_size=8",
    )  # fmt: skip
    # two teachers, each trained once; their probabilities computed once per text
    log = done.stdout + done.stderr
    assert log.count("cache miss: source_model") == 2
    assert log.count("cache hit: source_model") == 2
    assert log.count("cache miss: teacher_probs") == 4  # 2 teachers x (unlabelled, test)
    models = sorted((tmp_path / "cache" / "source_model").glob("[0-9a-f]*"))
    assert len(models) == 2
    teacher_vocab = AutoTokenizer.from_pretrained(models[0]).get_vocab()
    student_vocab = AutoTokenizer.from_pretrained(two_sources / "student").get_vocab()
    assert set(teacher_vocab) != set(student_vocab)
    assert AutoConfig.from_pretrained(models[0]).hidden_size == 48
    assert AutoConfig.from_pretrained(two_sources / "student").num_hidden_layers == 1

    runs = job_runs(tmp_path)
    assert len(runs) == 2
    first, second = sorted(runs, key=lambda r: r.info.start_time)
    for run in runs:
        tags, metrics = run.data.tags, run.data.metrics
        assert run.info.status == "FINISHED"
        assert tags["variant"] == "teacher_student[tiny_xlmr→tiny_bert]"
        assert (tags["teacher"], tags["student"]) == ("tiny_xlmr", "tiny_bert")
        assert 0.0 <= metrics["test/f1"] <= 1.0
        for lang in ("ena", "enb"):
            assert 0.0 <= metrics[f"teacher/{lang}/test/f1"] <= 1.0
    for lang in ("ena", "enb"):
        name = f"teacher/{lang}/test/recall"
        assert first.data.metrics[name] == second.data.metrics[name]
    assert "source_model_ena-val/f1" in first.data.metrics  # the teachers' training is logged
    assert not any(k.startswith("source_model") for k in second.data.metrics)  # ... once
    assert "teacher_student[tiny_xlmr→tiny_bert]" in done.stdout  # the sweep's gap table


@pytest.mark.slow
def test_similarity_weights_are_computed_once_logged_and_mix_the_teachers(
    repo_root, tmp_path, two_sources
):
    done = two_teacher_sweep(repo_root, tmp_path, two_sources, "method.teacher_weights=similarity")
    log = done.stdout + done.stderr
    # features of the teacher's pretrained encoder: ena, enb and the target text, once
    assert log.count("cache miss: sentence_features") == 3
    assert log.count("cache hit: sentence_features") == 3
    assert log.count("cache miss: teacher_weights") == 1
    assert log.count("cache hit: teacher_weights") == 1
    runs = job_runs(tmp_path)
    assert len(runs) == 2
    weights = [
        {lang: float(r.data.params[f"teacher_weight/{lang}"]) for lang in ("ena", "enb")}
        for r in runs
    ]
    assert weights[0] == weights[1]
    assert sum(weights[0].values()) == pytest.approx(1.0)
    assert all(0.0 < w < 1.0 for w in weights[0].values())
    assert runs[0].data.params["method.teacher_weights"] == "similarity"


@pytest.mark.slow
def test_a_student_started_from_its_teacher_and_not_trained_predicts_as_its_teacher(
    repo_root, tmp_path
):
    from xner.data.synthetic import generate
    from xner.testing.tiny_models import build_tiny_encoder

    text = [" ".join(s.words) for s in generate(seed=0, n_train=40).split("syn", "train")]
    labels = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG"]
    teacher = build_tiny_encoder(  # a random head: it tags many words as entities
        tmp_path / "teacher", "bert", text, len(labels), seed=3, id2label=dict(enumerate(labels))
    )
    metrics = {}
    for init in ("teacher", "pretrained"):
        done = run_app(
            repo_root, tmp_path / init, "train.py", "method=teacher_student", "+debug=tiny",
            "lang=syn", f"method.teachers=[{teacher}]", f"method.student_init={init}",
            "student.lr=0", "student.head_lr=0",
        )  # fmt: skip
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
        client = MlflowClient(tracking_uri=store_uri(tmp_path / init))
        (run,) = client.search_runs([client.get_experiment_by_name("xner").experiment_id])
        assert run.data.params["method.student_init"] == init
        assert run.data.params["student_start"] == init
        metrics[init] = run.data.metrics
    names = [f"test/{name}" for name in ("f1", "precision", "recall")]
    given = [metrics["teacher"][f"teacher/teacher/{name}"] for name in names]
    assert [metrics["teacher"][name] for name in names] == given
    assert [metrics["pretrained"][name] for name in names] != given
