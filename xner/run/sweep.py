"""What a user means by ``python train.py projector=ilp lang=hau -m``, made explicit before Hydra.

- With no ``data=``, ``lang`` picks the corpus (:mod:`xner.data.corpora`).
- ``-m`` with no ``method``/``variant``/``experiment`` sweeps the gap table's columns for the
  projector(s) given: every method config whose class declares a gap role
  (:mod:`xner.method_kind`; today model_transfer, translate_test[p], translate_train[p],
  ensemble[p], teacher_student), also those in ``hydra.searchpath`` folders
  (:mod:`xner.run.variants`).
- Before any MLflow run exists every job of a sweep is checked (:mod:`xner.run.preflight`): when
  none can run, one ``error:`` line and exit status 2; the same when two jobs would write one
  ``out=`` file.

The entry point (:mod:`xner.run.entry`) applies the plan; an interrupted sweep is its business.
"""

import itertools
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from xner.data.corpora import overrides_for
from xner.errors import ConfigError
from xner.method_kind import BASELINE, DISTILLATION, PROJECTION, kind_of
from xner.paths import CONF_DIR, PROJECT_ROOT
from xner.run.command_line import override_words, parsed_overrides
from xner.run.variants import (
    SEARCHPATH,
    declared_methods,
    group_files,
    search_dirs,
    variant_names,
)
from xner.tracking.names import variant_name

log = logging.getLogger(__name__)
SELECTING = ("method", "variant", "experiment")
# The roles of a bare ``-m`` sweep: the zero-shot comparison (the supervised reference reads
# target training labels: run it on its own, ``+variant=supervised``).
SWEPT_ROLES = (BASELINE, PROJECTION, DISTILLATION)


def gap_columns(projectors: Sequence[str], extra: Sequence[Path] = ()) -> list[str]:
    """The ``variant`` names of the gap table's columns for these projectors: each method config
    whose class declares a role a bare sweep runs (:data:`SWEPT_ROLES`), in its declared order
    (the ensemble after the two it combines, so a sequential sweep serves it from the cache),
    a method that projects once per projector; ``extra``: folders of ``hydra.searchpath``."""
    known = group_files("projector", extra)
    for projector in projectors:
        if projector not in known:
            raise ConfigError(
                f"projector={projector} has no gap-table column: no conf/projector/{projector}.yaml"
            )
    return [
        variant
        for name, kind in declared_methods(extra)
        if kind.role in SWEPT_ROLES
        for variant in variant_names(name, kind, projectors)
    ]


def _values(override: Any) -> list[str]:
    if override.is_sweep_override():
        return [str(v) for v in override.sweep_string_iterator()]
    return [str(override.value())]


def plan(
    argv: Sequence[str], defaults: dict[str, str], multirun: bool, columns: bool = True
) -> list[str]:
    """``argv`` with the corpus picks and (under ``-m``, with ``columns``) the gap columns."""
    words = override_words(argv)
    overrides = parsed_overrides(words)
    if overrides is None:
        return list(argv)
    found = {o.key_or_group.lstrip("+~"): o for o in overrides}
    argv, added = list(argv), []
    preset = _experiment_choices(found.get("experiment"), search_dirs(argv))
    if preset is not None:
        defaults = {**defaults, **preset.pop("defaults")}
        added += _corpus_overrides([*words, *preset.values()], found, defaults)
    if columns and multirun and not set(SELECTING) & set(found):
        projector = found.get("projector")
        projectors = _values(projector) if projector else [defaults["projector"]]
        if projector is not None:
            argv.remove(projector.input_line)
        added.append("+variant=" + ",".join(gap_columns(projectors, search_dirs(argv))))
    # beside the given overrides (argparse refuses overrides on both sides of an option, -m),
    # or before the options when none is given (``--info`` would take one as its argument)
    at = next((i for i, a in enumerate(argv) if a in words), 0)
    return argv[:at] + added + argv[at:]


def _corpus_overrides(words: Sequence[str], found: dict, defaults: dict[str, str]) -> list[str]:
    langs = _values(found["lang"]) if "lang" in found else [defaults["lang"]]
    sources = _values(found["source_lang"]) if "source_lang" in found else [defaults["source_lang"]]
    shared = Path(_values(found["paths.shared"])[0]) if "paths.shared" in found else None
    shared = shared or PROJECT_ROOT.parent / "shared"
    picks = {
        tuple(overrides_for(words, lang, source, shared)) for lang in langs for source in sources
    }
    if len(picks) > 1:
        choices = sorted(" ".join(p) for p in picks)
        raise ConfigError(
            f"the languages {', '.join(langs)} come from different corpora ({'; '.join(choices)}): "
            "give data= (and data@source_data=) or run one sweep per corpus"
        )
    return list(picks.pop())


def preset_sweep(argv: Sequence[str]) -> list[str]:
    """The sweep an ``experiment=`` preset declares (its ``hydra.sweeper.params``) as overrides,
    placed before ``argv``'s own so that, as in Hydra, a key the command line sweeps wins."""
    words = override_words(argv)
    found = {o.key_or_group.lstrip("+~"): o for o in parsed_overrides(words) or []}
    experiment = found.get("experiment")
    names = _values(experiment) if experiment is not None else []
    path = group_files("experiment", search_dirs(argv)).get(names[0]) if len(names) == 1 else None
    if path is None:
        return []
    params = OmegaConf.select(OmegaConf.load(path), "hydra.sweeper.params") or {}
    return [f"{key}={value}" for key, value in params.items()]


def _experiment_choices(experiment: Any, extra: Sequence[Path]) -> dict | None:
    """What an ``experiment=`` preset sets that the corpus picks read: its ``data`` and
    ``data@source_data`` choices (as overrides, so no pick replaces them) and its ``lang`` (under
    ``defaults``); no preset: nothing set; several presets swept: None (no picks)."""
    if experiment is None:
        return {"defaults": {}}
    names = _values(experiment)
    path = group_files("experiment", extra).get(names[0]) if len(names) == 1 else None
    if path is None:
        return None
    preset = OmegaConf.load(path)
    chosen: dict = {"defaults": {"lang": str(preset.lang)} if "lang" in preset else {}}
    for entry in preset.get("defaults") or []:
        for key, value in entry.items() if isinstance(entry, DictConfig) else []:
            group = str(key).removeprefix("override ").lstrip("/")
            if group in ("data", "data@source_data"):
                chosen[group] = f"{group}={value}"
    return chosen


def defaults_of(config_name: str) -> dict[str, str]:
    """``lang``, ``source_lang`` and the default projector of an app, read from its YAML."""
    common = OmegaConf.load(CONF_DIR / "common.yaml")
    app = OmegaConf.load(CONF_DIR / f"{config_name}.yaml")
    projector = next(
        (str(d["projector"]) for d in app.get("defaults", []) if "projector" in d), "heuristic"
    )
    return {
        "lang": str(app.get("lang", common.lang)),
        "source_lang": str(app.get("source_lang", common.source_lang)),
        "projector": projector,
    }


def job_overrides(argv: Sequence[str]) -> list[list[str]]:
    """The override list of every job Hydra's basic sweeper will launch for ``argv``: the
    product of each key's values, a key given twice counting once, in the order given (as
    ``BasicSweeper.split_arguments``, which is not public API)."""
    overrides = parsed_overrides(override_words(argv))
    if overrides is None:
        return []
    choices: dict[str, list[str]] = {}
    for override in overrides:
        key = override.get_key_element()
        if override.is_sweep_override() and not override.is_discrete_sweep():
            return []  # an interval: Hydra's basic sweeper refuses it with its own message
        if override.is_sweep_override():
            choices[key] = [f"{key}={value}" for value in override.sweep_string_iterator()]
        else:
            choices[key] = [override.input_line]  # as given: a deletion (~key) has no value
    return [list(job) for job in itertools.product(*choices.values())]


@dataclass(frozen=True)
class JobCheck:
    """One job of a sweep, checked before any run: its problems, whether it is left out
    (:func:`xner.run.preflight.left_out`), its language and gap-table column."""

    problems: list[str]
    left_out: Any = None
    lang: str = ""
    column: str = ""


def sweep_problems(config_name: str, jobs: Sequence[Sequence[str]]) -> list[list[str]]:
    """The preflight problems of each job (compose its config; nothing is built or read)."""
    return [check.problems for check in sweep_checks(config_name, jobs)]


def sweep_checks(config_name: str, jobs: Sequence[Sequence[str]]) -> list[JobCheck]:
    """Each job's config composed and checked (:mod:`xner.run.preflight`); nothing is built."""
    from hydra import compose, initialize_config_dir

    found = []
    with initialize_config_dir(str(CONF_DIR), version_base="1.3"):
        for job in jobs:
            try:
                cfg = compose(config_name, overrides=[o for o in job if _composed(o)])
                found.append(_check(cfg, job))
            except Exception as err:  # composition errors are Hydra's to report, job by job
                log.debug("no preflight for %s: %s", job, err)
                found.append(JobCheck([]))
    return found


def _check(cfg: DictConfig, job: Sequence[str]) -> JobCheck:
    from xner.run.preflight import left_out, problems

    skipped = left_out(cfg)
    if skipped is None:
        return JobCheck(problems(cfg))
    return JobCheck(list(skipped.reasons), skipped, str(cfg.lang), _column(cfg, job))


def _column(cfg: DictConfig, job: Sequence[str]) -> str:
    """A job's gap-table column from its config's ``column`` or its overrides' projector."""
    if cfg.get("column"):
        return str(cfg.column)
    kind = kind_of(cfg)
    given = dict(o.lstrip("+").split("=", 1) for o in job if "=" in o)
    projector = given.get("projector")
    if projector is None and kind.projects:
        projector = given.get("variant", "").removeprefix(f"{kind.name}_") or None
    return variant_name(kind, projector)


def left_out_lines(checks: Sequence[JobCheck]) -> list[str]:
    """One line per language for the jobs a sweep leaves out (their columns and reasons), then
    how to add a translator when one is what they lack."""
    columns: dict[str, list[str]] = {}
    reasons: dict[str, list[str]] = {}
    for check in checks:
        if check.left_out is not None:
            columns.setdefault(check.lang, []).append(check.column)
            reasons.setdefault(check.lang, []).extend(check.left_out.reasons)
    lines = [
        f"left out for {lang}: {', '.join(dict.fromkeys(columns[lang]))}: "
        + "; ".join(dict.fromkeys(reasons[lang]))
        for lang in columns
    ]
    if any(c.left_out is not None and c.left_out.translator for c in checks):
        lines.append(
            "to add the columns that need a translator: translator=nllb_600m (online, 200 "
            "languages) or translator=lexicon translator.path=<TSV dictionary>"
        )
    return lines


def _composed(override: str) -> bool:
    """Whether a job's override takes part in its preflight composition: not Hydra's own
    settings, except the config folders it adds (``hydra.searchpath``)."""
    return not override.startswith("hydra") or override.startswith(f"{SEARCHPATH}=")


def shared_output(jobs: Sequence[Sequence[str]]) -> str | None:
    """The refusal when two jobs of a sweep would write the same ``out=`` file, else None."""
    outputs: dict[str, int] = {}
    for job in jobs:
        for override in parsed_overrides(job) or []:
            value = override.value()
            # an interpolation (``${hydra:job.num}``) differs from job to job
            if override.key_or_group == "out" and isinstance(value, str) and "${" not in value:
                outputs[value] = outputs.get(value, 0) + 1
    shared = next((out for out, count in outputs.items() if count > 1), None)
    if shared is None:
        return None
    return (
        f"out={shared} is the file of {outputs[shared]} jobs of this sweep: each would overwrite "
        "the last; give each job its own file (out='preds/${hydra:job.num}.conll')"
    )


def refusal(found: Sequence[Sequence[str]]) -> str | None:
    """The one-line refusal when no job can run: the reasons every job shares, else each first."""
    if not found or not all(found):
        return None
    shared = [p for p in found[0] if all(p in other for other in found[1:])]
    reasons = shared or list(dict.fromkeys(problems[0] for problems in found))
    return "no job of this sweep can run: " + "; ".join(reasons)
