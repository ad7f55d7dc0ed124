"""The campaign's documents: what each one is, its context, and the notice package.

A document is one template in the campaign folder rendered with the campaign as context.
The notice package is every dealer-facing document plus a sample owner letter, laid out
separately (each keeps its own "page n of N") and written as one PDF with a bookmark per
document.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import weasyprint

from letters import paths
from letters.campaign import Campaign, LoadedCampaign
from letters.campaign.model import Campaign as CampaignModel
from letters.errors import UsageError
from letters.render import PdfMetadata, combine, layout, make_environment, template_errors, write
from letters.render.env import prose_renderer

SAMPLE_VIN = "[VIN]"


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
    """"dealer" or "owner"; owner-facing documents are translated."""


DOCUMENTS: dict[str, DocumentSpec] = {
    spec.name: spec
    for spec in (
        DocumentSpec("update-cover", "update-cover.html", "Important Update", "dealer"),
        DocumentSpec("dealer-letter", "dealer-letter.html", "Dealer Letter", "dealer"),
        DocumentSpec("faq", "faq.html", "Frequently Asked Questions", "owner"),
        DocumentSpec("disclosure-form", "disclosure-form.html", "Guest Contact and Vehicle Disclosure Form", "owner"),
        DocumentSpec("owner-letter", "owner-letter.html", "Owner Letter", "owner"),
    )
}
"""Every document, in the order the notice package prints them."""


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


@dataclass
class Rendered:
    """A laid-out document and what its templates asked for but did not get."""

    spec: DocumentSpec
    document: weasyprint.document.Document
    refused: list[str]


class Renderer:
    """Renders a campaign's documents; build one per campaign and reuse it."""

    def __init__(self, loaded: LoadedCampaign, lang: str = "en") -> None:
        self.loaded = loaded
        self.campaign: Campaign = loaded.campaign
        self.lang = lang
        self.folders = [loaded.folder, paths.shared_templates_dir()]
        self.env = make_environment(self.folders, locale={"en": "en_US", "es": "es_PR"}.get(lang, lang))

    def context(self, spec: DocumentSpec, options: RenderOptions) -> dict[str, Any]:
        """Names a template sees: the campaign's fields at top level, plus the render's own."""
        c = self.campaign
        ctx: dict[str, Any] = {name: getattr(c, name) for name in CampaignModel.model_fields}
        ctx.update(
            c=c,
            title=c.title,
            lang=self.lang,
            doc=spec,
            as_of=options.as_of or c.revision.date,
            phase=c.phase,
            letters=options.letters or (options.letter,),
            mailing=options.mailing,
            vehicle=options.vehicle,
        )
        text = prose_renderer(self.env, ctx, f"{self.loaded.folder / 'campaign.toml'}")
        ctx["text"] = text
        # Prose fields quote each other (the FAQ's A1 is the reason), so render the ones
        # others use first and expose them already rendered.
        for name in ("reason", "remedy", "remedy_supply"):
            ctx[name] = text(getattr(c, name))
        return ctx

    def html(self, spec: DocumentSpec, options: RenderOptions) -> str:
        """The document's HTML."""
        with template_errors(str(self.loaded.folder / spec.template)):
            template = self.env.get_template(spec.template)
            return template.render(self.context(spec, options))

    def render(self, name: str, options: RenderOptions | None = None) -> Rendered:
        """Lay out document ``name``."""
        spec = document_spec(name)
        html = self.html(spec, options or RenderOptions())
        document, refused = layout(html, self.loaded.folder, self.folders)
        return Rendered(spec, document, refused)

    def metadata(self, title: str, options: RenderOptions) -> PdfMetadata:
        c = self.campaign
        return PdfMetadata(
            title=f"{c.title} - {title}",
            subject=c.subtitle,
            campaign=c.code,
            revision=c.revision.date,
            extra=(("AsOf", (options.as_of or c.revision.date).isoformat()),),
        )


def document_spec(name: str) -> DocumentSpec:
    """The document called ``name``; a clear error lists the others."""
    try:
        return DOCUMENTS[name]
    except KeyError:
        raise UsageError(f"no document {name!r}; documents: {', '.join(DOCUMENTS)}") from None


def notice_documents(campaign: Campaign) -> list[str]:
    """Documents of the notice package, in order; no update cover before the first update."""
    return [name for name in DOCUMENTS if name != "update-cover" or campaign.updates]


def render_one(loaded: LoadedCampaign, name: str, target: Path, options: RenderOptions) -> Rendered:
    """Render one document to ``target``."""
    renderer = Renderer(loaded, options.lang)
    rendered = renderer.render(name, options)
    write(rendered.document, renderer.metadata(rendered.spec.title, options), target)
    return rendered


def render_notice(loaded: LoadedCampaign, target: Path, options: RenderOptions) -> list[Rendered]:
    """Render the whole dealer notice package to ``target``."""
    renderer = Renderer(loaded, options.lang)
    parts = [renderer.render(name, options) for name in notice_documents(loaded.campaign)]
    write(combine([p.document for p in parts]), renderer.metadata("Dealer Notice Package", options), target)
    return parts


def refused_urls(parts: Sequence[Rendered]) -> list[str]:
    """Every resource the templates named but were refused, once each."""
    return sorted({url for p in parts for url in p.refused})


def describe(parts: Sequence[Rendered]) -> Mapping[str, int]:
    """Pages per document."""
    return {p.spec.name: len(p.document.pages) for p in parts}


@dataclass(frozen=True)
class Written:
    """What a render command wrote."""

    path: Path
    """The PDF written."""
    pages: dict[str, int]
    """Pages per document, in order."""
    warnings: tuple[str, ...]
    """Campaign inconsistencies and refused resources, for the user."""

    def as_json(self) -> dict[str, Any]:
        return {"path": str(self.path), "pages": self.pages, "warnings": list(self.warnings)}


def _written(loaded: LoadedCampaign, target: Path, parts: Sequence[Rendered]) -> Written:
    refused = [f"template resource refused: {url}" for url in refused_urls(parts)]
    return Written(target, dict(describe(parts)), (*loaded.warnings, *refused))


def render_document_file(
    code: str, name: str, target: Path | None, options: RenderOptions, vin: str | None = None
) -> Written:
    """``letters render``: one document of campaign ``code`` to ``target``.

    ``vin`` prefills the disclosure form from the campaign's vehicle records.
    """
    from letters.campaign import load_campaign

    loaded = load_campaign(code)
    document_spec(name)
    notes: tuple[str, ...] = ()
    if vin is not None:
        if name != "disclosure-form":
            raise UsageError("--vin applies to the disclosure-form document only")
        prefill, notes = vehicle_prefill(loaded, vin)
        options = replace(options, vehicle=prefill)
    target = target or paths.output_dir() / f"{code}-{name}.pdf"
    written = _written(loaded, target, [render_one(loaded, name, target, options)])
    return replace(written, warnings=(*written.warnings, *notes))


def vehicle_prefill(loaded: LoadedCampaign, raw_vin: str) -> tuple[VehiclePrefill, tuple[str, ...]]:
    """Disclosure form fields for ``raw_vin``: model and year from the vehicle records.

    A VIN missing from the records still prefills VIN, program code and the model year its
    10th character gives; the model stays blank for the dealer to fill, with a warning.
    """
    from letters import vin as vins
    from letters.report import default_lists, find_vehicles

    campaign = loaded.campaign
    try:
        parsed = vins.parse(raw_vin)
    except vins.VinError as exc:
        raise UsageError(str(exc)) from None
    try:
        found = find_vehicles(campaign, default_lists(campaign.code)[0], {parsed.value})
    except UsageError:
        found = {}
    vehicle = found.get(parsed.value)
    if vehicle is not None:
        return VehiclePrefill(parsed.value, campaign.code, vehicle.model, str(vehicle.model_year)), ()
    years = {y for row in campaign.chart.rows for y in row.years}
    year = next((y for y in parsed.model_year_candidates() if y in years), None)
    return (
        VehiclePrefill(parsed.value, campaign.code, "", str(year or "")),
        (f"VIN {parsed.value} is not in the campaign's vehicle records: model left blank",),
    )


def render_notice_file(code: str, target: Path | None, options: RenderOptions) -> Written:
    """``letters notice``: the dealer notice package of campaign ``code`` to ``target``."""
    from letters.campaign import load_campaign

    loaded = load_campaign(code)
    target = target or paths.output_dir() / f"{code}-notice.pdf"
    return _written(loaded, target, render_notice(loaded, target, options))
