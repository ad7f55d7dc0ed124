"""Typed, validated shape of a campaign file (templates/<CODE>/campaign.toml).

Pydantic does the validation because validating a user-edited file is the point here: it
reports every problem with its key path, which the loader turns into one error.
"""

from __future__ import annotations

import datetime
import re
from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


def _parse_month(value: object) -> object:
    """Accept "YYYY-MM" and return the first day of that month."""
    if isinstance(value, str):
        match = _MONTH_RE.match(value.strip())
        if not match or not 1 <= int(match[2]) <= 12:
            raise ValueError(f"expected a month as YYYY-MM, got {value!r}")
        return date(int(match[1]), int(match[2]), 1)
    return value


Month = Annotated[date, BeforeValidator(_parse_month)]
"""A calendar month, written "YYYY-MM" in the file and held as its first day."""


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)


class Kind(StrEnum):
    """What sort of campaign this is; it decides wording such as "recall" or "program"."""

    SAFETY_RECALL = "safety-recall"
    CUSTOMER_SATISFACTION = "customer-satisfaction-program"
    SERVICE_CAMPAIGN = "service-campaign"


class Distributor(_Model):
    """The company that issues the campaign."""

    name: str
    """Legal name used in signatures."""
    office: str
    """Office name printed in letterheads."""
    street: str
    """Street address of the office."""
    city: str
    """City of the office."""
    state: str
    """Two-letter state code of the office."""
    zip: str
    """ZIP code of the office."""
    phone: str
    """Main phone number of the office."""


class Revision(_Model):
    """The revision of the package being rendered (set by the loader from the history)."""

    date: date
    """Date of the revision; also its ID."""
    approved_by: str = ""
    """Who approved it; empty while it is a draft."""
    approved_at: datetime.date | None = None
    """When it was approved."""


class Update(_Model):
    """One dated topic of the IMPORTANT UPDATE cover."""

    date: date
    """When the change was published."""
    topic: str
    """What changed (a template: it may quote campaign figures)."""


class Condition(_Model):
    """What is wrong with the vehicles, and the figures that describe it."""

    shortage_start: Month
    """Month single-key deliveries began, as the dealer letter and FAQ state it."""
    owner_letter_shortage_start: Month
    """The same month as the owner letter states it."""
    two_keys_resume: Month
    """Month all models are expected back to two keys."""
    pairing_minutes: int = Field(gt=0)
    """Minutes a dealer needs to pair a new key."""
    new_key_message_days: int = Field(gt=0)
    """Days the new-key display message may stay on."""
    still_single_key: list[str]
    """Models still being built with one key."""
    other_brand_models: list[str]
    """Other-brand models in the same program."""
    other_brand_years: str
    """Model years of those other-brand models, as text."""


class Covered(_Model):
    """Covered vehicle totals as stated by the campaign."""

    vehicles: int = Field(gt=0)
    """Approximate number of covered vehicles."""
    puerto_rico: int = Field(ge=0)
    """Approximate number of covered vehicles distributed to Puerto Rico."""


class ModelEntry(_Model):
    """One row of the covered-models table."""

    model: str
    """Model name, e.g. "NX"."""
    years: list[int] = Field(min_length=1)
    """Model years covered, ascending."""
    period: str
    """Production period as the documents word it."""
    volume: int = Field(gt=0)
    """Approximate number of vehicles."""
    key_type: Literal["15CY", "19CY"]
    """Smart Key type fitted to the model."""
    location: str
    """Production location (a name from vehicles.locations)."""
    build: Literal["CBU", "NAP"] | None = None
    """Printed after the model where two rows share it (CBU: built in Japan; NAP: North America)."""

    @property
    def label(self) -> str:
        """ "2023 - 2024 NX (CBU)" as the tables print it."""
        years = f"{self.years[0]}" if len(self.years) == 1 else f"{self.years[0]} - {self.years[-1]}"
        build = f" ({self.build})" if self.build else ""
        return f"{years} {self.model}{build}"


class Phase(_Model):
    """One phase of the phased launch."""

    number: int = Field(gt=0)
    """Phase number, from 1."""
    estimate: Month
    """Month the announcement is (or was) expected."""
    announced: date | None = None
    """Date the remedy became available; absent while only estimated."""
    vehicles: int | None = Field(default=None, gt=0)
    """Approximate vehicles in the phase; absent means TBD."""
    mailing: Month | None = None
    """Month of the owner letter mailing; absent until scheduled."""

    def available(self, as_of: date) -> bool:
        """Whether the remedy for this phase is available on ``as_of``."""
        return self.announced is not None and self.announced <= as_of


class OpCode(_Model):
    """A labour operation code dealers claim."""

    code: str
    """Op code."""
    description: str
    """What the operation is."""
    hours: float = Field(gt=0)
    """Flat rate hours, administrative time included."""
    admin_hours: float = Field(ge=0)
    """Part of ``hours`` paid for dealer administration."""


class Part(_Model):
    """A part used by the remedy."""

    number: str
    """Part number (may hold wildcards: the exact number depends on the VIN)."""
    description: str
    """Part description."""
    quantity: int = Field(gt=0)
    """Quantity per vehicle."""


class Training(_Model):
    """Training technicians must hold."""

    course: str
    """Course code."""
    title: str
    """Course title."""
    prerequisite: str
    """E-learning course every technician must complete first."""
    report_site: str
    """Where dealers check technician qualifications."""


class Contact(_Model):
    """A phone contact."""

    name: str
    """Person or centre name."""
    phone: str
    """Phone number as printed."""
    hours: str = ""
    """Opening hours, as printed."""
    department: str = ""
    """Department of a person."""


class DisclosureContact(_Model):
    """Where completed disclosure forms go."""

    email: str
    """Address copies are sent to."""
    subject: str
    """Subject line to use."""


class Contacts(_Model):
    """Every contact the documents print."""

    guest_experience: Contact
    """Centre dealers refer guests to."""
    brand_engagement: Contact
    """Centre the FAQ refers guests to."""
    media: Contact
    """The only contact for the media."""
    disclosure: DisclosureContact
    """Where disclosure forms are sent."""


class Links(_Model):
    """Web addresses printed in the documents."""

    recall: str
    """Recall information site."""
    contact: str
    """Contact options page."""
    update_info: str
    """Page where owners update ownership or contact details."""
    owners: str
    """Owner portal."""


class Procedures(_Model):
    """Names of dealer systems and bulletins the dealer letter cites."""

    claim_correction_bulletin: str
    """Warranty procedure bulletin for correcting claims."""
    parts_order_system: str
    """System used to request campaign parts."""
    allocation_control: str
    """Allocation scheme for scarce parts."""
    lookup_system: str
    """System dealers look VINs up in."""
    portal: str
    """Dealer portal holding technical instructions and part orders."""


class Location(_Model):
    """A production location and the names records may use for it."""

    name: str
    """Name used in the chart and models table."""
    build: Literal["CBU", "NAP"]
    """CBU (built in Japan) or NAP (North American production)."""
    aliases: list[str] = []
    """Other spellings and plant names found in vehicle records (case-insensitive)."""


class Vehicles(_Model):
    """How the campaign's vehicles are identified."""

    wmis: list[Annotated[str, Field(min_length=3, max_length=3)]] = Field(min_length=1)
    """World manufacturer identifiers (VIN positions 1-3) of covered vehicles."""
    locations: list[Location] = Field(min_length=1)
    """Production locations."""


class FaqItem(_Model):
    """One FAQ question."""

    id: str = Field(pattern=r"^Q\d+[a-z]?$")
    """Question number as printed, e.g. "Q2a"."""
    question: str
    """The question (a template)."""
    answer: str
    """The answer (a template)."""
    note: str = ""
    """Small print under the answer."""
    show: Literal["models", "phases", "chart"] | None = None
    """A table printed after the answer."""


class PhaseSpan(_Model):
    """A run of production months of one chart row that belong to one phase."""

    phase: int = Field(gt=0)
    """Phase number."""
    from_: Month = Field(alias="from")
    """First production month."""
    to: Month
    """Last production month."""

    @model_validator(mode="after")
    def _ordered(self) -> PhaseSpan:
        if self.to < self.from_:
            raise ValueError("'to' is before 'from'")
        return self


class ChartRow(_Model):
    """One row of the eligibility chart: a model built at one location with one key type."""

    model: str
    """Model name."""
    years: list[int] = Field(min_length=1)
    """Model years, ascending."""
    key_type: Literal["15CY", "19CY"]
    """Smart Key type."""
    location: str
    """Production location (a name from vehicles.locations)."""
    start: date
    """First production date with one Smart Key."""
    end: date | None = None
    """Last production date with one Smart Key; absent means ongoing."""
    volume: int | None = Field(default=None, gt=0)
    """Approximate vehicle volume; absent means TBD."""
    phases: list[PhaseSpan]
    """Production months by phase."""

    def phase_of(self, month: date) -> int | None:
        """Phase of vehicles built in ``month`` (any day of it), or None if not charted."""
        first = month.replace(day=1)
        for span in self.phases:
            if span.from_ <= first <= span.to:
                return span.phase
        return None

    @property
    def years_label(self) -> str:
        """ "23MY - 24MY" as the chart prints it."""
        short = [f"{y % 100:02d}MY" for y in (self.years[0], self.years[-1])]
        return short[0] if len(self.years) == 1 else f"{short[0]} - {short[1]}"


class Chart(_Model):
    """The phase timing and vehicle eligibility chart."""

    updated: date
    """Date printed in the chart heading."""
    first_month: Month
    """First production month shown."""
    last_month: Month
    """Last production month shown."""
    example: str
    """Worked example printed under the chart."""
    assumptions: list[str]
    """How the chart was reconstructed (its source colours were lost)."""
    rows: list[ChartRow] = Field(min_length=1)
    """Chart rows, in print order."""

    def months(self) -> list[date]:
        """Every month the chart shows, in order."""
        out, month = [], self.first_month
        while month <= self.last_month:
            out.append(month)
            month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
        return out


class Campaign(_Model):
    """A campaign: everything its documents state."""

    code: str = Field(pattern=r"^[0-9A-Z]{4,10}$")
    """Campaign code, e.g. "23LJ01"."""
    brand: str
    """Brand name used in prose."""
    program: str
    """Program name, e.g. "Second Key Delivery Program"."""
    subtitle: str
    """Subtitle printed under the title."""
    kind: Kind
    """Safety recall, customer-satisfaction program or service campaign."""
    published: date
    """Original publication date of the dealer letter."""
    faq_published: date
    """Publication date printed on the FAQ."""
    audience: str
    """Who the dealer letter is addressed to."""
    distributor: Distributor
    """Issuing company."""
    revision: Revision
    """The revision being rendered (computed from the history)."""
    updates: list[Update] = []
    """Dated topics of the IMPORTANT UPDATE cover, oldest first (computed from the history)."""
    condition: Condition
    """The condition and its figures."""
    reason: str
    """Why the campaign exists (a template)."""
    remedy: str
    """What dealers do about it (a template)."""
    remedy_supply: str
    """Part supply statement (a template)."""
    key_types: dict[Literal["15CY", "19CY"], str]
    """How the documents name each Smart Key type."""
    covered: Covered
    """Covered totals."""
    models: list[ModelEntry] = Field(min_length=1)
    """Covered models table."""
    phases: list[Phase] = Field(min_length=1)
    """Phases in order."""
    op_codes: list[OpCode] = Field(min_length=1)
    """Op codes."""
    parts: list[Part] = Field(min_length=1)
    """Parts."""
    training: Training
    """Technician training."""
    contacts: Contacts
    """Contacts."""
    links: Links
    """Web addresses."""
    procedures: Procedures
    """Dealer systems and bulletins."""
    vehicles: Vehicles
    """VIN and location identification."""
    faq: list[FaqItem] = Field(min_length=1)
    """FAQ questions in order."""
    chart: Chart
    """Eligibility chart."""
    translations: dict[str, dict[str, Any]] = {}
    """Owner-facing prose per language code, merged over the English values when rendering in it."""

    @model_validator(mode="after")
    def _consistent(self) -> Campaign:
        numbers = [p.number for p in self.phases]
        if numbers != list(range(1, len(numbers) + 1)):
            raise ValueError(f"phases must be numbered 1, 2, 3... in order, got {numbers}")
        names = {loc.name for loc in self.vehicles.locations}
        located = [("models", i, m.location) for i, m in enumerate(self.models)]
        located += [("chart.rows", i, r.location) for i, r in enumerate(self.chart.rows)]
        for where, i, location in located:
            if location not in names:
                raise ValueError(f"{where}[{i}].location {location!r} is not one of vehicles.locations {sorted(names)}")
        for i, row in enumerate(self.chart.rows):
            for span in row.phases:
                if span.phase not in numbers:
                    raise ValueError(f"chart.rows[{i}] names phase {span.phase}, which is not defined")
        return self

    def phase(self, number: int) -> Phase:
        """The phase numbered ``number``."""
        for phase in self.phases:
            if phase.number == number:
                return phase
        raise KeyError(number)

    @property
    def title(self) -> str:
        """ "SECOND KEY DELIVERY PROGRAM 23LJ01" as headings print it."""
        return f"{self.program} {self.code}".upper()
