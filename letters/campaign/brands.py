"""Brands: the identity each owner's letter speaks with, chosen per VIN.

A campaign covering more than one brand lists them as ``[[brands]]``; each vehicle's brand
is the one whose ``wmis`` hold its VIN's first three characters, or, when the campaign sets
``brand_column``, the one whose ``values`` hold that declared column's value. A campaign
without ``[[brands]]`` has one brand made of ``brand`` and ``[distributor]``.

Templates see the letter's brand as ``letter.brand`` (plain read-only data: ``display``,
``office``, ``street``, ``city``, ``state``, ``zip``, ``phone``, ``website``,
``signature``, ``logo``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType, SimpleNamespace
from typing import Annotated, Any, Protocol

from pydantic import Field

from letters.campaign.base import Strict


class Brand(Strict):
    """One brand of the campaign and what its letters print."""

    name: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    """Short name (lookup, the manifest's ``brand`` column), e.g. "halden"."""
    display: str
    """Name as letters print it, e.g. "Halden"."""
    office: str
    """First line of the return address (the brand's customer office)."""
    street: str
    """Street of the return address."""
    city: str
    """City of the return address."""
    state: str
    """Two-letter state code of the return address."""
    zip: str
    """ZIP code of the return address."""
    phone: str
    """The phone number owners call."""
    website: str = ""
    """The web address owners visit."""
    signature: str = ""
    """Signature block of the letters, one line per line (default: the distributor's name)."""
    logo: str = ""
    """A logo file in the campaign folder, printed above the return address; empty: none."""
    wmis: list[Annotated[str, Field(pattern=r"^[A-HJ-NPR-Z0-9]{3}$")]] = []
    """World manufacturer identifiers (VIN positions 1-3) of this brand's vehicles."""
    values: list[str] = []
    """Values of ``brand_column`` that mean this brand (matched ignoring case)."""


def default_brand(display: str, distributor: Any) -> Brand:
    """The one brand of a campaign without ``[[brands]]``: its ``brand`` and distributor."""
    slug = re.sub(r"[^a-z0-9]+", "-", display.lower()).strip("-") or "brand"
    if not slug[0].isalpha():
        slug = f"b-{slug}"
    return Brand(name=slug, display=display, office=distributor.office, street=distributor.street,
                 city=distributor.city, state=distributor.state, zip=distributor.zip, phone=distributor.phone,
                 signature=distributor.name)  # fmt: skip


def choose(brands: Sequence[Brand], vin: str, column: str, values: Mapping[str, Any]) -> Brand:
    """The brand of one vehicle (the first brand when nothing decides, e.g. a sample letter)."""
    if len(brands) > 1:
        if column:
            value = str(values.get(column) or "").lower()
            for brand in brands:
                if value in (v.lower() for v in brand.values):
                    return brand
        else:
            for brand in brands:
                if vin[:3] in brand.wmis:
                    return brand
    return brands[0]


class Claims(Protocol):
    """What a brand claims: its name, the WMIs and the ``brand_column`` values that choose it."""

    @property
    def name(self) -> str: ...
    @property
    def wmis(self) -> Sequence[str]: ...
    @property
    def values(self) -> Sequence[str]: ...


@dataclass(frozen=True)
class Claim:
    """A brand's claims as the campaign file states them, before the brand itself validates."""

    name: str
    """The brand's ``name``."""
    wmis: list[str]
    """Its ``wmis``."""
    values: list[str]
    """Its ``values``."""


def problems_of(brands: Sequence[Claims], column: str, wmis: Sequence[str], columns: Mapping[str, Any]) -> list[str]:
    """What makes the choice of brand undecidable: a WMI or column value no brand (or two) claims."""
    if len(brands) < 2:
        return [] if not column else ["brand_column: a campaign with one brand chooses none"]
    out = []
    names = [b.name for b in brands]
    for name in sorted({n for n in names if names.count(n) > 1}):
        out.append(f"brands: {name!r} is named twice")
    if column:
        declared = columns.get(column)
        if declared is None or declared.type != "enum":
            return [*out, f"brand_column: {column!r} is not a declared enum column (vehicles.columns)"]
        for value in declared.values:
            owners = [b.name for b in brands if value.lower() in (v.lower() for v in b.values)]
            if len(owners) != 1:
                out.append(f"brands: column {column} value {value!r} belongs to {len(owners)} brands "
                           f"({', '.join(owners) or 'none'}); give it to exactly one")  # fmt: skip
        return out
    for wmi in wmis:
        owners = [b.name for b in brands if wmi in b.wmis]
        if len(owners) != 1:
            out.append(f"brands: WMI {wmi} (vehicles.wmis) belongs to {len(owners)} brands "
                       f"({', '.join(owners) or 'none'}); give it to exactly one")  # fmt: skip
    return out


def raw_problems(data: Mapping[str, Any]) -> list[str]:
    """``problems_of`` the campaign file as read, for when a field failed so the campaign's own check never ran.

    A misspelled key in one brand must not hide a WMI two brands claim until it is fixed.
    Values of the wrong type take no part: their fields' own errors say so.
    """

    def strings(value: Any) -> list[str]:
        return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []

    def table(value: Any) -> Mapping[str, Any]:
        return value if isinstance(value, Mapping) else {}

    listed = data.get("brands")
    brands = [Claim(str(b.get("name", "")), strings(b.get("wmis")), strings(b.get("values")))
              for b in (listed if isinstance(listed, list) else []) if isinstance(b, Mapping)]  # fmt: skip
    vehicles = table(data.get("vehicles"))
    columns = {name: SimpleNamespace(type=table(c).get("type"), values=strings(table(c).get("values")))
               for name, c in table(vehicles.get("columns")).items()}  # fmt: skip
    column = data.get("brand_column", "")
    return problems_of(brands, column if isinstance(column, str) else "", strings(vehicles.get("wmis")), columns)


def as_data(brand: Brand, fallback_signature: str) -> Mapping[str, Any]:
    """The brand as templates see it: plain read-only data."""
    data = brand.model_dump(exclude={"wmis", "values"})
    data["signature"] = brand.signature or fallback_signature
    data["signature_lines"] = tuple(line for line in data["signature"].splitlines() if line.strip())
    return MappingProxyType(data)
