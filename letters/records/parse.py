"""Row validation: a CSV row becomes a typed record, or a list of its problems."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

from letters import vin as vins
from letters.campaign import Campaign
from letters.records.csvio import Row
from letters.records.model import Owner, Source, Vehicle

VEHICLE_COLUMNS = {
    "vin": "vin",
    "vehicle_identification_number": "vin",
    "model": "model",
    "model_name": "model",
    "model_year": "model_year",
    "my": "model_year",
    "year": "model_year",
    "production_date": "production_date",
    "prod_date": "production_date",
    "build_date": "production_date",
    "built": "production_date",
    "location": "location",
    "production_location": "location",
    "plant": "location",
    "production_plant": "location",
}
VEHICLE_REQUIRED = ("vin", "model", "model_year", "production_date", "location")

OWNER_COLUMNS = {
    "vin": "vin",
    "vehicle_identification_number": "vin",
    "name": "name",
    "owner": "name",
    "owner_name": "name",
    "name1": "name",
    "name_1": "name",
    "owner_name_1": "name",
    "name2": "name2",
    "name_2": "name2",
    "owner_name_2": "name2",
    "co_owner": "name2",
    "urbanization": "urbanization",
    "urb": "urbanization",
    "address": "address1",
    "address1": "address1",
    "address_1": "address1",
    "address_line_1": "address1",
    "street": "address1",
    "address2": "address2",
    "address_2": "address2",
    "address_line_2": "address2",
    "apt": "address2",
    "city": "city",
    "state": "state",
    "st": "state",
    "zip": "zip",
    "zip_code": "zip",
    "zipcode": "zip",
    "postal_code": "zip",
    "country": "country",
    "language": "language",
    "lang": "language",
    "email": "email",
    "e_mail": "email",
    "lessor": "lessor",
    "is_lessor": "lessor",
    "lessor_flag": "lessor",
}
OWNER_REQUIRED = ("vin", "name", "address1", "city", "state", "zip")

STATES = frozenset(
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH "
    "NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY "
    "PR VI GU AS MP FM MH PW AA AE AP".split()
)
"""USPS codes of states, DC, territories and military post offices."""
PR_ZIP_PREFIXES = ("006", "007", "008", "009")
DOMESTIC = frozenset({"", "US", "USA", "U S A", "UNITED STATES", "UNITED STATES OF AMERICA", "PR", "PUERTO RICO"})
LANGUAGES = {"en": "en", "english": "en", "es": "es", "spanish": "es", "espanol": "es", "español": "es"}
TRUE = frozenset({"y", "yes", "true", "1", "x", "t"})
FALSE = frozenset({"", "n", "no", "false", "0", "f"})

_ZIP = re.compile(r"^(\d{5})(?:-?(\d{4}))?$")
_DATE_US = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_MODEL_KEY = re.compile(r"[^A-Z0-9]")


def _model_key(model: str) -> str:
    return _MODEL_KEY.sub("", model.upper())


class RowParser:
    """Validates rows against one campaign; build once per run."""

    def __init__(self, campaign: Campaign) -> None:
        self.wmis = frozenset(campaign.vehicles.wmis)
        self.locations: dict[str, str] = {}
        for loc in campaign.vehicles.locations:
            for alias in (loc.name, *loc.aliases):
                self.locations[alias.upper()] = loc.name
        names = [row.model for row in campaign.chart.rows] + [m.model for m in campaign.models]
        self.models = {_model_key(name): name.upper() for name in names}

    def vehicle(self, row: Row, file: Path) -> Vehicle | list[str]:
        """A vehicle record, or the problems of the row (each naming field and value)."""
        problems = _shape(row)
        v = row.values
        raw_vin = v.get("vin", "")
        parsed = None
        try:
            parsed = vins.parse(raw_vin)
        except vins.VinError as exc:
            problems.append(f"vin: {exc}")
        if parsed is not None and parsed.wmi not in self.wmis:
            problems.append(f"vin: manufacturer code {parsed.wmi!r} is not one of this campaign's ({', '.join(sorted(self.wmis))})")
        model_raw = v.get("model", "").strip()
        model = self.models.get(_model_key(model_raw), model_raw.upper())
        if not model_raw:
            problems.append("model: empty")
        year_raw = v.get("model_year", "").strip()
        year = int(year_raw) if year_raw.isdigit() and len(year_raw) == 4 else None
        if year is None:
            problems.append(f"model_year: {year_raw!r} is not a four-digit year")
        elif parsed is not None and year not in parsed.model_year_candidates():
            problems.append(
                f"model_year: {year} does not match VIN position 10 {parsed.year_code!r} "
                f"(model year {' or '.join(str(y) for y in parsed.model_year_candidates())})"
            )
        built = parse_date(v.get("production_date", ""))
        if built is None:
            problems.append(f"production_date: {v.get('production_date', '')!r} is not a date (YYYY-MM-DD or M/D/YYYY)")
        loc_raw = v.get("location", "").strip()
        location = self.locations.get(loc_raw.upper())
        if location is None:
            problems.append(f"location: {loc_raw!r} is not a known production location")
        if problems or parsed is None or year is None or built is None or location is None:
            return problems
        return Vehicle(parsed.value, model, year, built, location, Source(str(file), row.line))

    def owner(self, row: Row, file: Path) -> Owner | list[str]:
        """An owner record, or the problems of the row."""
        problems = _shape(row)
        v = row.values
        raw_vin = v.get("vin", "")
        norm_vin = vins.normalise(raw_vin)
        try:
            vins.parse(raw_vin)
        except vins.VinError as exc:
            problems.append(f"vin: {exc}")
        names = tuple(n for n in (_clean(v.get("name", "")), _clean(v.get("name2", ""))) if n)
        if not _clean(v.get("name", "")):
            problems.append("name: empty")
        street = _clean(v.get("address1", ""))
        if not street:
            problems.append("address1: empty (no street address)")
        lines = [_clean(v.get("urbanization", "")), street, _clean(v.get("address2", ""))]
        city = _clean(v.get("city", ""))
        if not city:
            problems.append("city: empty")
        state = v.get("state", "").strip().upper()
        if not state:
            problems.append("state: empty")
        elif state not in STATES:
            problems.append(f"state: {state!r} is not a USPS state or territory code")
        zip_raw = v.get("zip", "").strip()
        match = _ZIP.match(zip_raw)
        zip_code = ""
        if not zip_raw:
            problems.append("zip: empty")
        elif match is None:
            hint = " (leading zero lost?)" if zip_raw.isdigit() and len(zip_raw) in (3, 4, 8) else ""
            problems.append(f"zip: {zip_raw!r} is not a ZIP or ZIP+4{hint}")
        else:
            zip_code = match[1] + (f"-{match[2]}" if match[2] else "")
            if state == "PR" and not zip_code.startswith(PR_ZIP_PREFIXES):
                problems.append(f"zip: {zip_raw!r} is not a Puerto Rico ZIP (006-009)")
        country = v.get("country", "").strip().upper().replace(".", "")
        if country not in DOMESTIC:
            problems.append(f"country: {v.get('country', '').strip()!r} is outside the United States")
        lang_raw = v.get("language", "").strip().lower()
        language = LANGUAGES.get(lang_raw, "") if lang_raw else ""
        if lang_raw and not language:
            problems.append(f"language: {v.get('language', '').strip()!r} is not available (en, es)")
        lessor_raw = v.get("lessor", "").strip().lower()
        if lessor_raw not in TRUE and lessor_raw not in FALSE:
            problems.append(f"lessor: {v.get('lessor', '').strip()!r} is not yes or no")
        if problems:
            return problems
        return Owner(
            vin=norm_vin,
            names=names,
            address=tuple(line for line in lines if line),
            city=city,
            state=state,
            zip=zip_code,
            language=language,
            email=v.get("email", "").strip(),
            lessor=lessor_raw in TRUE,
            source=Source(str(file), row.line),
        )


def _shape(row: Row) -> list[str]:
    if row.extra:
        return [f"row has {row.extra} more field(s) than the header"]
    if row.missing:
        return [f"row has {row.missing} fewer field(s) than the header"]
    return []


def _clean(value: str) -> str:
    return " ".join(value.split())


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
