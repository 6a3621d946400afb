"""What a setting may be, checked in one place: one of its choices or within its range.

A settings class (a dataclass) types its enumerated fields ``Literal["a", "b"]`` and its ranged
fields ``Annotated[int, Range(1)]``; :func:`check_fields` refuses a value outside either with one
line that names the config key, the value and what it may be. Code that is handed a loose value
(a function argument, a command-line option) uses :func:`one_of` and :func:`in_range`, which
word their refusals the same way.
"""

import types
from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import Annotated, Any, Literal, TypeVar, Union, get_args, get_origin, get_type_hints

from xner.errors import ConfigError

T = TypeVar("T")


@dataclass(frozen=True)
class Range:
    """The bounds of a numeric setting (``None``: unbounded), each closed unless ``open_*``."""

    low: float | None = None
    high: float | None = None
    open_low: bool = False
    open_high: bool = False

    def __contains__(self, value: object) -> bool:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        if self.low is not None and (value <= self.low if self.open_low else value < self.low):
            return False
        return self.high is None or (value < self.high if self.open_high else value <= self.high)

    def __str__(self) -> str:
        low, high = _number(self.low), _number(self.high)
        if self.high is None:
            return f"{'>' if self.open_low else '>='} {low}"
        if self.low is None:
            return f"{'<' if self.open_high else '<='} {high}"
        return f"in {'(' if self.open_low else '['}{low}, {high}{')' if self.open_high else ']'}"


def _number(value: float | None) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def one_of(key: str, value: T, choices: Iterable[Any], error: type[Exception] = ConfigError) -> T:
    """``value`` if it is one of ``choices``; else ``error``, naming ``key`` and the choices."""
    choices = tuple(choices)
    if value not in choices:
        raise error(f"{key}={value!r}: choose one of {', '.join(map(str, choices))}")
    return value


def in_range(key: str, value: T, bounds: Range, error: type[Exception] = ConfigError) -> T:
    """``value`` if it is a number within ``bounds``; else ``error``, naming ``key``."""
    if value not in bounds:
        raise error(f"{key}={value!r}: must be {bounds}")
    return value


def check_value(key: str, value: Any, hint: Any) -> None:
    """Refuse ``value`` outside the ``Literal`` choices or the ``Range`` that ``hint`` carries
    (a union: outside all its members; ``X | None`` admits None); other types are not checked."""
    origin = get_origin(hint)
    if origin is Literal:
        one_of(key, value, get_args(hint))
    elif origin is Annotated:
        base, *extras = get_args(hint)
        check_value(key, value, base)
        for bounds in (extra for extra in extras if isinstance(extra, Range)):
            in_range(key, value, bounds)
    elif origin in (Union, types.UnionType):
        _check_union(key, value, get_args(hint))


def _check_union(key: str, value: Any, members: tuple[Any, ...]) -> None:
    """A value that one member admits (None that ``None`` does); else the first refusal."""
    if value is None and type(None) in members:
        return
    refusals = []
    for member in (m for m in members if m is not type(None)):
        try:
            check_value(key, value, member)
            return
        except ConfigError as refusal:
            refusals.append(refusal)
    if refusals:
        raise refusals[0]


def check_fields(settings: Any, where: str) -> None:
    """Every enumerated and ranged field of the dataclass ``settings``, named ``where.field``."""
    hints = get_type_hints(type(settings), include_extras=True)
    for field in fields(settings):
        check_value(f"{where}.{field.name}", getattr(settings, field.name), hints[field.name])
