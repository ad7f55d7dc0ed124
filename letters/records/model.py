"""Typed records: what a vehicle row and an owner row become once validated."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True, slots=True)
class Source:
    """Where a record came from."""

    file: str
    """Input file path as given."""
    line: int
    """Line number in that file."""

    def __str__(self) -> str:
        return f"{self.file}, line {self.line}"


@dataclass(frozen=True, slots=True)
class Vehicle:
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
    source: Source = field(compare=False)
    """Where the record was read."""


@dataclass(frozen=True, slots=True)
class Owner:
    """A validated owner record, address ready for the envelope window."""

    vin: str
    """VIN the owner is registered for."""
    names: tuple[str, ...]
    """Owner name lines (one or two)."""
    address: tuple[str, ...]
    """Delivery lines above the last line: urbanization, street, apartment."""
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
    source: Source = field(default=Source("", 0), compare=False)
    """Where the record was read."""

    @property
    def puerto_rico(self) -> bool:
        """Puerto Rico address: the Spanish letter applies."""
        return self.state == "PR"

    @property
    def last_line(self) -> str:
        """City, state and ZIP line in USPS form (no punctuation but the ZIP+4 hyphen)."""
        return f"{self.city} {self.state} {self.zip}"

    def envelope_lines(self) -> tuple[str, ...]:
        """Every line of the address block, top to bottom."""
        return (*self.names, *self.address, self.last_line)


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
