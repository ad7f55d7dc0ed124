"""Typed, validated shape of a campaign file (templates/<CODE>/campaign.toml).

Pydantic does the validation because validating a user-edited file is the point here: it
reports every problem with its key path, which the loader turns into one error.
"""

from __future__ import annotations

import datetime
from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from letters.campaign.base import Month, Open, Strict
from letters.campaign.chart import Chart, ChartColumn, ChartPeriod, ChartRow, PhaseSpan

__all__ = ["Chart", "ChartColumn", "ChartPeriod", "ChartRow", "Month", "PhaseSpan"]


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
    """Date of the revision; also its ID."""
    approved_by: str = ""
    """Who approved it; empty while it is a draft."""
    approved_at: datetime.date | None = None
    """When it was approved."""


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


DEFAULT_STAGES = (Stage(name="remedy", when="remedy-available"),)
"""A campaign that declares no stages mails one letter per VIN once its phase's remedy is available."""


class DocumentEntry(Strict):
    """One document the campaign produces."""

    name: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    """Command-line name, e.g. "dealer-letter"."""
    title: str
    """Title for bookmarks, footers and metadata."""
    template: str = ""
    """Template file in the campaign folder (default: NAME.html)."""
    audience: Literal["dealer", "owner", "envelope", "internal"]
    """Who reads it: owner-facing documents are translated; dealer ones stay English."""
    notice: bool = False
    """Part of the dealer notice package (in the order listed)."""


class FaqItem(Strict):
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


class Campaign(Strict):
    """A campaign: everything its documents state.

    What every campaign has is typed here; what only one campaign says lives in ``facts``,
    a free table its templates quote.
    """

    code: str = Field(pattern=r"^[0-9A-Z]{4,10}$")
    """Campaign code, e.g. "23LJ01"."""
    brand: str
    """Brand name used in prose."""
    brands: list[str] = []
    """Every brand the campaign covers, when more than ``brand``."""
    program: str
    """Program name, e.g. "Second Key Delivery Program"."""
    subtitle: str = ""
    """Subtitle printed under the title."""
    kind: Kind
    """Safety recall, emissions recall, customer-satisfaction program, warranty extension..."""
    published: date
    """Original publication date of the dealer letter."""
    faq_published: date | None = None
    """Publication date printed on the FAQ, when it has one of its own."""
    audience: str = ""
    """Who the dealer letter is addressed to."""
    distributor: Distributor
    """Issuing company."""
    reconstruction: str = ""
    """A note printed at the top of each document of a revision rebuilt from later material (a
    reviewer must not mistake it for the package as published)."""
    nhtsa_number: str = ""
    """NHTSA recall number (safety and emissions recalls), e.g. "24V-117"."""
    revision: Revision
    """The revision being rendered (computed from the history)."""
    updates: list[Update] = []
    """Dated topics of the IMPORTANT UPDATE cover, oldest first (computed from the history)."""
    facts: dict[str, Any] = {}
    """What only this campaign states (dates, figures, names): quoted by its templates as facts.NAME."""
    reason: str
    """Why the campaign exists (a template)."""
    remedy: str
    """What dealers do about it (a template)."""
    remedy_supply: str = ""
    """Part supply statement (a template)."""
    covered: Covered
    """Covered totals."""
    coverage: Coverage = Coverage()
    """How coverage is decided: the chart's rules, or a covered-VIN list."""
    models: list[ModelEntry] = Field(min_length=1)
    """Covered models table."""
    phases: list[Phase] = Field(min_length=1)
    """Phases in order."""
    op_codes: list[OpCode] = []
    """Labour operation codes, where the kind has them."""
    parts: list[Part] = []
    """Parts, where the remedy uses them."""
    training: Training | None = None
    """Technician training, when required."""
    contacts: dict[str, Contact] = {}
    """Contacts by name, e.g. contacts.guest_experience.phone."""
    links: dict[str, str] = {}
    """Web addresses by name."""
    procedures: dict[str, str] = {}
    """Dealer systems and bulletins the dealer letter cites, by name."""
    vehicles: Vehicles
    """VIN and location identification."""
    documents: list[DocumentEntry] = Field(min_length=1)
    """The campaign's documents; those with notice = true make the dealer notice, in order."""
    mailing: Mailing | None = None
    """Mailer ID and service type for the Intelligent Mail barcode (required to mail)."""
    stages: list[Stage] = list(DEFAULT_STAGES)
    """Owner-letter stages, in mailing order (default: one remedy letter per VIN)."""
    faq: list[FaqItem] = []
    """FAQ questions in order."""
    chart: Chart | None = None
    """Eligibility chart (required when coverage is by chart)."""
    translations: dict[str, dict[str, Any]] = {}
    """Owner-facing prose per language code, merged over the English values when rendering in it."""

    @model_validator(mode="after")
    def _consistent(self) -> Campaign:
        numbers = [p.number for p in self.phases]
        if numbers != list(range(1, len(numbers) + 1)):
            raise ValueError(f"phases must be numbered 1, 2, 3... in order, got {numbers}")
        if self.coverage.by == "chart" and self.chart is None:
            raise ValueError("coverage.by is 'chart' but there is no [chart]; add one, or set coverage.by = 'vin-list'")
        if self.coverage.default_phase not in numbers:
            raise ValueError(f"coverage.default_phase {self.coverage.default_phase} is not a defined phase")
        names = {loc.name for loc in self.vehicles.locations}
        rows = self.chart.rows if self.chart else []
        located = [("models", i, m.location) for i, m in enumerate(self.models) if m.location]
        located += [("chart.rows", i, r.location) for i, r in enumerate(rows)]
        located += [("vehicles.descriptors", i, d.location) for i, d in enumerate(self.vehicles.descriptors)]
        for where, i, location in located:
            if location not in names:
                raise ValueError(f"{where}[{i}].location {location!r} is not one of vehicles.locations {sorted(names)}")
        for i, row in enumerate(rows):
            for span in row.phases:
                if span.phase not in numbers:
                    raise ValueError(f"chart.rows[{i}] names phase {span.phase}, which is not defined")
            for column in self.chart.columns if self.chart else []:
                if column.field not in (row.model_extra or {}):
                    raise ValueError(f"chart.rows[{i}] has no {column.field!r}, which chart.columns declares")
        documents = [d.name for d in self.documents]
        doubled = sorted({n for n in documents if documents.count(n) > 1})
        if doubled:
            raise ValueError(f"documents named twice: {', '.join(doubled)}")
        stage_names = [s.name for s in self.stages]
        if len(set(stage_names)) != len(stage_names) or not stage_names:
            raise ValueError(f"stages must be named once each, got {stage_names}")
        for i, stage in enumerate(self.stages):
            if stage.document not in documents:
                raise ValueError(f"stages[{i}].document {stage.document!r} is not one of documents {documents}")
            if stage.when == "after" and (stage.after not in stage_names[:i] or stage.days < 1):
                raise ValueError(f"stages[{i}] ({stage.name}) follows an earlier stage: give after = one of "
                                 f"{stage_names[:i]} and days >= 1")  # fmt: skip
        return self

    def stage(self, name: str) -> Stage:
        """The stage called ``name``."""
        for stage in self.stages:
            if stage.name == name:
                return stage
        raise KeyError(name)

    def document(self, name: str) -> DocumentEntry | None:
        """The document called ``name``, if the campaign has one."""
        return next((d for d in self.documents if d.name == name), None)

    @property
    def stop_sale_models(self) -> list[ModelEntry]:
        """Models dealers must not sell or deliver until repaired."""
        return [m for m in self.models if m.stop_sale]

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
