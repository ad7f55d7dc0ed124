"""Row validation: a CSV row becomes a typed record, or a list of its problems."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Container, Mapping
from datetime import date, datetime
from typing import Any

from letters import vin as vins
from letters.address import window_problems, zip_prefix_states, zip_state_problem
from letters.campaign import Campaign
from letters.campaign.values import Calculator, ValueError_, parse_value
from letters.charset import unprintable
from letters.errors import excerpt
from letters.records.columns import DOMESTIC as DOMESTIC
from letters.records.columns import FALSE as FALSE
from letters.records.columns import LANGUAGES as LANGUAGES
from letters.records.columns import OWNER_COLUMNS as OWNER_COLUMNS
from letters.records.columns import OWNER_REQUIRED as OWNER_REQUIRED
from letters.records.columns import PR_ZIP_PREFIXES as PR_ZIP_PREFIXES
from letters.records.columns import STATES as STATES
from letters.records.columns import TRUE as TRUE
from letters.records.columns import VEHICLE_COLUMNS as VEHICLE_COLUMNS
from letters.records.columns import VEHICLE_REQUIRED as VEHICLE_REQUIRED
from letters.records.columns import undeclared as undeclared
from letters.records.columns import vehicle_aliases
from letters.records.csvio import Row
from letters.records.model import Owner, Source, Vehicle

_ZIP = re.compile(r"^(\d{5})(?:-?(\d{4}))?$")
_DATE_US = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_MODEL_KEY = re.compile(r"[^A-Z0-9]")


def _model_key(model: str) -> str:
    return _MODEL_KEY.sub("", model.upper())


class RowParser:
    """Validates rows against one campaign; build once per run."""

    def __init__(self, campaign: Campaign) -> None:
        self.columns = dict(campaign.vehicles.columns)
        self.calculator = Calculator(campaign.vehicles.computed, campaign.facts)
        self.aliases, self.required = vehicle_aliases(campaign)
        self.value_names = (*self.columns, *self.calculator.names)
        """Names of ``Vehicle.values``: the declared columns, then the computed values."""
        self.uses_vin = any("vin" in c.expr for c in campaign.vehicles.computed.values())
        self._computed: dict[tuple[Any, ...], dict[str, Any] | str] = {}
        self.wmis = frozenset(campaign.vehicles.wmis)
        self.locations: dict[str, str] = {}
        for loc in campaign.vehicles.locations:
            for alias in (loc.name, *loc.aliases):
                self.locations[alias.upper()] = loc.name
        rows = campaign.chart.rows if campaign.chart else []
        names = [row.model for row in rows] + [m.model for m in campaign.models]
        self.models = {_model_key(name): name.upper() for name in names}
        # Columns such as model, location, state or country take few distinct values in
        # a file of 200,000 rows: validate each distinct value once.
        self._model_of: dict[str, str] = {}
        self._location_of: dict[str, str | None] = {}
        self._state_of: dict[str, tuple[str, str]] = {}
        self._checked: dict[tuple[str, str], str] = {}
        self.zip_states = zip_prefix_states()

    def model(self, raw: str) -> str:
        model = self._model_of.get(raw)
        if model is None:
            stripped = raw.strip()
            model = self._model_of[raw] = self.models.get(_model_key(stripped), stripped.upper())
        return model

    def location(self, raw: str) -> str | None:
        try:
            return self._location_of[raw]
        except KeyError:
            location = self._location_of[raw] = self.locations.get(raw.strip().upper())
            return location

    def vehicle(self, row: Row, file: str) -> Vehicle | list[str]:
        """A vehicle record, or the problems of the row (each naming field and value)."""
        problems = _shape(row)
        v = row.values
        raw_vin = v.get("vin", "")
        parsed = None
        try:
            parsed = vins.validate(raw_vin)
        except vins.VinError as exc:
            problems.append(f"vin: {exc}")
        if parsed is not None and parsed[:3] not in self.wmis:
            problems.append(
                f"vin: manufacturer code {parsed[:3]!r} is not one of this campaign's ({', '.join(sorted(self.wmis))})"
            )
        model = self.model(v.get("model", ""))
        if not model:
            problems.append("model: empty")
        year = year_of(v.get("model_year", ""))
        if year is None:
            problems.append(f"model_year: {excerpt(v.get('model_year', '').strip())} is not a four-digit year")
        elif parsed is not None and vins.year_code(year) != parsed[9]:
            candidates = vins.Vin(parsed).model_year_candidates()
            problems.append(
                f"model_year: {year} does not match VIN position 10 {parsed[9]!r} "
                f"(model year {' or '.join(str(y) for y in candidates)})"
            )
        built = parse_date(v.get("production_date", ""))
        if built is None:
            problems.append(
                f"production_date: {excerpt(v.get('production_date', ''))} is not a date (YYYY-MM-DD or M/D/YYYY)"
            )
        location = self.location(v.get("location", ""))
        if location is None:
            problems.append(f"location: {excerpt(v.get('location', '').strip())} is not a known production location")
        declared: list[tuple[str, Any]] = []
        for name, column in self.columns.items():
            value, problem = parse_value(name, column, v.get(name, ""))
            if problem:
                problems.append(problem)
            declared.append((name, value))
        if problems or parsed is None or year is None or built is None or location is None:
            return problems
        fields = {"vin": parsed, "model": model, "model_year": year, "production_date": built, "location": location,
                  **dict(declared)}  # fmt: skip
        computed = self.compute(fields)
        if isinstance(computed, str):
            return [computed]
        return Vehicle(parsed, model, year, built, location, Source(file, row.line),
                       (*declared, *computed.items()))  # fmt: skip

    def compute(self, fields: Mapping[str, Any]) -> dict[str, Any] | str:
        """The computed values of a vehicle with ``fields``, or the problem; once per distinct input."""
        if not self.calculator.compiled:
            return {}
        key = tuple(v for k, v in fields.items() if k != "vin" or self.uses_vin)
        found = self._computed.get(key)
        if found is None:
            try:
                found = self.calculator.values(fields)
            except ValueError_ as exc:
                found = f"cannot compute {exc}"
            self._computed[key] = found
        return found

    def owner(self, row: Row, file: str, known_vins: Container[str] = ()) -> Owner | list[str]:
        """An owner record, or the problems of the row.

        ``known_vins`` holds VINs already validated (the vehicle file's): an owner row
        naming one of them skips the check digit arithmetic.
        """
        problems = _shape(row)
        get = row.values.get
        raw_vin = get("vin", "")
        norm_vin = raw_vin if raw_vin in known_vins else ""
        if not norm_vin:
            try:
                norm_vin = vins.validate(raw_vin)
            except vins.VinError as exc:
                problems.append(f"vin: {exc}")
        name = _clean(get("name", ""))
        if not name:
            problems.append("name: empty")
        name2 = _clean(get("name2", ""))
        street = _clean(get("address1", ""))
        if not street:
            problems.append("address1: empty (no street address)")
        city = _clean(get("city", ""))
        if not city:
            problems.append("city: empty")
        state_raw = get("state", "")
        state, problem = self.state(state_raw)
        if problem:
            problems.append(problem)
        zip_code, problem = self.zip(get("zip", ""), state)
        if problem:
            problems.append(problem)
        problem = self._simple("country", get("country", ""), _country_problem)
        if problem:
            problems.append(problem)
        language, problem = language_of(get("language", ""))
        if problem:
            problems.append(problem)
        lessor, problem = lessor_of(get("lessor", ""))
        if problem:
            problems.append(problem)
        urbanization = _clean(get("urbanization", ""))
        apartment = _clean(get("address2", ""))
        for key, text in (("name", name), ("name2", name2), ("urbanization", urbanization), ("address1", street),
                          ("address2", apartment), ("city", city)):  # fmt: skip
            bad = unprintable(text)
            if bad:
                codes = ", ".join(f"U+{ord(ch):04X}" for ch in bad)
                problems.append(f"{key}: {excerpt(text)} has characters a letter cannot print ({codes}; USPS "
                                "addresses use the Latin alphabet)")  # fmt: skip
        if not problems:
            problems = window_problems((("name", name), ("name2", name2)), urbanization, street, apartment, city,
                                       state, zip_code)  # fmt: skip
        if problems:
            return problems
        return Owner(
            norm_vin,
            (name, name2) if name2 else (name,),
            (urbanization, street, apartment),
            city,
            state,
            zip_code,
            language,
            get("email", "").strip(),
            lessor,
            Source(file, row.line),
        )

    def zip(self, raw: str, state: str) -> tuple[str, str]:
        """Normalised ZIP or ZIP+4 and its problem (empty when valid), checked against ``state``."""
        zip_code, problem = _zip(raw, state)
        if not problem and state in STATES and zip_code:
            served = self.zip_states.get(zip_code[:3])
            problem = "" if served is not None and state in served else zip_state_problem(zip_code, state)
        return zip_code, problem

    def country(self, raw: str) -> str:
        """The problem of a country value (empty when domestic)."""
        return self._simple("country", raw, _country_problem)

    def state(self, raw: str) -> tuple[str, str]:
        """Normalised state code and its problem (empty when valid), cached per raw value."""
        known = self._state_of.get(raw)
        if known is None:
            state = raw.strip().upper()
            problem = (
                ""
                if state in STATES
                else ("state: empty" if not state else f"state: {excerpt(state)} is not a USPS state or territory code")
            )
            known = self._state_of[raw] = (state, problem)
        return known

    def _simple(self, field: str, raw: str, check: Callable[[str], str]) -> str:
        key = (field, raw)
        problem = self._checked.get(key)
        if problem is None:
            problem = self._checked[key] = check(raw)
        return problem


def language_of(raw: str) -> tuple[str, str]:
    """Language code ("" when not given) and its problem (empty when valid)."""
    language = LANGUAGES.get(raw.strip().lower(), "") if raw else ""
    if raw.strip() and not language:
        return language, f"language: {excerpt(raw.strip())} is not available (en, es)"
    return language, ""


def lessor_of(raw: str) -> tuple[bool, str]:
    """Lessor flag and its problem (empty when valid)."""
    lessor = raw.strip().lower() in TRUE if raw else False
    if raw and not lessor and raw.strip().lower() not in FALSE:
        return lessor, f"lessor: {excerpt(raw.strip())} is not yes or no"
    return lessor, ""


def _country_problem(raw: str) -> str:
    if raw.strip().upper().replace(".", "") in DOMESTIC:
        return ""
    return f"country: {excerpt(raw.strip())} is outside the United States"


def _zip(raw: str, state: str) -> tuple[str, str]:
    """Normalised ZIP or ZIP+4 and its problem (empty when valid)."""
    raw = raw.strip()
    if len(raw) == 5 and raw.isdigit():
        zip_code = raw
    else:
        match = _ZIP.match(raw)
        if not raw:
            return "", "zip: empty"
        if match is None:
            hint = " (leading zero lost?)" if raw.isdigit() and len(raw) in (3, 4, 8) else ""
            return "", f"zip: {excerpt(raw)} is not a ZIP or ZIP+4{hint}"
        zip_code = match[1] + (f"-{match[2]}" if match[2] else "")
    if state == "PR" and not zip_code.startswith(PR_ZIP_PREFIXES):
        return zip_code, f"zip: {excerpt(raw)} is not a Puerto Rico ZIP (006-009)"
    return zip_code, ""


def _shape(row: Row) -> list[str]:
    if row.extra:
        return [f"row has {row.extra} more field(s) than the header"]
    if row.missing:
        return [f"row has {row.missing} fewer field(s) than the header"]
    return []


def _clean(value: str) -> str:
    """Surrounding and repeated white space removed; composed (NFC) Unicode.

    ``Zoe`` followed by a combining acute accent (U+0301) is the name ``Zoé``: composing
    it lets the letter print it rather than reject a character the font cannot show.
    """
    if not value.isascii():
        value = unicodedata.normalize("NFC", value)
    if not value or (value[0] != " " and value[-1] != " " and "  " not in value and "\t" not in value):
        return value
    return " ".join(value.split())


def year_of(raw: str) -> int | None:
    """A four-digit model year, None if ``raw`` is not one."""
    raw = raw.strip()
    # isascii: "²" is a digit to isdigit() but not to int().
    return int(raw) if len(raw) == 4 and raw.isascii() and raw.isdigit() else None


def parse_date(raw: str) -> date | None:
    """ISO (YYYY-MM-DD) or US (M/D/YYYY) date, None if neither."""
    raw = raw.strip()
    try:
        return date.fromisoformat(raw)
    except ValueError:
        pass
    match = _DATE_US.match(raw)
    if match:
        try:
            return datetime(int(match[3]), int(match[1]), int(match[2])).date()
        except ValueError:
            return None
    return None
