"""A new method is one class and one YAML: with no other edit it joins a bare ``-m`` sweep, the
gap table (in its declared order), preflight (the checks its declaration asks for, the problems
its class names) and the run names; its config folder comes in through ``hydra.searchpath``."""

import os
import sys
import textwrap

import pytest
from mlflow.tracking import MlflowClient

from helpers import app_arguments, clean_env, composed, store_uri
from xner.config import EXTRA_TARGETS_VARIABLE, register_resolvers
from xner.method_kind import kind_of
from xner.run.preflight import problems
from xner.run.sweep import defaults_of, job_overrides, plan, sweep_problems
from xner.run.variants import register_variants
from xner.tracking.names import variant_name

PROBE = '''
from xner.methods.base import Method
from xner.method_kind import NEVER, PROJECTION, MethodKind
from xner.methods.results import report


class Probe(Method):
    """Tags the target test set with its gold tags: F1 1.0 through the normal report, no model."""

    kind = MethodKind("probe", PROJECTION, order=35, projects=True, model=NEVER)

    @classmethod
    def problems(cls, cfg):
        return [] if cfg.method.get("ready", True) else ["probe: method.ready is false"]

    def __init__(self, ready: bool = True, select_on: str = "source_dev") -> None:
        super().__init__(select_on)

    def run(self, ctx):
        test = ctx.target_split("test")
        return report(ctx, [list(s.tags) for s in test], test)
'''
# Every method but the probe uses the model: offline, this checkpoint fails their preflight.
ABSENT_MODEL = "model.checkpoint=absent/model"
COLUMNS = (
    "model_transfer,translate_test_heuristic,translate_train_heuristic,probe_heuristic,"
    "ensemble_heuristic,teacher_student"
)
FAILED = "failed: model.checkpoint='absent/model'"


@pytest.fixture
def probe(tmp_path, monkeypatch):
    """The probe's module (importable, its prefix allowed) and its config folder."""
    from hydra.core.config_store import ConfigStore

    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "probe_methods.py").write_text(textwrap.dedent(PROBE))
    (tmp_path / "conf" / "method").mkdir(parents=True)
    (tmp_path / "conf" / "method" / "probe.yaml").write_text(
        "_target_: probe_methods.Probe\nready: true\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path / "lib"))
    monkeypatch.setenv(EXTRA_TARGETS_VARIABLE, "probe_methods")
    searchpath = f"hydra.searchpath=[file://{tmp_path / 'conf'}]"
    yield tmp_path, searchpath
    stored = ConfigStore.instance().repo.get("variant", {})
    for name in [n for n in stored if n.startswith("probe_")]:
        del stored[name]
    sys.modules.pop("probe_methods", None)


def test_the_new_method_is_planned_checked_and_named_from_its_declaration(probe):
    _, searchpath = probe
    register_resolvers()  # as train.py does on import
    assert "probe_ilp" in register_variants([searchpath])  # no conf/variant file needed
    argv = plan(["-m", searchpath, "+debug=tiny", ABSENT_MODEL], defaults_of("train"), True)
    assert f"+variant={COLUMNS}" in argv  # between translate_train (30) and ensemble (40)
    jobs = job_overrides(argv)
    found = sweep_problems("train", jobs)
    by_variant = {
        next(o for o in job if "variant=" in o): p for job, p in zip(jobs, found, strict=True)
    }
    assert by_variant["+variant=probe_heuristic"] == []  # it declares it uses no model
    assert all(
        any(p.startswith("model.checkpoint='absent/model'") for p in reasons)
        for variant, reasons in by_variant.items()
        if variant != "+variant=probe_heuristic"
    )
    cfg = composed("train", searchpath, "+variant=probe_ilp", "method.ready=false")
    assert kind_of(cfg).name == "probe" and cfg.projector._target_.endswith("ILPProjector")
    assert problems(cfg) == ["probe: method.ready is false"]  # the class's own check
    assert variant_name(kind_of(cfg), "ilp") == "probe[ilp]"


@pytest.mark.slow
def test_a_bare_sweep_runs_the_new_method_into_the_gap_table_and_run_names(
    repo_root, tmp_path, probe
):
    import subprocess

    _, searchpath = probe
    env = clean_env(**{EXTRA_TARGETS_VARIABLE: "probe_methods"})
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path / "lib"), env.get("PYTHONPATH", "")])
    command = ["train.py", "-m", *app_arguments(tmp_path, "+debug=tiny", ABSENT_MODEL, searchpath)]
    done = subprocess.run(
        [sys.executable, *command],
        cwd=repo_root,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert done.returncode == 1, done.stderr[-3000:]  # the five model-using jobs failed
    assert "5 of 6 jobs failed" in done.stdout
    header = next(line for line in done.stdout.splitlines() if line.startswith("| lang |"))
    assert header.split(" | ")[1:-1] == [
        "model_transfer",
        "translate_test[heuristic]",
        "translate_train[heuristic]",
        "probe[heuristic]",
        "ensemble[heuristic]",
        "teacher_student",
    ]
    row = next(line for line in done.stdout.splitlines() if line.startswith("| syn |"))
    assert row.split(" | ")[4] == "100.0" and row.count(FAILED) == 5
    runs = MlflowClient(store_uri(tmp_path)).search_runs(["1"])
    (run,) = [r for r in runs if r.info.run_name == "probe[heuristic]-syn"]
    assert run.info.status == "FINISHED" and run.data.metrics["test/f1"] == 1.0
    assert run.data.tags["xner.method_role"] == "projection"
    assert run.data.tags["xner.method_order"] == "35"


def test_own_modules_need_the_users_opt_in_and_a_declaration(probe, monkeypatch):
    from xner.config import check_targets
    from xner.errors import ConfigError
    from xner.method_kind import method_class

    tmp_path, _ = probe
    assert method_class("probe_methods.Probe").kind.name == "probe"
    (tmp_path / "lib" / "probe_plain.py").write_text("class Plain:\n    pass\n")
    monkeypatch.setenv(EXTRA_TARGETS_VARIABLE, "probe_methods,probe_plain")
    with pytest.raises(ConfigError, match="declares no kind"):
        method_class("probe_plain.Plain")
    monkeypatch.delenv(EXTRA_TARGETS_VARIABLE)
    with pytest.raises(ConfigError, match=f"refused .*{EXTRA_TARGETS_VARIABLE}=<module prefix>"):
        check_targets({"method": {"_target_": "probe_methods.Probe"}})
    with pytest.raises(ConfigError, match="outside xner"):
        method_class("probe_methods.Probe")


def test_the_gap_table_orders_and_classifies_columns_by_the_runs_tags():
    from xner.evaluation.gap import gap_table
    from xner.tracking.store import RunRecord

    def run(i, variant, f1, role, order):
        tags = {"lang": "hau", "variant": variant, "seed": "1"}
        tags |= {"xner.method_role": role, "xner.method_order": order}
        return RunRecord(f"r{i}", tags, metrics={"test/f1": f1}, start_time=i)

    runs = [
        run(1, "late[ilp]", 0.70, "projection", "90"),
        run(2, "distil", 0.50, "distillation", "95"),
        run(3, "early", 0.40, "baseline", "5"),
        run(4, "translate_test[ilp]", 0.60, "projection", "20"),
    ]
    table = gap_table(runs, prefer=())
    assert table.columns == ["early", "translate_test[ilp]", "late[ilp]", "distil"]
    assert table.best["hau"] == "translate_test[ilp]"  # no preference: the first projection
    assert table.gaps["hau"] == pytest.approx(10.0)  # projection − the distillation column
