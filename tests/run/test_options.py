"""The one check of enumerated (Literal) and ranged (Range) settings, worked by hand."""

from dataclasses import dataclass
from typing import Annotated, Literal

import pytest

from xner.errors import ConfigError
from xner.options import Range, check_fields, in_range, one_of


@dataclass(frozen=True)
class Settings:
    mode: Literal["fast", "exact"]
    runs: Annotated[int, Range(1)]
    share: Annotated[float, Range(0, 1, open_low=True)]
    cap: Annotated[int, Range(0)] | None
    name: str = "free text is not checked"


def test_a_valid_object_passes_and_each_bad_field_is_named():
    check_fields(Settings("fast", 1, 1.0, None), "x")
    check_fields(Settings("exact", 3, 0.5, 0), "x")
    cases = [
        (Settings("best", 1, 1.0, None), r"^x\.mode='best': choose one of fast, exact$"),
        (Settings("fast", 0, 1.0, None), r"^x\.runs=0: must be >= 1$"),
        (Settings("fast", 1, 0.0, None), r"^x\.share=0\.0: must be in \(0, 1\]$"),
        (Settings("fast", 1, 1.5, None), r"^x\.share=1\.5: must be in \(0, 1\]$"),
        (Settings("fast", 1, 1.0, -1), r"^x\.cap=-1: must be >= 0$"),
        (Settings("fast", "2", 1.0, None), r"^x\.runs='2': must be >= 1$"),
        (Settings("fast", True, 1.0, None), r"^x\.runs=True: must be >= 1$"),
    ]
    for settings, message in cases:
        with pytest.raises(ConfigError, match=message):
            check_fields(settings, "x")


def test_loose_values_are_refused_in_the_same_words():
    assert one_of("a.b", "x", ("x", "y")) == "x"
    with pytest.raises(ConfigError, match=r"^a\.b='z': choose one of x, y$"):
        one_of("a.b", "z", ("x", "y"))
    with pytest.raises(ValueError, match=r"^mode='z': choose one of x, y$"):
        one_of("mode", "z", ["x", "y"], error=ValueError)
    assert in_range("t", 0.5, Range(0, open_low=True)) == 0.5
    with pytest.raises(ConfigError, match=r"^t=0: must be > 0$"):
        in_range("t", 0, Range(0, open_low=True))
    with pytest.raises(ConfigError, match=r"^t=2: must be < 1$"):
        in_range("t", 2, Range(high=1, open_high=True))


def test_a_union_admits_what_one_member_admits():
    @dataclass
    class Either:
        value: Literal["auto"] | Annotated[int, Range(1)]

    check_fields(Either("auto"), "e")
    check_fields(Either(2), "e")
    with pytest.raises(ConfigError, match=r"^e\.value='manual': choose one of auto$"):
        check_fields(Either("manual"), "e")
