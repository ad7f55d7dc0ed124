"""The campaign's documents: what each one is, its context, and the notice package.

A document is one template in the campaign folder rendered with the campaign as context.
The notice package is every dealer-facing document plus a sample owner letter, laid out
separately (each keeps its own "page n of N") and written as one PDF with a bookmark per
document.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar
from xml.etree.ElementTree import Element

import weasyprint
from markupsafe import Markup

from letters.campaign import Campaign, LoadedCampaign
from letters.campaign.model import Campaign as CampaignModel
from letters.campaign.model import Update
from letters.campaign.values import VehicleView, with_names
from letters.charset import PRINTABLE
from letters.errors import UsageError
from letters.i18n import load_translations
from letters.kinds import check_letter, rules_of
from letters.render.changes import mark_changes
from letters.render.env import key_paths, make_environment, prose_renderer, render_string, template_errors
from letters.render.pdf import PdfMetadata, layout, parse
from letters.render.view import TemplateFunction, View, plain

SAMPLE_VIN = "[VIN]"
GLYPH_COVERAGE = PRINTABLE.replace(" ", "").replace("\u00a0", "") + " fi fl ff ffi ffl"
"""Characters (and ligatures) any owner field may print, for the fast renderer's font subsets."""


@dataclass(frozen=True)
class DocumentSpec:
    """One kind of document a campaign produces."""

    name: str
    """Command-line name, e.g. "dealer-letter"."""
    template: str
    """Template file in the campaign folder."""
    title: str
    """Title used for bookmarks, footers and metadata."""
    audience: str
    """"dealer", "owner", "envelope" or "internal"; owner-facing documents are translated."""
    notice: bool = False
    """Part of the dealer notice package."""


OWNER_LETTER = "owner-letter"
"""The document mailings print for each owner."""
UPDATE_COVER = "update-cover"
"""The IMPORTANT UPDATE cover: in the notice from the first revision after the original on."""


def documents_of(campaign: Campaign) -> dict[str, DocumentSpec]:
    """The documents ``campaign`` declares, in its order."""
    return {
        d.name: DocumentSpec(d.name, d.template or f"{d.name}.html", d.title, d.audience, d.notice)
        for d in campaign.documents
    }


@dataclass(frozen=True)
class Letter:
    """The variable part of one owner letter."""

    vin: str = SAMPLE_VIN
    """VIN printed on the letter."""
    address: tuple[str, ...] = ()
    """Name and address lines, top to bottom, as the envelope window shows them."""
    date: date | None = None
    """Mailing date printed on the letter; none on the notice's sample."""
    piece_id: str = ""
    """Reconciliation ID printed in small type; none on the sample."""
    stage: str = ""
    """Owner-letter stage ("interim", "remedy", ...); empty: the campaign's remedy stage."""
    phase: int | None = None
    """The vehicle's phase; none on the notice's sample (its first phase is shown)."""
    model: str = ""
    """The vehicle's model (a per-owner field: mark it data-field="model" in the template)."""
    model_year: int | None = None
    """The vehicle's model year, a number (a per-owner field: data-field="model-year").

    Each field is its own single-line box: two fields on one line would move each other,
    which the fast renderer's verification refuses. Use ``vehicle`` for both together."""
    production_date: datetime.date | None = None
    """The vehicle's production date; none on the notice's sample."""
    location: str = ""
    """The vehicle's production location."""
    values: tuple[tuple[str, Any], ...] = ()
    """The campaign's declared vehicle columns and computed values (``letter.vehicle.NAME``)."""
    brand: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}), compare=False, hash=False)
    code: str = ""
    """The code the letter prints: its stage's own, else the campaign's; set by the renderer."""
    nhtsa_number: str = ""
    """The NHTSA recall number of the letter's phase (the phase's own, else the campaign's); set by the renderer."""
    """The letter's brand as templates see it (``letter.brand.display``...); set by the renderer."""

    template_names: ClassVar[tuple[str, ...]] = ("vehicle", "vehicle_label")
    """Computed names templates may read (``letters.render.view``)."""

    @property
    def vehicle_label(self) -> str:
        """ "2023 MERIDIAN": model year and model, one field (data-field="vehicle")."""
        return f"{self.model_year or ''} {self.model}".strip()

    @property
    def vehicle(self) -> VehicleView:
        """``letter.vehicle.NAME``: every field of the vehicle; printed, "2023 MERIDIAN"."""
        data: dict[str, Any] = {"vin": self.vin, "model": self.model, "model_year": self.model_year,
                                "production_date": self.production_date, "location": self.location}  # fmt: skip
        data.update(self.values)
        return VehicleView(data, self.vehicle_label)


@dataclass(frozen=True)
class Remedy:
    """The remedy status a letter speaks of: its phase's, on its date."""

    phase: int
    """Phase number."""
    available: bool
    """The remedy is available on the letter's date."""
    announced: date | None
    """When it became available."""
    estimate: date | None
    """The month the phase's announcement is or was expected (kept once it is available: a remail of
    an interim notice reprints it)."""


def stage_on(campaign: Campaign, phase: int, when: date) -> str | None:
    """The stage a phase is in on ``when``: remedy once available, else interim if the campaign has one."""
    wanted = "remedy-available" if campaign.phase(phase).available(when) else "remedy-unavailable"
    return next((s.name for s in campaign.stages if s.when == wanted), None)


def default_stage(campaign: Campaign, when: date | None = None) -> str:
    """The stage a letter without one represents: its first phase's stage on ``when``, else the remedy letter."""
    found = stage_on(campaign, campaign.phases[0].number, when) if when else None
    return found or next((s.name for s in campaign.stages if s.when == "remedy-available"), campaign.stages[0].name)


def marked_blocks(html: str) -> dict[str, str]:
    """Text of each data-require item in ``html`` (an item marked twice keeps both texts)."""
    found: dict[str, str] = {}
    for element in parse(html).iter():
        for item in (element.get("data-require") or "").split():
            found[item] = f"{found.get(item, '')} {' '.join(''.join(element.itertext()).split())}".strip()
    return found


@dataclass(frozen=True)
class VehiclePrefill:
    """Vehicle fields the disclosure form can be prefilled with."""

    vin: str = ""
    """VIN."""
    program_code: str = ""
    """Campaign code."""
    model: str = ""
    """Model name."""
    model_year: str = ""
    """Model year."""


@dataclass(frozen=True)
class RenderOptions:
    """What varies between renders of the same document."""

    as_of: date | None = None
    """Date the document speaks as of (phase status); defaults to the revision date."""
    lang: str = "en"
    """Language of owner-facing text."""
    letter: Letter = field(default_factory=Letter)
    """Owner letter fields."""
    letters: tuple[Letter, ...] = ()
    """Several owner letters in one document (a mailing chunk); overrides ``letter``."""
    mailing: bool = False
    """Rendering for a mailing: a bookmark per letter instead of one per document."""
    vehicle: VehiclePrefill = field(default_factory=VehiclePrefill)
    """Disclosure form prefill."""
    draft: bool = False
    """Stamp DRAFT on every page."""
    strict: bool = False
    """A missing translation is an error rather than a warning."""
    boxes: bool = True
    """Outline what changed since the previous revision (off for copies handed to guests)."""
    removed: tuple[str, ...] = ()
    """Update cover: text the latest revision removed from the documents."""
    stage: str = ""
    """Owner letters: the stage to print (default: the stage the first phase is in as of the date)."""


@dataclass
class Rendered:
    """A laid-out document, what changed in it, and what its templates were refused."""

    spec: DocumentSpec
    """Which document."""
    document: weasyprint.document.Document
    """The laid-out pages."""
    refused: list[str]
    """Resources the templates named but may not use."""
    boxed: int = 0
    """Blocks outlined in red as new or changed."""
    removed: tuple[str, ...] = ()
    """Text of blocks the baseline had and this revision removed."""
    warnings: tuple[str, ...] = ()
    """Text left in English for want of a translation (non-strict renders only)."""


class Renderer:
    """Renders a campaign's documents; build one per campaign and reuse it."""

    def __init__(self, loaded: LoadedCampaign, lang: str = "en", strict: bool = False) -> None:
        self.loaded = loaded
        self.lang = lang
        self.notes: list[str] = []
        self.translations = load_translations(lang, strict)
        self.campaign: Campaign = loaded.localized(lang, strict, self.notes)
        self.folders = loaded.template_folders
        self.env = make_environment(self.folders, self.translations, self.notes)
        self.prose_keys = key_paths(self.campaign.model_dump(by_alias=True, mode="json"))
        self.view: View = plain(self.campaign)
        """The campaign as templates see it: plain data."""
        self._states: dict[date, View] = {}
        self._brands: tuple[list[Any], dict[int, Mapping[str, Any]]] | None = None

    @property
    def warnings(self) -> list[str]:
        """English text that stood in for a missing translation (never silently)."""
        missing = sorted(self.translations.missing)
        return [*self.notes, *(f"no {self.lang} translation for {m!r}: English used" for m in missing)]

    def topic(self, update: Update) -> Markup:
        """An IMPORTANT UPDATE topic, rendered with the campaign as its own revision left it.

        A topic quoting a figure ("approx. {{ covered.vehicles|number }} vehicles") must
        print the figure of its date, not the latest one.
        """
        # Topics are dealer text (the cover is English only): the English state is the one.
        state = self._states.get(update.date)
        if state is None:
            state = self._states[update.date] = plain(self.loaded.state_on(update.date))
        ctx: dict[str, Any] = {name: state[name] for name in CampaignModel.model_fields}
        ctx.update(c=state, title=state.title, lang=self.lang, phase=state.phase)
        where = f"{self.loaded.folder / 'campaign.toml'}, topic of revision {update.date.isoformat()}"
        return render_string(self.env, update.topic, ctx, where)

    def context(self, spec: DocumentSpec, options: RenderOptions) -> dict[str, Any]:
        """Names a template sees: the campaign's fields at top level, plus the render's own."""
        c = self.campaign
        view = self.view
        ctx: dict[str, Any] = {name: view[name] for name in CampaignModel.model_fields}
        ctx.update(
            c=view,
            title=view.title,
            lang=self.lang,
            doc=plain(spec),
            as_of=options.as_of or c.revision.date,
            phase=view.phase,
            letters=plain(self._letters(options)),
            remedy_status=TemplateFunction(self.remedy_status),
            stages=view.stages,
            mailing=options.mailing,
            vehicle=plain(options.vehicle),
            draft=options.draft,
            removed=options.removed,
            topic=TemplateFunction(self.topic),
            stop_sale_models=view.stop_sale_models,
            words=plain(c.spoken_words()),
            stage_label=TemplateFunction(self.stage_label),
        )
        source = self.loaded.folder / "campaign.toml"
        if self.lang != "en":
            source = Path(f"{source} [translations.{self.lang}]")
        text = prose_renderer(self.env, ctx, str(source), self.prose_keys)
        ctx["text"] = text
        # Prose fields quote each other (the FAQ's A1 is the reason), so render the ones
        # others use first and expose them already rendered.
        for name in ("reason", "remedy", "remedy_supply"):
            ctx[name] = text(getattr(c, name))
        return ctx

    def _letters(self, options: RenderOptions) -> tuple[Letter, ...]:
        stage = options.stage or default_stage(self.campaign, options.as_of or self.campaign.revision.date)
        names = (*self.campaign.vehicles.columns, *self.campaign.vehicles.computed)
        return tuple(
            replace(letter, stage=letter.stage or stage, brand=self.brand_of(letter),
                    code=self.campaign.code_for(letter.stage or stage),
                    nhtsa_number=self.campaign.nhtsa_for(letter.phase or self.campaign.phases[0].number),
                    values=letter.values if len(letter.values) == len(names) else with_names(letter.values, names))
            for letter in options.letters or (options.letter,)
        )  # fmt: skip

    def stage_label(self, name: str) -> str:
        """``stage_label(letter.stage)`` in templates: how the kind names a stage to people."""
        return rules_of(str(self.campaign.kind)).stage_labels.get(name, name.replace("-", " ").capitalize())

    def brand_of(self, letter: Letter) -> Mapping[str, Any]:
        """The letter's brand as templates see it: chosen by its VIN or the campaign's brand column."""
        from letters.campaign.brands import as_data, choose

        c = self.campaign
        if self._brands is None:  # the campaign's brands, and each as templates see it, made once
            self._brands = (c.brand_list, {})
        brands, data = self._brands
        brand = choose(brands, letter.vin, c.brand_column, dict(letter.values))
        found = data.get(id(brand))  # the brands stay in ``brands``: their ids stay theirs
        if found is None:
            found = data[id(brand)] = as_data(brand, c.distributor.name)
        return found

    def remedy_status(self, letter: Letter) -> Remedy:
        """``remedy_status(letter)`` in templates: its phase's remedy status on its date (or the revision's)."""
        c = self.campaign
        phase = c.phase(letter.phase or c.phases[0].number)
        when = letter.date or c.revision.date
        available = phase.available(when)
        return Remedy(phase.number, available, phase.announced if available else None, phase.estimate)

    def check_required(self, spec: DocumentSpec, html: str, stage: str = "") -> None:
        """Refuse an owner letter lacking content its campaign's kind requires (``letters.kinds``)."""
        if spec.name not in {s.document for s in self.campaign.stages}:
            return
        check_letter(str(self.campaign.kind), stage or default_stage(self.campaign), marked_blocks(html),
                     self.loaded.folder / spec.template)  # fmt: skip

    def html(self, spec: DocumentSpec, options: RenderOptions) -> str:
        """The document's HTML."""
        with template_errors(str(self.loaded.folder / spec.template)):
            template = self.env.get_template(spec.template)
            return template.render(self.context(spec, options))

    def render(self, name: str, options: RenderOptions | None = None, baseline: Renderer | None = None) -> Rendered:
        """Lay out document ``name``; with a ``baseline``, outline what changed since it in red."""
        spec = document_spec(self.campaign, name)
        options = options or RenderOptions()
        if self.lang != "en" and spec.audience != "owner":
            raise UsageError(f"the {spec.name} is for dealers and is written in English only")
        html = self.html(spec, options)
        self.check_required(spec, html, self._letters(options)[0].stage)
        counts: list[tuple[int, list[str]]] = []

        def box_changes(root: Element) -> None:
            assert baseline is not None
            old = parse(baseline.html(spec, replace(options, as_of=baseline.campaign.revision.date)))
            counts.append(mark_changes(old, root))

        prepare = box_changes if baseline is not None else None
        document, refused = layout(html, self.loaded.folder, self.folders, prepare)
        boxed, removed = counts[0] if counts else (0, [])
        return Rendered(spec, document, refused, boxed, tuple(removed), tuple(self.warnings))

    def metadata(self, title: str, options: RenderOptions) -> PdfMetadata:
        c = self.campaign
        return PdfMetadata(
            title=f"{c.title} - {title}",
            subject=c.subtitle,
            campaign=c.code,
            revision=c.revision.date,
            extra=(("AsOf", (options.as_of or c.revision.date).isoformat()),),
        )


def document_spec(campaign: Campaign, name: str) -> DocumentSpec:
    """The document of ``campaign`` called ``name``; a clear error lists the others."""
    docs = documents_of(campaign)
    try:
        return docs[name]
    except KeyError:
        raise UsageError(
            f"campaign {campaign.code} has no document {name!r}; its documents: {', '.join(docs)}"
        ) from None
