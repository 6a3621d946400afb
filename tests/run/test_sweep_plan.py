"""What `python train.py projector=ilp lang=hau -m` means: corpus picks, gap columns, preflight."""

import pytest

from helpers import app_arguments, clean_env, error_line, mlflow_store, run_app
from xner.data.corpora import corpus_for, overrides_for, source_corpus_for
from xner.errors import ConfigError
from xner.evaluation.gap import gap_table, with_failures
from xner.evaluation.render import to_dict, to_markdown
from xner.run.sweep import defaults_of, job_overrides, plan, refusal, shared_output
from xner.tracking.store import RunRecord

TRAIN = defaults_of("train")


def test_the_language_picks_the_corpus_from_one_table(tmp_path, shared_dir):
    assert corpus_for("syn", shared_dir) == "synthetic"
    assert corpus_for("de", shared_dir) == "europarl"  # its file is in ../shared
    assert corpus_for("de", tmp_path) == "wikiann"  # ... and here it is not
    assert corpus_for("es", shared_dir) == "europarl"  # es joined ../shared with issue 20
    assert corpus_for("es", tmp_path) == "wikiann"
    assert corpus_for("hau", shared_dir) == corpus_for("zul", shared_dir) == "masakhaner2"
    assert corpus_for("fr", shared_dir) == "wikiann"
    assert corpus_for("en", shared_dir) == "conll2003"
    assert source_corpus_for("en", "europarl", shared_dir) == "europarl"  # parallel: same corpus
    assert source_corpus_for("en", "masakhaner2", shared_dir) == "conll2003"


def test_data_given_wins_and_the_source_follows_the_rule(shared_dir):
    assert overrides_for(["lang=hau"], "hau", "en", shared_dir) == [
        "data=masakhaner2",
        "data@source_data=conll2003",
    ]
    assert overrides_for(["data=europarl"], "de", "en", shared_dir) == ["data@source_data=europarl"]
    given = ["data=wikiann", "data@source_data=europarl"]
    assert overrides_for(given, "hau", "en", shared_dir) == []


def test_a_bare_multirun_sweeps_the_gap_columns_of_the_projector_given():
    argv = plan(["projector=ilp", "lang=hau", "-m"], TRAIN, multirun=True)
    assert "projector=ilp" not in argv
    assert argv[-1] == "-m" and "data=masakhaner2" in argv
    assert plan(["-m", "lang=hau"], TRAIN, multirun=True)[0] == "-m"  # argparse: one block
    columns = "model_transfer,translate_test_ilp,translate_train_ilp,ensemble_ilp,teacher_student"
    assert f"+variant={columns}" in argv
    jobs = job_overrides(argv)
    assert [j for job in jobs for j in job if j.startswith("+variant=")] == [
        f"+variant={c}" for c in columns.split(",")
    ]
    markers = plan(["projector=markers", "-m"], TRAIN, multirun=True)
    assert (
        "+variant=model_transfer,translate_test_markers,translate_train_markers,ensemble_markers,"
        "teacher_student"
    ) in markers
    both = plan(["projector=heuristic,ilp", "-m"], TRAIN, multirun=True)
    assert (
        "+variant=model_transfer,translate_test_heuristic,translate_test_ilp,"
        "translate_train_heuristic,translate_train_ilp,ensemble_heuristic,ensemble_ilp,"
        "teacher_student"
    ) in both


def test_explicit_sweep_parameters_and_experiments_win():
    argv = ["method=translate_test,teacher_student", "projector=ilp", "-m"]
    assert not [a for a in plan(argv, TRAIN, multirun=True) if "variant" in a]
    assert plan(["experiment=quickstart", "-m"], TRAIN, multirun=True) == [
        "experiment=quickstart",
        "-m",
    ]
    assert not [a for a in plan(["lang=yor"], TRAIN, multirun=False) if "variant" in a]


def test_languages_of_different_corpora_in_one_sweep_are_refused():
    with pytest.raises(ConfigError, match="different corpora"):
        plan(["lang=de,hau", "-m"], TRAIN, multirun=True)
    assert "data=wikiann" in plan(["lang=de,hau", "data=wikiann", "-m"], TRAIN, multirun=True)


def test_refusal_only_when_every_job_has_a_problem():
    assert refusal([["a"], []]) is None
    assert refusal([]) is None
    assert refusal([["root", "x"], ["root"]]) == "no job of this sweep can run: root"
    assert refusal([["x"], ["y"]]) == "no job of this sweep can run: x; y"


def test_failed_cells_are_marked_with_their_reason():
    runs = [
        RunRecord("a", {"lang": "yor", "variant": "model_transfer"}, {}, {"test/f1": 0.5}),
        RunRecord("b", {"lang": "yor", "variant": "translate_test[ilp]", "xner.error": "no dict"}),
    ]
    table = with_failures(gap_table(runs[:1]), runs[1:])
    assert table.columns == ["model_transfer", "translate_test[ilp]"]
    text = to_markdown(table)
    assert "| yor | 50.0 | failed: no dict | — |" in text
    assert "- translate_test[ilp] yor failed: no dict" in text
    assert to_dict(table)["failed"] == [
        {"lang": "yor", "column": "translate_test[ilp]", "reason": "no dict"}
    ]


@pytest.mark.slow
def test_offline_sweep_without_masakhaner_files_is_refused_before_any_run(repo_root, tmp_path):
    done = run_app(repo_root, tmp_path, "train.py", "projector=ilp", "lang=hau", multirun=True)
    line = error_line(done)
    assert line.startswith("error: no job of this sweep can run: masakhaner2: offline")
    assert "data.root=" in line and "source_data.root=" in line
    assert not (tmp_path / "mlflow.db").exists()  # no store, so no RUNNING run


def test_one_out_file_for_several_jobs_is_refused():
    jobs = job_overrides(["-m", "projector=heuristic,ilp", "out=/tmp/x.conll"])
    assert shared_output(jobs) == (
        "out=/tmp/x.conll is the file of 2 jobs of this sweep: each would overwrite the last; "
        "give each job its own file (out='preds/${hydra:job.num}.conll')"
    )
    assert shared_output(job_overrides(["-m", "projector=heuristic", "out=a,b"])) is None
    named = ["-m", "projector=heuristic,ilp", "out=preds/${hydra:job.num}.conll"]
    assert shared_output(job_overrides(named)) is None
    assert shared_output(job_overrides(["-m", "projector=heuristic,ilp"])) is None
    assert shared_output(job_overrides(["out=/tmp/x.conll"])) is None  # a single run


@pytest.mark.slow
@pytest.mark.parametrize("app", ["project.py", "train.py"])
def test_a_sweep_writing_one_out_file_stops_before_any_run(repo_root, tmp_path, app):
    out = tmp_path / "x.conll"
    done = run_app(repo_root, tmp_path, app, "+debug=tiny", "seed=1,2", f"out={out}", multirun=True)
    assert error_line(done).startswith(f"error: out={out} is the file of ")
    assert not out.exists() and not (tmp_path / "mlflow.db").exists()


def test_parent_ends_failed_only_when_every_job_failed(tmp_path):
    from xner.run.callbacks import end_interrupted, end_parent, job_outcomes

    uri, client, experiment = mlflow_store(tmp_path)

    def sweep(statuses):
        parent = client.create_run(experiment, tags={"xner.role": "parent"}).info.run_id
        for i, status in enumerate(statuses):
            tags = {"mlflow.parentRunId": parent, "xner.error": f"reason {i}"}
            child = client.create_run(experiment, run_name=f"job{i}", tags=tags).info.run_id
            if status != "RUNNING":
                client.set_terminated(child, status)
        return parent

    mixed = sweep(["FINISHED", "FAILED"])
    failed, finished = job_outcomes(uri, mixed)
    assert (failed, finished) == ([("job1", "reason 1")], 1)
    all_failed = sweep(["FAILED", "FAILED"])
    failed, finished = job_outcomes(uri, all_failed)
    end_parent(uri, all_failed, "FINISHED" if finished else "FAILED", failed)
    run = client.get_run(all_failed)
    assert run.info.status == "FAILED" and run.data.tags["xner.failed_jobs"] == "job0, job1"
    interrupted = sweep(["FINISHED", "RUNNING"])
    assert end_interrupted((uri, interrupted), KeyboardInterrupt()) == [
        f"the sweep's parent run {interrupted}"
    ]
    run = client.get_run(interrupted)
    assert run.info.status == "KILLED" and run.data.tags["xner.failed_jobs"] == "job1"
    assert end_interrupted(None, KeyboardInterrupt()) == []


def _rest(url: str, path: str, body: dict | None = None) -> dict:
    import json
    import urllib.parse
    import urllib.request

    if body is None:
        request = urllib.request.Request(f"{url}/api/2.0/mlflow/{path}")
    else:
        data = json.dumps(body).encode()
        request = urllib.request.Request(
            f"{url}/api/2.0/mlflow/{path}", data, {"Content-Type": "application/json"}
        )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


@pytest.mark.slow
def test_bare_multirun_on_a_server_fails_some_jobs_and_the_ui_sees_the_comparison(
    repo_root, tmp_path
):
    from sweep_support import mlflow_server

    # offline, the NLLB checkpoint is not cached: the three projection columns fail in their checks
    hf = ("translator=nllb_600m",)
    with mlflow_server(tmp_path / "server") as (url, _):
        done = run_app(
            repo_root, tmp_path, "train.py", "+debug=tiny", *hf, "projector=ilp",
            f"tracking.uri={url}", multirun=True, timeout=900,
        )  # fmt: skip
        assert done.returncode == 1, done.stdout[-2000:] + done.stderr[-3000:]
        assert "3 of 5 jobs failed" in done.stdout
        assert "| syn |" in done.stdout and "failed: " in done.stdout
        experiment = _rest(url, "experiments/get-by-name?experiment_name=xner")["experiment"]
        tags = {t["key"]: t["value"] for t in experiment.get("tags", [])}
        assert tags["mlflow.experimentKind"] == "custom_model_development"
        runs = _rest(url, "runs/search", {"experiment_ids": [experiment["experiment_id"]]})
        runs = runs["runs"]
        by_name = {r["info"]["run_name"]: r for r in runs}
        names = {
            "model_transfer-syn",
            "translate_test[ilp]-syn",
            "translate_train[ilp]-syn",
            "ensemble[ilp]-syn",
        }
        assert names | {"teacher_student-syn"} <= set(by_name)
        (parent,) = [r for r in runs if r["info"]["run_name"].startswith("sweep")]
        ptags = {t["key"]: t["value"] for t in parent["data"]["tags"]}
        assert parent["info"]["status"] == "FINISHED"  # two of five jobs finished
        assert ptags["xner.failed_jobs"] == (
            "translate_test[ilp]-syn, translate_train[ilp]-syn, ensemble[ilp]-syn"
        )
        assert "| syn |" in ptags["mlflow.note.content"]
        assert ptags["mlflow.source.name"] == "train.py"
        artifacts = _rest(url, f"artifacts/list?run_id={parent['info']['run_id']}&path=report")
        assert "report/gap_test_f1.png" in {f["path"] for f in artifacts["files"]}
        failed = by_name["translate_test[ilp]-syn"]
        assert failed["info"]["status"] == "FAILED"
        ftags = {t["key"]: t["value"] for t in failed["data"]["tags"]}
        assert "nllb" in ftags["xner.error"].lower()
        run = by_name["model_transfer-syn"]
        rtags = {t["key"]: t["value"] for t in run["data"]["tags"]}
        assert rtags["mlflow.source.name"] == "train.py"
        assert len(rtags["mlflow.source.git.commit"]) == 40
        inputs = run["inputs"]["dataset_inputs"]
        seen = {
            (i["dataset"]["name"], {t["key"]: t["value"] for t in i["tags"]}["mlflow.data.context"])
            for i in inputs
        }
        assert ("synthetic-syn", "test") in seen and ("synthetic-en", "train") in seen
        first = inputs[0]  # the set the run's number is about leads the UI's Datasets column
        assert (first["dataset"]["name"], first["tags"][0]["value"]) == ("synthetic-syn", "test")
        assert all(len(i["dataset"]["digest"]) >= 16 for i in inputs)
        assert "test/f1" in {m["key"] for m in run["data"]["metrics"]}


@pytest.mark.slow
def test_translate_test_with_gold_labels_needs_no_source_training_split(repo_root, tmp_path):
    # the whole parallel corpus projected as test: no train split on either side, which neither
    # the preflight nor the shared-label rule may take for "no labels"
    done = run_app(
        repo_root, tmp_path, "project.py", "data=europarl", "data@source_data=europarl",
        "lang=de", "labeler=gold", "translator=reference", "projector=heuristic",
        "data.train_size=0", "data.test_size=799",
        "source_data.train_size=0", "source_data.test_size=799",
        "aligner.n_samplers=1",  # one sampler: the splits are the point here, not the links
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    line = next(x for x in done.stdout.splitlines() if x.startswith("translate_test: 799"))
    f1 = float(line.split("F1 = ")[1].split(";")[0])
    assert 0.8 < f1 < 1.0  # scored on all four types, MISC included


NO_NETWORK = "https://127.0.0.1:9"  # nothing listens on the discard port: refused at once


def _without_network(monkeypatch) -> dict[str, str]:
    """This process's environment with no offline variable, every host at :data:`NO_NETWORK`."""
    from xner.offline import OFFLINE_VARIABLES

    env = clean_env(HF_ENDPOINT=NO_NETWORK)
    for name in (*OFFLINE_VARIABLES, "https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY"):
        env.pop(name, None)
        monkeypatch.delenv(name, raising=False)
    return env


def test_a_host_that_does_not_answer_is_named(monkeypatch):
    from xner.offline import unreachable

    _without_network(monkeypatch)
    why = unreachable(f"{NO_NETWORK}/masakhaner/hau/test.txt")
    assert why is not None and why.startswith("no network: 127.0.0.1:9 cannot be reached (")


@pytest.mark.slow
def test_a_sweep_without_network_is_refused_like_offline(repo_root, tmp_path, monkeypatch):
    import subprocess
    import sys

    env = _without_network(monkeypatch)
    argv = app_arguments(tmp_path, "projector=ilp", "lang=hau", f"data.root={NO_NETWORK}/data")
    done = subprocess.run(
        [sys.executable, "train.py", "-m", *argv],
        cwd=repo_root,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    line = error_line(done)
    assert line.startswith("error: no job of this sweep can run: masakhaner2: no network: ")
    assert "conll2003: no network: " in line and "'datasets' package" not in line
    assert "data.root=" in line and "source_data.root=" in line
    assert not (tmp_path / "mlflow.db").exists()  # no store, so no run
