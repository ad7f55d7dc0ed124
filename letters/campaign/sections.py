"""The sections of a campaign file: distributor, phases, vehicles, coverage, mailing, stages (pydantic)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, ClassVar, Literal

from pydantic import Field

from letters.campaign.base import Month, Open, Strict
from letters.campaign.values import Column, Computed


class Kind(StrEnum):
    """What sort of campaign this is; it decides wording such as "recall" or "program"."""

    SAFETY_RECALL = "safety-recall"
    EMISSIONS_RECALL = "emissions-recall"
    CUSTOMER_SATISFACTION = "customer-satisfaction-program"
    WARRANTY_EXTENSION = "warranty-extension"
    SERVICE_CAMPAIGN = "service-campaign"


class Distributor(Strict):
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


class Revision(Strict):
    """The revision of the package being rendered (set by the loader from the history)."""

    date: date
    """Date of the revision; also its ID. Where it stands in review is ``letters.review.status``."""


class Update(Strict):
    """One dated topic of the IMPORTANT UPDATE cover."""

    date: date
    """When the change was published."""
    topic: str
    """What changed (a template: it may quote campaign figures)."""


class Covered(Strict):
    """Covered vehicle totals as stated by the campaign."""

    vehicles: int = Field(gt=0)
    """Approximate number of covered vehicles."""
    puerto_rico: int | None = Field(default=None, ge=0)
    """Approximate number of covered vehicles distributed to Puerto Rico, when stated."""


class ModelEntry(Open):
    """One row of the covered-models table; extra keys are the campaign's own columns."""

    model: str
    """Model name, e.g. "NX"."""
    years: list[int] = Field(min_length=1)
    """Model years covered, ascending."""
    period: str = ""
    """Production period as the documents word it."""
    volume: int = Field(gt=0)
    """Approximate number of vehicles."""
    location: str = ""
    """Production location (a name from vehicles.locations); empty when it does not matter."""
    tag: str = ""
    """Printed in parentheses after the model where two rows would read alike, e.g. a plant code."""
    stop_sale: bool = False
    """Dealers must not sell or deliver these vehicles until repaired (drives the notice's banner)."""

    template_names: ClassVar[tuple[str, ...]] = ("label",)
    """Computed names templates may read (``letters.render.view``)."""

    @property
    def label(self) -> str:
        """ "2023 - 2024 NX (JP)" as the tables print it."""
        years = f"{self.years[0]}" if len(self.years) == 1 else f"{self.years[0]} - {self.years[-1]}"
        tag = f" ({self.tag})" if self.tag else ""
        return f"{years} {self.model}{tag}"


class Phase(Strict):
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
    nhtsa_number: str = ""
    """The NHTSA recall number this phase's vehicles are under, when not the campaign's (vehicles added
    later under a second recall number); empty: the campaign's ``nhtsa_number``."""

    template_names: ClassVar[tuple[str, ...]] = ("available",)
    """Computed names templates may read (``letters.render.view``)."""

    def available(self, as_of: date) -> bool:
        """Whether the remedy for this phase is available on ``as_of``."""
        return self.announced is not None and self.announced <= as_of


class OpCode(Strict):
    """A labour operation code dealers claim."""

    code: str
    """Op code."""
    description: str
    """What the operation is."""
    hours: float = Field(gt=0)
    """Flat rate hours, administrative time included."""
    admin_hours: float = Field(ge=0)
    """Part of ``hours`` paid for dealer administration."""


class Part(Strict):
    """A part used by the remedy."""

    number: str
    """Part number (may hold wildcards: the exact number depends on the VIN)."""
    description: str
    """Part description."""
    quantity: int = Field(gt=0)
    """Quantity per vehicle."""


class Training(Open):
    """Training technicians must hold."""

    course: str
    """Course code."""
    title: str
    """Course title."""
    prerequisite: str
    """E-learning course every technician must complete first."""
    report_site: str
    """Where dealers check technician qualifications."""


class Contact(Strict):
    """A named contact: a centre, a person, or a mailbox."""

    name: str = ""
    """Person or centre name."""
    phone: str = ""
    """Phone number as printed."""
    hours: str = ""
    """Opening hours, as printed."""
    department: str = ""
    """Department of a person."""
    email: str = ""
    """E-mail address."""
    subject: str = ""
    """Subject line to use when writing to ``email``."""
    tty: str = ""
    """Text telephone number."""
    url: str = ""
    """Web address."""


class Location(Strict):
    """A production location and the names records may use for it."""

    name: str
    """Name used in the chart and models table."""
    tag: str = ""
    """Short code the documents print for it, e.g. a plant code."""
    aliases: list[str] = []
    """Other spellings and plant names found in vehicle records (case-insensitive)."""


class Descriptor(Strict):
    """How the VINs of one model built at one location begin (sample data is made from these)."""

    model: str
    """Model name."""
    location: str
    """Production location (a name from vehicles.locations)."""
    wmi: str = Field(pattern=r"^[A-HJ-NPR-Z0-9]{3}$")
    """World manufacturer identifier, VIN positions 1-3."""
    vds: str = Field(pattern=r"^[A-HJ-NPR-Z0-9]{5}$")
    """Vehicle descriptor section, VIN positions 4-8."""
    plant: str = Field(pattern=r"^[A-HJ-NPR-Z0-9]$")
    """Plant code, VIN position 11."""


class Vehicles(Strict):
    """How the campaign's vehicles are identified."""

    wmis: list[Annotated[str, Field(min_length=3, max_length=3)]] = Field(min_length=1)
    """World manufacturer identifiers (VIN positions 1-3) of covered vehicles."""
    locations: list[Location] = Field(min_length=1)
    """Production locations."""
    descriptors: list[Descriptor] = []
    """VIN beginnings per model and location, for ``letters sample-data``."""
    columns: dict[str, Column] = {}
    """The vehicle file's own columns beyond the built-in five, by name (``letter.vehicle.NAME``)."""
    computed: dict[str, Computed] = {}
    """Values computed per vehicle by sandboxed expressions, by name, in order (``letter.vehicle.NAME``)."""


class EnvelopeText(Strict):
    """Text printed above the envelope's recipient window."""

    text: str
    """The heading, e.g. "IMPORTANT WARRANTY INFORMATION"."""
    line: str = ""
    """A smaller line beneath it."""


class Coverage(Strict):
    """How a vehicle is known to be covered."""

    by: Literal["chart", "vin-list"] = "chart"
    """"chart": the eligibility chart's rules (model, location, years, production window);
    "vin-list": the manufacturer's list of covered VINs."""
    file: str = "covered-vins.csv"
    """The VIN list, a CSV in the campaign folder with a VIN column and an optional phase column."""
    default_phase: int = Field(default=1, gt=0)
    """Phase of a listed VIN whose row gives none."""


class Mailing(Strict):
    """The sender's mailing settings: what the Intelligent Mail barcode on each piece encodes."""

    mailer_id: str = Field(pattern=r"^([0-8]\d{5}|9\d{8})$")
    """USPS Mailer ID: 6 digits (0-8...) or 9 digits (9...)."""
    service_type: str = Field(default="300", pattern=r"^\d{3}$")
    """Service Type ID from the USPS STID table (class of mail, address correction, tracking)."""
    barcode_id: str = Field(default="00", pattern=r"^\d[0-4]$")
    """Barcode ID ("00" for letters without an optional endorsement line)."""
    test: bool = False
    """The Mailer ID is a test one: job.json says so, so nobody mails it for real by accident."""


class Stage(Strict):
    """One owner-letter stage: which letter goes to a VIN, and when.

    A safety recall mails an interim notice while its remedy is not available, the remedy
    notice once it is, and follow-ups to owners who have not had the repair. One piece goes
    to each VIN per stage.
    """

    name: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    """Stage name, e.g. "interim", "remedy", "follow-up" (``letters mail --stage``)."""
    document: str = "owner-letter"
    """Document printed for each owner (a name from ``documents``)."""
    when: Literal["remedy-unavailable", "remedy-available", "after"]
    """remedy-unavailable: while the phase's remedy is not available; remedy-available: once it
    is; after: ``days`` after a letter of stage ``after`` to a VIN that is still not repaired."""
    after: str = ""
    """The earlier stage a follow-up counts from (``when = "after"``)."""
    days: int = Field(default=0, ge=0)
    """Days after the earlier letter (``when = "after"``)."""
    code: str = Field(default="", pattern=r"^([0-9A-Z]{4,10})?$")
    """The stage's own campaign code (e.g. an interim notice's), printed on its letters, in their
    piece IDs and the run's job ticket; empty: the campaign's ``code``."""


DEFAULT_STAGES = (Stage(name="remedy", when="remedy-available"),)
"""A campaign that declares no stages mails one letter per VIN once its phase's remedy is available."""
