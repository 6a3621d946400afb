"""The overrides of a command line, parsed once the way Hydra parses them, and its options."""

from collections.abc import Sequence
from typing import Any

from xner.errors import ConfigError

# Hydra's options that each choose what the app does: Hydra accepts one of them.
MODES = {
    "-m": "-m",
    "--multirun": "-m",
    "-c": "--cfg",
    "--cfg": "--cfg",
    "-i": "--info",
    "--info": "--info",
    "-sc": "--shell-completion",
    "--shell-completion": "--shell-completion",
    "-r": "--run",
    "--run": "--run",
}
HYDRA_HELP = "--hydra-help"


def override_words(argv: Sequence[str]) -> list[str]:
    """The ``key=value`` and ``~key`` words of a command line (options such as ``-m`` left out)."""
    return [a for a in argv if not a.startswith("-") and ("=" in a or a.startswith("~"))]


def parsed_overrides(words: Sequence[str]) -> list[Any] | None:
    """Hydra's parse of ``words``; None when Hydra cannot parse them (it reports that itself)."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException

    try:
        return OverridesParser.create().parse_overrides(list(words))
    except HydraException:
        return None


def check_modes(argv: Sequence[str]) -> None:
    """Refuse two of Hydra's modes at once in one line (Hydra raises a bare ValueError)."""
    given = list(
        dict.fromkeys(MODES[a.split("=", 1)[0]] for a in argv if a.split("=", 1)[0] in MODES)
    )
    if set(given) == {"--cfg", "-m"}:
        raise ConfigError(
            "--cfg prints the config of one run and -m starts a sweep: give one of them (to see "
            "a job's config, drop -m and give that job's values: lang=hau, not lang=hau,yor)"
        )
    if len(given) > 1:
        raise ConfigError(
            f"{' and '.join(given)} cannot be combined: Hydra runs one of -m (a sweep), --cfg "
            "(print the config), --info, --shell-completion and --run (the default) at a time"
        )


def hydra_help_argv(argv: Sequence[str]) -> list[str] | None:
    """``--hydra-help``'s arguments: only Hydra's own overrides, which its help composes without
    the app's config (an app key such as ``lang=`` or ``data=`` would fail there); None when the
    command line asks for something else."""
    if HYDRA_HELP not in argv:
        return None
    return [a for a in argv if a not in override_words(argv) or a.startswith("hydra")]
