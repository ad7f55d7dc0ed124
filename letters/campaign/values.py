"""A campaign's own vehicle data: declared vehicle-file columns and computed per-vehicle values.

``[vehicles.columns.NAME]`` declares a column the vehicle file carries beyond the built-in
five (VIN, model, model year, production date, location): its type, the header spellings
records use, whether every row must fill it. ``[vehicles.computed.NAME]`` declares a value
computed for each vehicle from its fields by a small expression, e.g. a coverage end date::

    [vehicles.computed.coverage_ends]
    type = "date"
    expr = "later_of(add_years(in_service, 10), facts.coverage_floor)"

Expressions are untrusted: they are compiled by Jinja's sandbox (``compile_expression``),
see only the vehicle's values, earlier computed values, the campaign's ``facts`` and the
date functions below, and never reach Python internals. Both reach templates as
``letter.vehicle.NAME`` and are shown by ``check`` and ``lookup``.

Date arithmetic (``add_years``, ``add_months``) keeps the day of the month; a day the
target month lacks becomes its last day: 29 February plus one year is 28 February, 31
January plus one month is 28 (or 29) February.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any, Literal

import jinja2
from jinja2.sandbox import SandboxedEnvironment
from pydantic import Field

from letters.campaign.base import Strict
from letters.errors import EXCERPT as EXCERPT
from letters.errors import excerpt as excerpt
from letters.render.view import View, plain

ColumnType = Literal["text", "integer", "date", "enum", "boolean"]
ValueType = Literal["text", "integer", "date", "boolean"]
NAME_PATTERN = r"^[a-z][a-z0-9_]*$"
BUILT_IN = ("vin", "model", "model_year", "production_date", "location")
"""The vehicle fields every campaign has; a declared column or computed value may not reuse a name."""
RESERVED = (*BUILT_IN, "label", "brand")
"""Names ``letter.vehicle`` already uses."""


class Column(Strict):
    """One column of the vehicle file the campaign declares."""

    type: ColumnType
    """text, integer, date (YYYY-MM-DD or M/D/YYYY), enum (one of ``values``) or boolean (yes/no)."""
    title: str = ""
    """How ``check`` and ``lookup`` label it (default: the name)."""
    aliases: list[str] = []
    """Header spellings records use, e.g. "In-Service Date" (matched as the built-in headers are)."""
    required: bool = False
    """Every vehicle row must give a value; otherwise an empty cell is allowed (and is none)."""
    values: list[str] = []
    """The allowed values of an enum column (matched ignoring case; stored as written here)."""
    sample: list[str] = []
    """Values ``letters sample-data`` draws from, as a file writes them (default: by type; a date
    column gets the production date plus 7 to 540 days)."""


class Computed(Strict):
    """One value computed for each vehicle."""

    type: ValueType
    """What the expression must give: date, integer, text or boolean."""
    expr: str = Field(min_length=1)
    """A sandboxed expression over the vehicle's fields, earlier computed values, ``facts`` and the date
    functions (add_years, add_months, add_days, later_of, earlier_of, years_between, date)."""
    title: str = ""
    """How ``check`` and ``lookup`` label it (default: the name)."""


class ValueError_(ValueError):
    """A value that does not parse or compute (the message names field and value)."""


_DATE_US = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_TRUE = frozenset({"y", "yes", "true", "1", "x", "t"})
_FALSE = frozenset({"n", "no", "false", "0", "f"})


def parse_value(name: str, column: Column, raw: str) -> tuple[Any, str]:
    """(typed value or None, problem or ""): one cell of a declared column."""
    text = raw.strip()
    if not text:
        return None, f"{name}: empty (a required column)" if column.required else ""
    if column.type == "text":
        return " ".join(text.split()), ""
    if column.type == "integer":
        if text.isascii() and re.fullmatch(r"[+-]?\d{1,18}", text.replace(",", "")):
            return int(text.replace(",", "")), ""
        return None, f"{name}: {excerpt(text)} is not a whole number"
    if column.type == "date":
        found = _date(text)
        return (found, "") if found else (None, f"{name}: {excerpt(text)} is not a date (YYYY-MM-DD or M/D/YYYY)")
    if column.type == "boolean":
        low = text.lower()
        if low in _TRUE or low in _FALSE:
            return low in _TRUE, ""
        return None, f"{name}: {excerpt(text)} is not yes or no"
    for allowed in column.values:
        if allowed.lower() == text.lower():
            return allowed, ""
    return None, f"{name}: {excerpt(text)} is not one of {', '.join(column.values)}"


def _date(text: str) -> date | None:
    if len(text) == 10 and text[4] == "-":
        try:
            return date.fromisoformat(text)
        except ValueError:
            return None
    match = _DATE_US.match(text)
    if match:
        try:
            return date(int(match[3]), int(match[1]), int(match[2]))
        except ValueError:
            return None
    return None


# --- Date arithmetic ------------------------------------------------------------------


def _need_date(value: object, what: str) -> date:
    if not isinstance(value, date):
        raise ValueError_(f"{what} needs a date, got {excerpt(value)}")
    return value


def add_months(day: object, months: int) -> date:
    """``day`` plus ``months`` calendar months; a day the month lacks becomes its last day."""
    start = _need_date(day, "add_months")
    if not isinstance(months, int) or isinstance(months, bool):
        raise ValueError_(f"add_months needs a whole number of months, got {excerpt(months)}")
    index = start.year * 12 + start.month - 1 + months
    year, month = divmod(index, 12)
    if not 1 <= year <= 9999:
        raise ValueError_(f"add_months: {start.isoformat()} plus {months} months is out of range")
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(start.day, last))


def add_years(day: object, years: int) -> date:
    """``day`` plus ``years`` years; 29 February becomes 28 February in a common year."""
    if not isinstance(years, int) or isinstance(years, bool):
        raise ValueError_(f"add_years needs a whole number of years, got {excerpt(years)}")
    return add_months(_need_date(day, "add_years"), 12 * years)


def add_days(day: object, days: int) -> date:
    """``day`` plus ``days`` days (negative: earlier)."""
    start = _need_date(day, "add_days")
    if not isinstance(days, int) or isinstance(days, bool):
        raise ValueError_(f"add_days needs a whole number of days, got {excerpt(days)}")
    try:
        return start + timedelta(days=days)
    except OverflowError:
        raise ValueError_(f"add_days: {start.isoformat()} plus {days} days is out of range") from None


def later_of(*days: object) -> date:
    """The latest of the dates given (none given, or a value that is not a date, is an error)."""
    if not days:
        raise ValueError_("later_of needs at least one date")
    return max(_need_date(d, "later_of") for d in days)


def earlier_of(*days: object) -> date:
    """The earliest of the dates given."""
    if not days:
        raise ValueError_("earlier_of needs at least one date")
    return min(_need_date(d, "earlier_of") for d in days)


def years_between(start: object, end: object) -> int:
    """Whole years from ``start`` to ``end`` (an age, a time in service)."""
    a, b = _need_date(start, "years_between"), _need_date(end, "years_between")
    years = b.year - a.year
    return years - 1 if add_years(a, years) > b else years


def make_date(text: object) -> date:
    """``date("2025-12-31")``: a fixed date written in an expression."""
    if isinstance(text, date):
        return text
    found = _date(str(text)) if isinstance(text, str) else None
    if found is None:
        raise ValueError_(f"date() needs YYYY-MM-DD, got {excerpt(text)}")
    return found


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "add_years": add_years,
    "add_months": add_months,
    "add_days": add_days,
    "later_of": later_of,
    "earlier_of": earlier_of,
    "years_between": years_between,
    "date": make_date,
}
"""What an expression may call besides the sandbox's own operators and filters."""

_TYPES: dict[str, tuple[type, ...]] = {"date": (date,), "integer": (int,), "text": (str,), "boolean": (bool,)}
_SAMPLES: dict[str, Any] = {"text": "TEXT", "integer": 1, "date": date(2020, 2, 29), "enum": "", "boolean": True}


def _environment() -> SandboxedEnvironment:
    env = SandboxedEnvironment(undefined=jinja2.StrictUndefined, autoescape=False)
    env.globals.clear()
    env.globals.update(FUNCTIONS)
    return env


_ENV = _environment()


class Calculator:
    """Compiled computed values of one campaign; ``values(fields)`` computes them for one vehicle."""

    def __init__(self, computed: Mapping[str, Computed], facts: Mapping[str, Any], where: str = "vehicles.computed"):
        self.computed = dict(computed)
        self.facts = dict(facts)
        self.where = where
        self.compiled: list[tuple[str, Computed, Callable[..., Any]]] = []
        problems = []
        for name, spec in self.computed.items():
            try:
                self.compiled.append((name, spec, _ENV.compile_expression(spec.expr, undefined_to_none=False)))
            except jinja2.TemplateSyntaxError as exc:
                problems.append(f"{where}.{name}.expr: {exc.message} in {excerpt(spec.expr, 80)}")
        if problems:
            raise ValueError_("; ".join(problems))

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.computed)

    def values(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        """Each computed value in order (each may use the earlier ones); ``ValueError_`` names the value."""
        scope: dict[str, Any] = {**fields, "facts": self.facts}
        out: dict[str, Any] = {}
        for name, spec, fn in self.compiled:
            try:
                value = fn(**scope)
            except ValueError_ as exc:
                raise ValueError_(f"{name}: {exc}") from None
            except jinja2.UndefinedError as exc:
                raise ValueError_(f"{name}: {exc.message} (in {excerpt(spec.expr, 80)})") from None
            except jinja2.exceptions.SecurityError as exc:
                raise ValueError_(f"{name}: not allowed in an expression: {exc}") from None
            except Exception as exc:  # an untrusted expression's own mistake (1 + "a", None < date)
                raise ValueError_(f"{name}: {type(exc).__name__}: {exc} (in {excerpt(spec.expr, 80)})") from None
            if isinstance(value, jinja2.Undefined):
                raise ValueError_(f"{name}: the expression gives nothing (in {excerpt(spec.expr, 80)})")
            expected = _TYPES[spec.type]
            if value is None or not isinstance(value, expected) or (spec.type == "integer" and isinstance(value, bool)):
                raise ValueError_(f"{name}: the expression gives {excerpt(value)}, not a {spec.type}")
            out[name] = value
            scope[name] = value
        return out

    def trial(self, columns: Mapping[str, Column]) -> list[str]:
        """Problems of the expressions found by computing them for a made-up vehicle (every column filled)."""
        fields: dict[str, Any] = {"vin": "1HGCM82633A004352", "model": "MODEL", "model_year": 2020,
                                  "production_date": date(2020, 2, 29), "location": "LOCATION"}  # fmt: skip
        for name, column in columns.items():
            fields[name] = column.values[0] if column.type == "enum" and column.values else _SAMPLES[column.type]
        try:
            self.values(fields)
        except ValueError_ as exc:
            return [f"{self.where}.{exc}"]
        return []


def check_names(columns: Mapping[str, Column], computed: Mapping[str, Computed]) -> list[str]:
    """Problems of the declared names: each once, none a built-in field, enums with values."""
    problems = []
    pattern = re.compile(NAME_PATTERN)
    for where, names in (("vehicles.columns", columns), ("vehicles.computed", computed)):
        for name in names:
            if not pattern.match(name):
                problems.append(f"{where}.{name}: a name is lower case letters, digits and _, starting with a letter")
            if name in RESERVED:
                problems.append(f"{where}.{name}: {name!r} is a built-in vehicle field; choose another name")
    for name in set(columns) & set(computed):
        problems.append(f"vehicles.computed.{name}: {name!r} is also a declared column")
    for name, column in columns.items():
        if column.type == "enum" and not column.values:
            problems.append(f"vehicles.columns.{name}: an enum column lists its values")
        if column.type != "enum" and column.values:
            problems.append(f"vehicles.columns.{name}: values are for enum columns only")
    return problems


def encode(values: Sequence[tuple[str, Any]]) -> list[list[Any]]:
    """Vehicle values as JSON-ready [name, type, value] triples (dates as YYYY-MM-DD)."""
    out = []
    for name, value in values:
        if isinstance(value, date):
            out.append([name, "date", value.isoformat()])
        else:
            out.append([name, "plain", value])
    return out


def decode(triples: Sequence[Sequence[Any]]) -> tuple[tuple[str, Any], ...]:
    """What ``encode`` wrote, typed again."""
    return tuple((name, date.fromisoformat(value) if kind == "date" else value) for name, kind, value in triples)


def sample_value(column: Column, rng: Any, built: date) -> str:
    """A value of ``column`` for a made-up vehicle built on ``built``, as a vehicle file writes it."""
    if column.sample:
        return str(rng.choice(column.sample))
    if column.type == "date":
        return (built + timedelta(days=rng.randrange(7, 541))).isoformat()
    if column.type == "integer":
        return str(rng.randrange(0, 100_000))
    if column.type == "enum":
        return str(rng.choice(column.values))
    if column.type == "boolean":
        return "yes" if rng.random() < 0.5 else "no"
    return "SAMPLE"


class VehicleView(View):
    """A vehicle's fields as read-only template data (``letter.vehicle.coverage_ends``); prints as its label."""

    __slots__ = ("_label",)

    _label: str

    def __init__(self, data: Mapping[str, Any], label: str) -> None:
        super().__init__("vehicle", {k: plain(v) for k, v in data.items()}, {}, None)
        object.__setattr__(self, "_label", label)

    def __str__(self) -> str:
        return self._label

    def __html__(self) -> str:
        from markupsafe import escape

        return str(escape(self._label))


def with_names(values: tuple[tuple[str, Any], ...], names: tuple[str, ...]) -> tuple[tuple[str, Any], ...]:
    """Every declared and computed name, none where the letter has no value (the notice's sample letter)."""
    known = dict(values)
    return tuple((name, known.get(name)) for name in names)
