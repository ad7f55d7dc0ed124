"""The owner and vehicle files' columns (with their accepted spellings), states and value vocabularies."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from letters.records.csvio import header_key

if TYPE_CHECKING:
    from letters.campaign import Campaign

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
    [
        "AL",
        "AK",
        "AZ",
        "AR",
        "CA",
        "CO",
        "CT",
        "DE",
        "DC",
        "FL",
        "GA",
        "HI",
        "ID",
        "IL",
        "IN",
        "IA",
        "KS",
        "KY",
        "LA",
        "ME",
        "MD",
        "MA",
        "MI",
        "MN",
        "MS",
        "MO",
        "MT",
        "NE",
        "NV",
        "NH",
        "NJ",
        "NM",
        "NY",
        "NC",
        "ND",
        "OH",
        "OK",
        "OR",
        "PA",
        "RI",
        "SC",
        "SD",
        "TN",
        "TX",
        "UT",
        "VT",
        "VA",
        "WA",
        "WV",
        "WI",
        "WY",
        "PR",
        "VI",
        "GU",
        "AS",
        "MP",
        "FM",
        "MH",
        "PW",
        "AA",
        "AE",
        "AP",
    ]
)
"""USPS codes of states, DC, territories and military post offices."""


PR_ZIP_PREFIXES = ("006", "007", "008", "009")


DOMESTIC = frozenset({"", "US", "USA", "U S A", "UNITED STATES", "UNITED STATES OF AMERICA", "PR", "PUERTO RICO"})


LANGUAGES = {"en": "en", "english": "en", "es": "es", "spanish": "es", "espanol": "es", "español": "es"}


TRUE = frozenset({"y", "yes", "true", "1", "x", "t"})


FALSE = frozenset({"", "n", "no", "false", "0", "f"})


def vehicle_aliases(campaign: Campaign) -> tuple[dict[str, str], tuple[str, ...]]:
    """(header key -> column name, the required columns) of the campaign's vehicle file.

    The built-in columns, then each declared column under its name and every alias.
    """
    aliases = dict(VEHICLE_COLUMNS)
    required = list(VEHICLE_REQUIRED)
    for name, column in campaign.vehicles.columns.items():
        for spelling in (name, *column.aliases):
            aliases[header_key(spelling)] = name
        if column.required:
            required.append(name)
    return aliases, tuple(required)


def undeclared(columns: list[str], aliases: Mapping[str, str], header: list[str]) -> list[str]:
    """Header names of the columns that are neither built in nor declared: the campaign ignores them."""
    known = set(aliases.values())
    return [raw.strip() for raw, column in zip(header, columns, strict=True) if column and column not in known]
