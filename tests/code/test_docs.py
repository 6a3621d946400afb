"""Docs that cannot drift: the site builds in strict mode, the cheap commands the README and the
docs show print what they show, every train.py / project.py command they show composes, and the
files, config keys, choices, tags and flags they name exist.

A ``console`` block is run: its ``$ `` lines as one bash script in a copy of the repository (its
own ``mlruns/``), the other lines compared with what the script prints, in order (``…`` stands for
any text; a line of its own for any lines). ``bash`` blocks are composed, never run.
"""

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from omegaconf import DictConfig, OmegaConf

from helpers import CONF_DIR, REPO_ROOT, clean_env, composed

REPO = REPO_ROOT
PAGES = sorted((REPO / "docs").rglob("*.md"))
DOCS = [REPO / "README.md", *PAGES]
FENCE = re.compile(
    r"^(?P<indent> *)```(?P<lang>[\w-]*)[^\n]*\n(?P<body>.*?)^(?P=indent)```", re.M | re.S
)
EXAMPLES = REPO / "docs" / "examples"
SEARCHPATH = "hydra.searchpath=[file://docs/examples/conf]"
APPS = ("train.py", "project.py")


def blocks(path: Path, *langs: str) -> list[tuple[int, str]]:
    """(line, body) of each fenced block of ``path`` in one of ``langs``."""
    text = path.read_text(encoding="utf-8")
    return [
        (text[: m.start()].count("\n") + 1, m.group("body"))
        for m in FENCE.finditer(text)
        if m.group("lang") in langs
    ]


def console_blocks() -> list:
    return [
        pytest.param(path, line, body, id=f"{path.relative_to(REPO)}:{line}")
        for path in DOCS
        for line, body in blocks(path, "console")
    ]


def prose(path: Path) -> str:
    """``path`` without its fenced blocks."""
    return FENCE.sub("", path.read_text(encoding="utf-8"))


def spans(path: Path) -> list[str]:
    """The inline code spans of ``path``'s prose and tables."""
    return re.findall(r"`([^`\n]+)`", prose(path))


# --- the site ----------------------------------------------------------------------------------


def test_the_site_builds_in_strict_mode(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(tmp_path / "site")],
        cwd=REPO, capture_output=True, text=True, timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "WARNING" not in done.stderr, done.stderr[-3000:]
    built = tmp_path / "site"
    assert (built / "explanation" / "architecture" / "index.html").is_file()
    assert (built / "results" / "index.html").is_file()
    config = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    assert "strict: true" in config and "omitted_files: warn" in config  # nav omissions fail


def test_the_readme_is_short_and_its_links_exist():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 200
    links = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", text)
    assert links and all((REPO / link).is_file() for link in links), links
    linked = {REPO / link for link in links}
    assert {p for p in PAGES if "how-to" in p.parts} <= linked  # every how-to is one click away


def one_line(command: str) -> str:
    """A shell command with its line continuations joined and its spaces collapsed."""
    return " ".join(command.replace("\\\n", " ").split())


def test_ci_runs_exactly_the_readmes_test_command():
    script = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    start = script.index("apt-get update")
    ci = " ".join(
        script[start : script.index("python -m pytest", start)].replace("\\\n", " ").split()
    )
    readme = [
        " ".join(b.replace("\\\n", " ").split()) for _, b in blocks(REPO / "README.md", "bash")
    ]
    assert any(b == ci + " python -m pytest" for b in readme), ci
    for package in ("apertium", "apertium-eng-spa", "slurm-wlm", "munge"):
        assert f" {package} " in ci


# --- console blocks: run, compare ------------------------------------------------------------


@pytest.fixture(scope="module")
def repo_copy(tmp_path_factory) -> Path:
    """The repository's code, configs and docs in a folder of their own, so the blocks' runs,
    store and cache land there."""
    root = tmp_path_factory.mktemp("repo")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("xner", "conf", "docs"):
        shutil.copytree(REPO / name, root / name, ignore=ignore)
    for name in ("train.py", "project.py", "evaluate.py"):
        shutil.copy2(REPO / name, root / name)
    return root


def script_and_output(body: str) -> tuple[str, list[str]]:
    lines = body.splitlines()
    commands = [line[2:] for line in lines if line.startswith("$ ")]
    shown = [line for line in lines if not line.startswith("$ ")]
    return "\n".join(commands), shown


def shown_in_order(shown: list[str], printed: list[str]) -> str | None:
    """The first shown line that the printed lines lack (in order), or None."""
    at = 0
    for line in shown:
        if not line.strip() or line.strip() == "…":
            continue
        pattern = re.compile(".*".join(re.escape(part) for part in line.rstrip().split("…")))
        while at < len(printed) and not pattern.fullmatch(printed[at].rstrip()):
            at += 1
        if at == len(printed):
            return line
        at += 1
    return None


@pytest.mark.slow
@pytest.mark.parametrize(("path", "line", "body"), console_blocks())
def test_a_console_block_prints_what_it_shows(repo_copy, path, line, body):
    shutil.rmtree(repo_copy / "mlruns", ignore_errors=True)
    script, shown = script_and_output(body)
    env = {k: v for k, v in clean_env(COLUMNS="80").items() if k != "PYTHONPATH"}
    done = subprocess.run(
        ["bash", "-c", script], cwd=repo_copy, env=env, timeout=600,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    printed = done.stdout.splitlines()
    assert "Traceback" not in done.stdout, done.stdout[-3000:]
    missing = shown_in_order(shown, printed)
    assert missing is None, f"not printed: {missing!r}\n" + "\n".join(printed[-60:])


def test_the_comparison_finds_lines_in_order():
    printed = ["a 1", "noise", "b 22", "c"]
    assert shown_in_order(["a …", "…", "b 22"], printed) is None
    assert shown_in_order(["b 22", "a 1"], printed) == "a 1"
    assert shown_in_order(["c …x"], printed) == "c …x"


# --- bash blocks: every train.py / project.py command composes --------------------------------


def app_commands(body: str) -> list[list[str]]:
    """The ``python train.py|project.py`` commands of a shell block, as argument lists."""
    found = []
    for command in re.split(r"&&|;|\|\|?|\n(?![ \t])", body.replace("\\\n", " ")):
        try:
            words = shlex.split(command, comments=True)
        except ValueError:
            continue
        while words and re.fullmatch(r"[A-Z_]+=\S*", words[0]):
            words = words[1:]  # environment assignments
        if len(words) > 1 and words[0] == "python" and words[1] in APPS:
            found.append(words[1:])
    return found


def shell_commands() -> list:
    return [
        pytest.param(words, id=f"{path.relative_to(REPO)}:{line}:{' '.join(words)[:60]}")
        for path in DOCS
        for line, body in blocks(path, "bash")
        for words in app_commands(body)
    ]


@pytest.fixture
def examples_allowed(monkeypatch):
    """The how-tos' example module importable and allowed, as their commands make it."""
    from xner.config import EXTRA_TARGETS_VARIABLE

    monkeypatch.setenv(EXTRA_TARGETS_VARIABLE, "mylab")
    monkeypatch.syspath_prepend(str(EXAMPLES))
    monkeypatch.chdir(REPO)  # the search path in the docs is relative to the repository
    yield
    for name in [n for n in sys.modules if n == "mylab" or n.startswith("mylab.")]:
        del sys.modules[name]


@pytest.mark.parametrize("words", shell_commands())
def test_a_command_the_docs_show_composes(words, examples_allowed):
    from xner.run.choices import check_choices
    from xner.run.command_line import override_words
    from xner.run.entry import SweepPlan

    app, argv = words[0].removesuffix(".py"), words[1:]
    check_choices(argv)
    sweep = SweepPlan.of(argv, app, columns=app == "train")
    overrides = sweep.jobs[0] if sweep.multirun and sweep.jobs else override_words(sweep.argv)
    cfg = composed(app, *overrides, hydra=True)
    assert cfg.lang


def test_the_commands_are_found():
    commands = [p.values[0] for p in shell_commands()]
    assert ["train.py", "-m", "experiment=europarl", "lang=de"] in commands
    assert len(commands) > 30


# --- what the docs name exists ----------------------------------------------------------------

REPO_PATH = re.compile(
    r"^(xner|conf|tests|bench|docs|\.ci)/[\w./*-]*$|^(train|project|evaluate)\.py$|^mkdocs\.yml$"
)
GROUP_KEY = re.compile(
    r"^[+~]{0,2}(data|source_data|translator|labeler|aligner|projector|model|teacher|student|"
    r"method|trainer|tracking|cache|paths|pipeline)\.([\w.]+)(=.*)?$"
)
CHOICE = re.compile(r"^\+?([a-z_]+)(@[a-z_.]+)?=([\w.,-]+)$")
GROUP_DIRS = {"source_data": "data", "teacher": "model", "student": "model"}
# what the docs show as refused on purpose (the unknown-key example)
REFUSED = {"model.lrr=1", "model.lrr", "aligner=nope"}
CONF_DIRS = (CONF_DIR, EXAMPLES / "conf")  # the shipped groups and the how-tos' examples


def named(pattern: re.Pattern) -> list:
    return sorted(
        {
            (span, path.relative_to(REPO).as_posix())
            for path in DOCS
            for span in spans(path)
            if pattern.match(span) and "<" not in span
        }
    )


@pytest.mark.parametrize(("span", "page"), named(REPO_PATH), ids=lambda v: str(v))
def test_a_file_the_docs_name_exists(span, page):
    assert list(REPO.glob(span.rstrip("/"))), f"{page} names {span}, which does not exist"


def test_shared_paths_the_docs_name_exist(shared_dir):
    found = {s for path in DOCS for s in spans(path) if s.startswith("../shared/")}
    assert found
    for span in found:
        assert (shared_dir / span.removeprefix("../shared/").rstrip("/")).exists(), span


def group_keys(group: str) -> dict:
    """The keys the files of ``conf/<group>`` (and the examples') set, merged (values: the first
    file's), with the settings classes' keys for the model roles and the trainer."""
    from xner.methods.settings import ModelSettings, TrainerSettings

    merged: dict = {}
    for folder in CONF_DIRS:
        for file in sorted((folder / group).glob("*.yaml")):
            node = OmegaConf.to_container(OmegaConf.load(file), resolve=False)
            for key, value in node.items():
                merged.setdefault(key, value)
    extra = {"model": ModelSettings.keys(), "trainer": TrainerSettings.keys()}.get(group, [])
    return {**dict.fromkeys(extra), **merged}


@pytest.mark.parametrize(("span", "page"), named(GROUP_KEY), ids=lambda v: str(v))
def test_a_config_key_the_docs_name_exists(span, page):
    if span in REFUSED:
        return
    head, path = GROUP_KEY.match(span).group(1, 2)
    node: object = group_keys(GROUP_DIRS.get(head, head))
    for part in path.split("."):
        if not isinstance(node, dict):
            break  # a node a user fills (pipeline.target_labeler.checkpoint): not in the files
        assert part in node, f"{page}: `{span}`: no key {part!r} under {head} (conf/)"
        node = node[part]


def choices_named() -> list:
    found = []
    for span, page in named(CHOICE):
        group, _, values = CHOICE.match(span).groups()
        if (CONF_DIR / group).is_dir():
            words = [v for v in values.split(",") if re.fullmatch(r"\w[\w.-]*", v)]
            words = [v for v in words if f"{group}={v}" not in REFUSED]
            found += [(group, value, page) for value in words]
    return sorted(set(found))


@pytest.mark.parametrize(("group", "value", "page"), choices_named(), ids=lambda v: str(v))
def test_a_choice_the_docs_name_exists(group, value, page):
    from hydra.core.config_store import ConfigStore

    from xner.run.variants import register_variants

    register_variants([])
    try:
        stored = [Path(n).stem for n in ConfigStore.instance().list(group)]
    except OSError:  # nothing stored in this group
        stored = []
    files = [folder / group / f"{value}.yaml" for folder in CONF_DIRS]
    if group == "variant":  # a method of the examples' folder is a column of its own
        files += [folder / "method" / f"{value}.yaml" for folder in CONF_DIRS]
    assert any(f.is_file() for f in files) or value in stored, f"{page}: {group}={value}"


def test_the_launcher_keys_the_docs_name_exist():
    keys = set()
    for launcher in ("joblib", "local", "slurm"):
        cfg = composed("train", f"hydra/launcher={launcher}", hydra=True)
        keys |= set(cfg.hydra.launcher)
    named = {
        m.group(1)
        for path in DOCS
        for m in re.finditer(r"hydra\.launcher\.(\w+)", path.read_text(encoding="utf-8"))
    }
    assert "partition" in named and named <= keys, named - keys


def resolves(name: str) -> bool:
    """Whether a dotted name is an xner module, or an attribute of one."""
    import importlib

    parts = name.split(".")
    for cut in range(len(parts), 1, -1):
        try:
            found: object = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attribute in parts[cut:]:
            found = getattr(found, attribute, None)
        return found is not None
    return False


def test_the_dotted_names_and_tags_the_docs_name_exist():
    """``xner.models.decoding.decode`` resolves; ``xner.error`` is a tag xner writes."""
    source = "\n".join(p.read_text(encoding="utf-8") for p in (REPO / "xner").rglob("*.py"))
    names = {s for path in DOCS for s in spans(path) if re.fullmatch(r"xner(\.\w+)+", s)}
    assert {"xner.error", "xner.models.decoding.decode"} <= names
    for name in sorted(names):
        assert resolves(name) or f'"{name}' in source, f"`{name}`: no such module or tag"


def test_the_config_reference_includes_every_shipped_file():
    page = (REPO / "docs" / "reference" / "config.md").read_text(encoding="utf-8")
    included = set(re.findall(r'--8<-- "(conf/[^"]+)"', page))
    shipped = {
        p.relative_to(REPO).as_posix()
        for p in CONF_DIR.rglob("*.yaml")
        if p.parent.name != "variant"
    }
    assert shipped == included


def test_the_cli_reference_names_every_command_and_flag():
    import evaluate

    page = (REPO / "docs" / "reference" / "cli.md").read_text(encoding="utf-8")
    parser = evaluate.build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    flags = set()
    for name, command in sub.choices.items():
        assert f"### `{name}`" in page
        for action in command._actions:
            flags |= {o for o in action.option_strings if o.startswith("--") and o != "--help"}
    for flag in sorted(flags):
        assert f"`{flag}" in page, flag
    hydra = {"--multirun", "--cfg", "--resolve", "--package", "--help", "--hydra-help", "--info",
             "--shell-completion", "--config-dir", "--config-name", "--config-path", "--run",
             "--experimental-rerun", "--export"}  # fmt: skip
    named_flags = set(
        re.findall(r"(?<![\w-])(--[a-z][a-z-]+)", prose(REPO / "docs/reference/cli.md"))
    )
    assert named_flags <= flags | hydra, named_flags - flags - hydra


# --- the worked examples of the how-tos --------------------------------------------------------


def example(group: str, name: str):
    from xner.config import build

    return build(OmegaConf.load(EXAMPLES / "conf" / group / f"{name}.yaml"))


def test_the_worked_examples_work(examples_allowed):
    from xner.data.entity import Entity
    from xner.errors import ConfigError
    from xner.run.preflight import problems
    from xner.run.sweep import defaults_of, plan

    hull = example("projector", "hull")
    links = {(0, 2), (1, 0)}
    done = hull.project(["New", "York"], [Entity(0, 2, "LOC")], ["York", "a", "New"], links)
    assert done.entities == [Entity(0, 3, "LOC")] and done.dropped == []
    aligner = example("aligner", "spelling")
    assert aligner.align([(["Lagos", "is", "big"], ["lágos", "ni", "big"])]) == [{(0, 0), (2, 2)}]
    translator = example("translator", "command")
    assert translator.translate([["a", "b"], ["c"]], "en", "zz") == [["a", "b"], ["c"]]
    with pytest.raises(ConfigError, match="'my-mt-decoder' is not on PATH"):
        type(translator)(command=["my-mt-decoder"]).check("en", "zz")
    for app, override in (("project", "projector=hull"), ("train", "method=gazetteer")):
        cfg = composed(app, "+debug=tiny", override, SEARCHPATH)
        assert isinstance(cfg, DictConfig) and problems(cfg) == []
    argv = plan(["-m", "+debug=tiny", SEARCHPATH], defaults_of("train"), True)
    assert any(
        a.startswith("+variant=model_transfer,gazetteer,translate_test_heuristic,") for a in argv
    )
