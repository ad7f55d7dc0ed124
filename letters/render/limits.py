"""Limits on a template's work, and the checks that apply them before a huge value is made.

One render (a document or a mailing chunk, with its includes, macros and the prose it
quotes) has a ``Budget``: loop iterations and calls are counted as they happen, and so are
the characters its string operations make. The checks here refuse, before running them,
operations whose arguments ask for a huge result at once: a format width of 300,000,000,
``'%*d'``, a ``join`` or ``replace`` whose result would pass ``Limits.output``, a ``batch`` of
a billion. ``letters.render.sandbox`` calls them.
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from string import Formatter
from typing import Any

import jinja2
from jinja2.exceptions import TemplateRuntimeError
from jinja2.filters import make_attrgetter
from jinja2.sandbox import SandboxedEscapeFormatter, SandboxedFormatter


@dataclass(frozen=True)
class Limits:
    """How much one render of a template or prose string may do.

    The bundled campaigns use a small part of each: their largest renders make 1,600 steps
    (a notice document), 190,000 characters and write 100,000 (a 25-letter mailing chunk, the
    most a mailing renders at once, whatever its size). The limits stop runaways, not long
    letters.
    """

    steps: int = 100_000
    """Loop iterations and calls, all templates and prose of the render together."""
    seconds: float = 20.0
    """Wall-clock time of the render."""
    output: int = 4_000_000
    """Characters the render writes, and the length of any one string it makes."""
    work: int = 40_000_000
    """Characters all the render's string operations together may make."""
    items: int = 100_000
    """Length of any one list, and the most ``batch`` and ``slice`` may make (Jinja caps ``range`` at 100,000)."""
    width: int = 1_000
    """Largest field width or precision a format may ask for (``'%5d'``, ``'{:>10}'``)."""
    int_bits: int = 8_192
    """Size of any integer a template computes (``9 ** 9999999`` is refused before it runs)."""
    source: int = 100_000
    """Length of a prose string or topic, which is compiled when it is rendered."""


DEFAULT_LIMITS = Limits()


class LimitError(TemplateRuntimeError):
    """A template went past one of its ``Limits``; the message says which."""


class Budget:
    """What one render has used so far (a nested prose render shares its caller's)."""

    __slots__ = ("chars", "deadline", "limits", "steps")

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        """The limits this render runs under."""
        self.deadline = time.monotonic() + limits.seconds
        """Monotonic clock time the render must end by."""
        self.steps = 0
        """Loop iterations and calls so far."""
        self.chars = 0
        """Characters made so far."""

    def step(self) -> None:
        """Count one loop iteration or call."""
        self.steps += 1
        if self.steps > self.limits.steps:
            raise LimitError(f"more than {self.limits.steps:,} loop iterations and calls in one render")
        self._clock()

    def charge(self, chars: int) -> None:
        """Count ``chars`` characters made."""
        self.chars += chars
        if self.chars > self.limits.work:
            raise LimitError(f"more than {self.limits.work:,} characters of text made in one render")
        self._clock()

    def _clock(self) -> None:
        if time.monotonic() > self.deadline:
            raise LimitError(f"the render took longer than {self.limits.seconds:g} seconds")


BUDGET: ContextVar[Budget | None] = ContextVar("letters_template_budget", default=None)
"""The budget of the render under way in this thread, if any."""


_SPEC_NUMBER = re.compile(r"\d+")
_PERCENT = re.compile(r"%(?:\([^)]*\))?[#0 +\-]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?(.?)", re.DOTALL)


def check_width(limits: Limits, number: str | None, what: str) -> None:
    if number == "*":
        raise LimitError(f"{what}: a width or precision taken from the arguments ('*') is not allowed")
    if number is not None and (len(number) > 9 or int(number) > limits.width):
        raise LimitError(f"{what}: a width or precision of {number} is over the limit of {limits.width:,}")


def check_percent(limits: Limits, fmt: str, values: Any) -> None:
    """Refuse a ``%`` format (``'%5d' % n``, ``|format``, gettext's) asking for a huge result."""
    if "%" not in fmt:
        return
    conversions = _conversions(fmt, limits.width)
    if not conversions:
        return
    if isinstance(values, Mapping):
        items = list(values.values())
    elif isinstance(values, tuple):
        items = list(values)
    else:
        items = [values]
    # repr() (%r) of a character is at most 10 characters ("\\U0001f600").
    longest = 10 * max((len(str(v)) for v in items), default=0) + 2
    if len(fmt) + conversions * (max(longest, limits.width) + 32) > limits.output:
        raise LimitError(f"format: the result could be longer than {limits.output:,} characters")


@functools.lru_cache(maxsize=4096)
def _conversions(fmt: str, width: int) -> int:
    """How many values ``fmt`` formats; a ``LimitError`` for a width or precision over ``width``."""
    limits = Limits(width=width)
    conversions = 0
    for match in _PERCENT.finditer(fmt):
        field_width, precision, conversion = match.groups()
        if conversion == "%" and field_width is None and precision is None:
            continue
        conversions += 1
        check_width(limits, field_width, "format")
        check_width(limits, precision, "format")
    return conversions


class CheckedFormatting(Formatter):
    """Mixed into Jinja's sandboxed formatters: widths and the result's size are checked."""

    limits: Limits = DEFAULT_LIMITS
    made: int = 0

    def format_field(self, value: Any, format_spec: str) -> Any:
        for number in _SPEC_NUMBER.findall(format_spec):
            check_width(self.limits, number, "format")
        result = super().format_field(value, format_spec)
        self.made += len(result)
        if self.made > self.limits.output:
            raise LimitError(f"format: the result is longer than {self.limits.output:,} characters")
        return result


class CheckedFormatter(CheckedFormatting, SandboxedFormatter):
    pass


class CheckedEscapeFormatter(CheckedFormatting, SandboxedEscapeFormatter):
    pass


# Filters whose arguments can ask for a huge result: each check sees the bound arguments
# (and may replace a one-shot iterable by the list it read).
FilterCheck = Callable[["Limits", dict[str, Any], jinja2.Environment], None]
"""A check of a filter's bound arguments."""


def _center(limits: Limits, a: dict[str, Any], env: jinja2.Environment) -> None:
    check_width(limits, str(a["width"]) if isinstance(a["width"], int) else None, "center")


def _indent(limits: Limits, a: dict[str, Any], env: jinja2.Environment) -> None:
    width = len(a["width"]) if isinstance(a["width"], str) else int(a["width"])
    check_width(limits, str(abs(width)), "indent")
    text = str(a["s"])
    _fits(limits, len(text) + (text.count("\n") + 1) * width, "indent")


def _format(limits: Limits, a: dict[str, Any], env: jinja2.Environment) -> None:
    check_percent(limits, str(a["value"]), a["kwargs"] or a["args"])


def _join(limits: Limits, a: dict[str, Any], env: jinja2.Environment) -> None:
    items = list(a["value"])
    if a["attribute"] is not None:
        items = list(map(make_attrgetter(env, a["attribute"]), items))
        a["attribute"] = None
    a["value"] = items
    _fits(limits, sum(len(str(i)) for i in items) + max(len(items) - 1, 0) * len(str(a["d"])), "join")


def _replace(limits: Limits, a: dict[str, Any], env: jinja2.Environment) -> None:
    text, old, new = str(a["s"]), str(a["old"]), str(a["new"])
    times = text.count(old) if old else len(text) + 1
    if a["count"] is not None and a["count"] >= 0:
        times = min(times, a["count"])
    _fits(limits, len(text) + times * (len(new) - len(old)), "replace")


def _wordwrap(limits: Limits, a: dict[str, Any], env: jinja2.Environment) -> None:
    text = str(a["s"])
    lines = len(text) // max(int(a["width"]), 1) + text.count("\n") + 1
    _fits(limits, len(text) + lines * len(a["wrapstring"] or "\n"), "wordwrap")


def _count(name: str, argument: str) -> FilterCheck:
    def check(limits: Limits, a: dict[str, Any], env: jinja2.Environment) -> None:
        if int(a[argument]) > limits.items:
            raise LimitError(f"{name}: {a[argument]} is over the limit of {limits.items:,} items")

    return check


def _sum(limits: Limits, a: dict[str, Any], env: jinja2.Environment) -> None:
    if not isinstance(a["start"], (int, float)):
        raise LimitError("sum: adds numbers only (start must be a number)")


def _short(*names: str) -> FilterCheck:
    def check(limits: Limits, a: dict[str, Any], env: jinja2.Environment) -> None:
        for name in names:
            value = a.get(name)
            if isinstance(value, str) and len(value) > limits.width:
                raise LimitError(f"{name} is longer than {limits.width:,} characters")
            if isinstance(value, int) and value > 8:
                raise LimitError(f"{name} is over the limit of 8")

    return check


def _fits(limits: Limits, size: int, what: str) -> None:
    if size > limits.output:
        raise LimitError(f"{what}: the result would be longer than {limits.output:,} characters")


FILTER_CHECKS: dict[str, FilterCheck] = {
    "center": _center, "indent": _indent, "format": _format, "join": _join, "replace": _replace,
    "wordwrap": _wordwrap, "batch": _count("batch", "linecount"), "slice": _count("slice", "slices"), "sum": _sum,
    "urlize": _short("target", "rel"), "tojson": _short("indent"),
}  # fmt: skip
