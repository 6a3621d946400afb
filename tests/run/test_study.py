"""experiment=study: every method on one language, three seeds, the columns a language cannot have
left out in one line each before anything runs (``skip_unavailable``)."""

import pytest
from mlflow.tracking import MlflowClient

from helpers import NOT_SYNTHETIC, composed, run_app, store_uri, write_language
from xner.run.preflight import left_out, problems
from xner.run.sweep import JobCheck, defaults_of, job_overrides, left_out_lines, plan, preset_sweep

TRAIN = defaults_of("train")


def study_jobs(*argv: str) -> tuple[list[str], list[list[str]]]:
    planned = plan([*argv, "-m"], TRAIN, multirun=True)
    return planned, job_overrides([*preset_sweep(planned), *planned])


def test_the_study_picks_the_target_corpus_from_the_language_and_keeps_its_source():
    planned, jobs = study_jobs("experiment=study", "lang=de")
    assert "data=europarl" in planned
    assert not [a for a in planned if a.startswith("data@source_data")]  # the preset's Europarl
    assert len(jobs) == 3 * 20  # three seeds x every column
    assert {j[0] for j in jobs} == {"seed=42", "seed=43", "seed=44"}
    planned, _ = study_jobs("experiment=study", "lang=yor")
    assert "data=masakhaner2" in planned
    planned, jobs = study_jobs("experiment=study", "data=conll", "lang=zz", "seed=7")
    assert not [a for a in planned if a.startswith("data=") and a != "data=conll"]
    assert {j[0] for j in jobs} == {"seed=7"}  # the command line's seed wins
    assert len(jobs) == 20


def test_the_preset_lang_picks_the_corpus_when_none_is_given():
    planned, _ = study_jobs("experiment=study")
    assert "data=europarl" in planned  # lang: es in the preset


def test_a_study_job_without_a_translator_for_its_language_is_left_out(shared_dir):
    cfg = composed("train", "data=europarl", "experiment=study", "lang=de", "+variant=ensemble_ilp")
    skipped = left_out(cfg)
    assert skipped is not None and skipped.translator
    assert all("no Apertium mode" in r for r in skipped.reasons)
    assert {"deu-eng", "eng-deu"} <= {r.split("'")[1] for r in skipped.reasons}
    human = composed(
        "train", "data=europarl", "experiment=study", "lang=de", "+variant=ensemble_ilp_reference"
    )
    assert problems(human) == [] and left_out(human) is None


def test_without_skip_unavailable_the_job_fails_as_before(shared_dir):
    cfg = composed(
        "train", "data=europarl", "lang=de", "method=translate_test", "translator=apertium"
    )
    assert problems(cfg) and left_out(cfg) is None


def test_a_problem_that_is_a_mistake_is_never_left_out(shared_dir):
    cfg = composed(
        "train", "data=europarl", "experiment=study", "lang=de", "+variant=ensemble_ilp",
        "+model.lrr=1",
    )  # fmt: skip
    assert any("model.lrr" in p for p in problems(cfg))
    assert left_out(cfg) is None  # fails with its reasons instead


def test_a_missing_training_split_leaves_the_supervised_and_student_columns_out(tmp_path):
    root = write_language(tmp_path)
    (root / "zz" / "train.txt").unlink()
    common = ("experiment=study", "data=conll", f"data.root={root}", "lang=zz")
    for variant in ("supervised", "teacher_student"):
        skipped = left_out(composed("train", *common, f"+variant={variant}"))
        assert skipped is not None and not skipped.translator
        assert "no train split for 'zz'" in skipped.reasons[0]
    assert left_out(composed("train", *common, "+variant=model_transfer")) is None


def test_left_out_jobs_are_one_line_per_language():
    class Why:
        def __init__(self, *reasons: str, translator: bool = True):
            self.reasons, self.translator = reasons, translator

    checks = [
        JobCheck(["a"], Why("no de-en"), "de", "translate_test[ilp]"),
        JobCheck(["a"], Why("no en-de"), "de", "translate_train[ilp]"),
        JobCheck(["a"], Why("no de-en", "no en-de"), "de", "ensemble[ilp]"),
        JobCheck(["a"], Why("no de-en"), "de", "translate_test[ilp]"),  # another seed
        JobCheck([]),
    ]
    lines = left_out_lines(checks)
    assert lines[0] == (
        "left out for de: translate_test[ilp], translate_train[ilp], ensemble[ilp]: "
        "no de-en; no en-de"
    )
    assert lines[1].startswith("to add the columns that need a translator: translator=nllb_600m")
    assert left_out_lines([JobCheck(["x"], Why("no train", translator=False), "zz", "s")]) == [
        "left out for zz: s: no train"
    ]


@pytest.mark.slow
def test_a_study_on_my_own_files_runs_what_it_can_and_says_what_it_left_out(repo_root, tmp_path):
    """The study on a language not in ../shared: the columns that need a translator or human
    translations are left out in one line before anything runs; the rest runs (MiniLM here, for
    the suite's time)."""
    root = write_language(tmp_path / "data", dev=True)
    done = run_app(
        repo_root, tmp_path, "train.py", "experiment=study", "data=conll", f"data.root={root}",
        "lang=zz", "seed=42", "+debug=tiny", *NOT_SYNTHETIC, "model=minilm",
        "+variant=model_transfer,translate_test_heuristic,translate_train_ilp_reference,"
        "teacher_student", multirun=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    left = [line for line in done.stderr.splitlines() if line.startswith("left out for zz")]
    assert len(left) == 1
    assert left[0].startswith(
        "left out for zz: translate_test[heuristic], translate_train[ilp@reference]: "
    )
    assert done.stderr.splitlines()[0] == left[0]  # said before Hydra starts anything
    client = MlflowClient(tracking_uri=store_uri(tmp_path))
    every = client.search_runs([client.get_experiment_by_name("xner").experiment_id])
    runs = [r for r in every if r.data.tags.get("xner.role") != "parent"]
    assert sorted(r.data.tags["variant"] for r in runs) == ["model_transfer", "teacher_student"]
    assert all(r.info.status == "FINISHED" for r in runs)
