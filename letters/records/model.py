"""Typed records: what a vehicle row and an owner row become once validated.

Records are immutable named tuples rather than frozen dataclasses: a campaign has
hundreds of thousands of them, and a frozen dataclass costs several times as much to
build. ``same_as`` compares the data without the source location.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from letters.address import Standardiser
    from letters.campaign import Campaign


class Source(NamedTuple):
    """Where a record came from."""

    file: str
    """Input file path as given."""
    line: int
    """Line number in that file."""

    def __str__(self) -> str:
        return f"{self.file}, line {self.line}"


class Vehicle(NamedTuple):
    """A validated vehicle record."""

    vin: str
    """Normalised VIN."""
    model: str
    """Model name as the campaign spells it (upper case)."""
    model_year: int
    """Model year."""
    production_date: date
    """Production date."""
    location: str
    """Production location, a campaign location name."""
    source: Source
    """Where the record was read."""
    values: tuple[tuple[str, Any], ...] = ()
    """The campaign's declared columns, then its computed values, as (name, value) in declared order."""

    def same_as(self, other: Vehicle) -> bool:
        """Same data, wherever each was read."""
        return self[:5] == other[:5] and self.values == other.values

    def fields(self) -> dict[str, Any]:
        """Every field by name: the built-in five, then the declared and computed values."""
        return {"vin": self.vin, "model": self.model, "model_year": self.model_year,
                "production_date": self.production_date, "location": self.location, **dict(self.values)}  # fmt: skip


class Owner(NamedTuple):
    """A validated owner record, address ready for the envelope window."""

    vin: str
    """VIN the owner is registered for."""
    names: tuple[str, ...]
    """Owner name lines (one or two)."""
    address: tuple[str, str, str]
    """Delivery fields as given: (urbanization, street, secondary unit), "" when absent."""
    city: str
    """City."""
    state: str
    """Two-letter state or territory code."""
    zip: str
    """ZIP or ZIP+4 (with hyphen)."""
    language: str = ""
    """Requested language code, empty when not given."""
    email: str = ""
    """E-mail address, when given."""
    lessor: bool = False
    """True when the registered owner leases the vehicle to someone else."""
    source: Source = Source("", 0)
    """Where the record was read."""

    def same_as(self, other: Owner) -> bool:
        """Same data, wherever each was read."""
        return self[:-1] == other[:-1]

    @property
    def puerto_rico(self) -> bool:
        """Puerto Rico address: the Spanish letter applies."""
        return self.state == "PR"

    @property
    def last_line(self) -> str:
        """City, state and ZIP line in USPS form (no punctuation but the ZIP+4 hyphen)."""
        return f"{self.city} {self.state} {self.zip}"

    def envelope_lines(self, standard: Standardiser | None = None) -> tuple[str, ...]:
        """Every line of the address block, top to bottom, as the envelope window prints it (USPS form)."""
        from letters.address import address_block

        return address_block(self.names, self.address, self.city, self.state, self.zip, standard)


@dataclass(frozen=True, slots=True)
class Rejection:
    """A record that will not be mailed, and why."""

    source: Source
    """Where the record was read."""
    kind: str
    """"vehicle" or "owner"."""
    vin: str
    """The VIN as given (may be invalid)."""
    outcome: str
    """Outcome name the record is counted under."""
    reason: str
    """Why, naming the field and value."""


class Piece(NamedTuple):
    """One future letter: a covered vehicle and the owner it goes to."""

    vehicle: Vehicle
    """The covered vehicle."""
    owner: Owner
    """Addressee (co-owner names merged in)."""
    owner_sources: tuple[Source, ...]
    """Owner rows that make up the letter: the addressee's, then co-owners'."""
    phase: int
    """Phase of the vehicle."""
    available: bool
    """Remedy available as of the reconciliation date."""


def outcome_names(campaign: Campaign) -> list[str]:
    """Every outcome a record can end in, in report order."""
    phases = [p.number for p in campaign.phases]
    return [
        *(f"mailable_phase_{n}" for n in phases),
        *(f"pending_phase_{n}" for n in phases),
        "repaired",
        "not_covered",
        "no_owner",
        "rejected_vehicle",
        "duplicate_vehicle",
        "conflicting_vehicle",
        "addressee",
        "co_owner",
        "other_owner",
        "duplicate_owner",
        "rejected_owner",
        "owner_without_vehicle",
        "owner_not_mailed",
    ]
