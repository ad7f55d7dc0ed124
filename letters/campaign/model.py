"""Typed, validated shape of a campaign file (templates/<CODE>/campaign.toml).

Pydantic does the validation because validating a user-edited file is the point here: it
reports every problem with its key path, which the loader turns into one error.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field, model_validator

from letters.campaign.base import CODE_PATTERN, Month, Strict
from letters.campaign.brands import Brand, default_brand
from letters.campaign.brands import problems_of as brand_problems
from letters.campaign.chart import Chart, ChartColumn, ChartPeriod, ChartRow, PhaseSpan
from letters.campaign.sections import DEFAULT_STAGES as DEFAULT_STAGES
from letters.campaign.sections import Contact as Contact
from letters.campaign.sections import Coverage as Coverage
from letters.campaign.sections import Covered as Covered
from letters.campaign.sections import Descriptor as Descriptor
from letters.campaign.sections import Distributor as Distributor
from letters.campaign.sections import EnvelopeText as EnvelopeText
from letters.campaign.sections import Kind as Kind
from letters.campaign.sections import Location as Location
from letters.campaign.sections import Mailing as Mailing
from letters.campaign.sections import ModelEntry as ModelEntry
from letters.campaign.sections import OpCode as OpCode
from letters.campaign.sections import Part as Part
from letters.campaign.sections import Phase as Phase
from letters.campaign.sections import Revision as Revision
from letters.campaign.sections import Stage as Stage
from letters.campaign.sections import Training as Training
from letters.campaign.sections import Update as Update
from letters.campaign.sections import Vehicles as Vehicles
from letters.campaign.values import Calculator, ValueError_, check_names

if TYPE_CHECKING:
    from letters.kinds import Words

__all__ = ["Chart", "ChartColumn", "ChartPeriod", "ChartRow", "Month", "PhaseSpan"]


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

    code: str = Field(pattern=f"^{CODE_PATTERN}$")
    """Campaign code, e.g. "23LJ01"."""
    brand: str
    """Brand name used in prose."""
    brands: list[Brand] = []
    """The brands letters speak with, chosen per VIN (none: one brand, ``brand`` and ``distributor``)."""
    brand_column: str = ""
    """A declared enum column whose value chooses the brand (empty: the VIN's WMI chooses)."""
    languages: list[str] = []
    """Languages the campaign's owner letters are written in (default: English plus every language
    of ``translations``); ``letters i18n check`` checks these, and owners asking for another get English."""
    original_topic: str = ""
    """The update cover's row for the original publication (a template); empty: none."""
    history: list[Update] = []
    """Dated topics before the original publication (e.g. superseded earlier programs), on the update cover."""
    envelope: EnvelopeText | None = None
    """The text printed on this campaign's envelopes, instead of its kind's."""
    words: dict[str, str] = {}
    """The kind's words (``templates/_kinds/<kind>.toml`` [words]) this campaign says otherwise, e.g.
    available = "remedy available"; keys: remedy, available, estimated, mailing."""
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

    template_names: ClassVar[tuple[str, ...]] = ("title", "stop_sale_models", "phase", "stage", "document",
                                                 "brand_list", "letter_languages", "nhtsa_for", "code_for")  # fmt: skip
    """Computed names templates may read (``letters.render.view``)."""

    @model_validator(mode="before")
    @classmethod
    def _kind_stage(cls, data: Any) -> Any:
        """A campaign without ``[[stages]]`` mails one letter per VIN, named as its kind names it."""
        if isinstance(data, dict) and "stages" not in data and isinstance(data.get("kind"), str):
            from letters.kinds import rules_of

            if data["kind"] in {k.value for k in Kind}:
                data = {**data, "stages": [{"name": rules_of(data["kind"]).default_stage, "when": "remedy-available"}]}
        return data

    @model_validator(mode="after")
    def _consistent(self) -> Campaign:
        problems: list[str] = []  # every cross-field problem, reported together
        numbers = [p.number for p in self.phases]
        if numbers != list(range(1, len(numbers) + 1)):
            problems.append(f"phases must be numbered 1, 2, 3... in order, got {numbers}")
        if self.coverage.by == "chart" and self.chart is None:
            problems.append("coverage.by is 'chart' but there is no [chart]; add one, or set coverage.by = 'vin-list'")
        if self.coverage.default_phase not in numbers:
            problems.append(f"coverage.default_phase {self.coverage.default_phase} is not a defined phase")
        names = {loc.name for loc in self.vehicles.locations}
        rows = self.chart.rows if self.chart else []
        located = [("models", i, m.location) for i, m in enumerate(self.models) if m.location]
        located += [("chart.rows", i, r.location) for i, r in enumerate(rows)]
        located += [("vehicles.descriptors", i, d.location) for i, d in enumerate(self.vehicles.descriptors)]
        for where, i, location in located:
            if location not in names:
                problems.append(f"{where}[{i}].location {location!r} is not one of vehicles.locations {sorted(names)}")
        for i, row in enumerate(rows):
            for span in row.phases:
                if span.phase not in numbers:
                    problems.append(f"chart.rows[{i}] names phase {span.phase}, which is not defined")
            for column in self.chart.columns if self.chart else []:
                if column.field not in (row.model_extra or {}):
                    problems.append(f"chart.rows[{i}] has no {column.field!r}, which chart.columns declares")
        documents = [d.name for d in self.documents]
        doubled = sorted({n for n in documents if documents.count(n) > 1})
        if doubled:
            problems.append(f"documents named twice: {', '.join(doubled)}")
        stage_names = [s.name for s in self.stages]
        if len(set(stage_names)) != len(stage_names) or not stage_names:
            problems.append(f"stages must be named once each, got {stage_names}")
        for i, stage in enumerate(self.stages):
            if stage.document not in documents:
                problems.append(f"stages[{i}].document {stage.document!r} is not one of documents {documents}")
            if stage.when == "after" and (stage.after not in stage_names[:i] or stage.days < 1):
                problems.append(f"stages[{i}] ({stage.name}) follows an earlier stage: give after = one of "
                                 f"{stage_names[:i]} and days >= 1")  # fmt: skip
        problems += check_names(self.vehicles.columns, self.vehicles.computed)
        problems += brand_problems(self.brands, self.brand_column, self.vehicles.wmis, self.vehicles.columns)
        if not problems:
            try:
                problems += Calculator(self.vehicles.computed, self.facts).trial(self.vehicles.columns)
            except ValueError_ as exc:
                problems.append(str(exc))
        for i, entry in enumerate(self.history):
            if entry.date >= self.published:
                problems.append(f"history[{i}].date {entry.date} is not before the original publication "
                                f"{self.published} (later changes are revisions/)")  # fmt: skip
        from letters.kinds import Words

        for key in sorted(set(self.words) - set(Words.model_fields)):
            problems.append(f"words.{key} is not one of the kind's words ({', '.join(Words.model_fields)})")
        for lang in self.languages:
            if lang != "en" and lang not in self.translations:
                problems.append(f"languages: {lang!r} has no [translations.{lang}]")
        if problems:
            raise ValueError("\n".join(problems))  # one per line: each is reported with its key path
        return self

    def spoken_words(self) -> Words:
        """The words shared parts and commands use for this campaign: its kind's, then its own ``words``."""
        from letters.kinds import rules_of

        return rules_of(str(self.kind)).words.model_copy(update=self.words)

    def nhtsa_for(self, phase: int | None) -> str:
        """The NHTSA recall number of ``phase``'s vehicles: the phase's own, else the campaign's."""
        found = next((p for p in self.phases if p.number == phase), None)
        return (found.nhtsa_number if found else "") or self.nhtsa_number

    def code_for(self, stage: str) -> str:
        """The code a stage's letters print: the stage's own, else the campaign's."""
        found = next((s for s in self.stages if s.name == stage), None)
        return (found.code if found else "") or self.code

    @property
    def brand_list(self) -> list[Brand]:
        """The campaign's brands: ``[[brands]]``, or the one made of ``brand`` and ``distributor``."""
        return list(self.brands) or [default_brand(self.brand, self.distributor)]

    @property
    def letter_languages(self) -> list[str]:
        """Languages owner letters are written in: ``languages``, or English and every translation."""
        return list(self.languages) or ["en", *(lang for lang in self.translations if lang != "en")]

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
