"""The dealer notice package and single documents, as the render commands write them.

A revision after the original gets an IMPORTANT UPDATE cover listing every dated topic,
and every block of its documents that is new or changed since the previous revision (or
since ``changes_since``) is outlined in red. A revision not approved as it is now (never
approved, or changed since approval: ``letters.review.status``) renders only as a draft,
stamped DRAFT on every page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from letters import paths
from letters.campaign import Campaign, LoadedCampaign, load_campaign
from letters.documents import UPDATE_COVER, Rendered, Renderer, RenderOptions, VehiclePrefill, document_spec
from letters.errors import UsageError
from letters.render.closing import closing_warning
from letters.render.pdf import combine, write


def notice_documents(campaign: Campaign) -> list[str]:
    """Documents of the notice package, in the campaign's order; no update cover before the first update."""
    return [d.name for d in campaign.documents if d.notice and (d.name != UPDATE_COVER or campaign.updates)]


def baseline_for(loaded: LoadedCampaign, changes_since: date | None = None) -> LoadedCampaign | None:
    """The revision changes are boxed against: the one before, or the one in effect on a date."""
    if changes_since is not None:
        base = load_campaign(loaded.campaign.code, as_of=changes_since)
        if base.index >= loaded.index:
            raise UsageError(
                f"--changes-since {changes_since.isoformat()} falls on or after revision "
                f"{loaded.campaign.revision.date.isoformat()}: nothing to compare"
            )
        return base
    if loaded.index == 0:
        return None
    return load_campaign(loaded.campaign.code, revision=loaded.history[loaded.index - 1].id)


def render_one(loaded: LoadedCampaign, name: str, target: Path, options: RenderOptions,
               baseline: LoadedCampaign | None = None) -> Rendered:  # fmt: skip
    """Render one document to ``target``."""
    renderer = Renderer(loaded, options.lang, options.strict)
    base = Renderer(baseline, options.lang) if baseline is not None and name != UPDATE_COVER else None
    rendered = renderer.render(name, options, base)
    write(rendered.document, renderer.metadata(rendered.spec.title, options), target)
    return rendered


def render_notice(loaded: LoadedCampaign, target: Path, options: RenderOptions,
                  baseline: LoadedCampaign | None = None) -> list[Rendered]:  # fmt: skip
    """Render the whole dealer notice package to ``target``."""
    renderer = Renderer(loaded, options.lang)
    base = Renderer(baseline, options.lang) if baseline is not None else None
    names = notice_documents(loaded.campaign)
    parts = {name: renderer.render(name, options, base) for name in names if name != UPDATE_COVER}
    if UPDATE_COVER in names:
        removed = tuple(text for part in parts.values() for text in part.removed)
        parts[UPDATE_COVER] = renderer.render(UPDATE_COVER, replace(options, removed=removed))
    ordered = [parts[name] for name in names]
    write(combine([p.document for p in ordered]), renderer.metadata("Dealer Notice Package", options), target)
    return ordered


@dataclass(frozen=True)
class Written:
    """What a render command wrote."""

    path: Path
    """The PDF written."""
    revision: str
    """Revision rendered."""
    pages: dict[str, int]
    """Pages per document, in order."""
    boxed: dict[str, int]
    """Blocks outlined as changed, per document."""
    warnings: tuple[str, ...]
    """Campaign inconsistencies and refused resources, for the user."""
    as_of: str = ""
    """Date the documents speak as of, ISO (``--as-of``, else the revision's date)."""

    def as_json(self) -> dict[str, Any]:
        return {
            "path": str(self.path), "revision": self.revision, "as_of": self.as_of, "pages": self.pages,
            "boxed": self.boxed, "warnings": list(self.warnings),
        }  # fmt: skip


def _written(loaded: LoadedCampaign, target: Path, parts: Sequence[Rendered], notes: Sequence[str] = (),
             as_of: date | None = None) -> Written:  # fmt: skip
    refused = sorted({url for p in parts for url in p.refused})
    return Written(
        target,
        loaded.campaign.revision.date.isoformat(),
        {p.spec.name: len(p.document.pages) for p in parts},
        {p.spec.name: p.boxed for p in parts if p.boxed},
        (
            *loaded.warnings,
            *(f"template resource refused: {url}" for url in refused),
            *dict.fromkeys(w for p in parts for w in p.warnings),
            *notes,
        ),
        (as_of or loaded.campaign.revision.date).isoformat(),
    )


def _options(loaded: LoadedCampaign, options: RenderOptions) -> RenderOptions:
    return replace(options, as_of=options.as_of or loaded.campaign.revision.date)


def render_document_file(
    code: str, name: str, target: Path | None, options: RenderOptions, vin: str | None = None,
    revision: str | None = None, changes_since: date | None = None,
) -> Written:  # fmt: skip
    """``letters render``: one document of campaign ``code`` to ``target``.

    ``vin`` prefills the disclosure form from the campaign's vehicle records.
    """
    loaded = load_campaign(code, as_of=options.as_of, revision=revision)
    document_spec(loaded.campaign, name)
    stages = [s.name for s in loaded.campaign.stages]
    if options.stage and options.stage not in stages:
        raise UsageError(f"campaign {loaded.campaign.code} has no stage {options.stage!r}; stages: {', '.join(stages)}")
    options = _options(loaded, options)
    notes: tuple[str, ...] = ()
    if vin is not None:
        prefill, notes = vehicle_prefill(loaded, vin)
        options = replace(options, vehicle=prefill)
    target = target or paths.output_dir() / f"{code}-{name}.pdf"
    baseline = baseline_for(loaded, changes_since) if options.boxes else None
    rendered = render_one(loaded, name, target, options, baseline)
    if name in {s.document for s in loaded.campaign.stages}:  # an owner letter: a signature alone is said
        said = closing_warning(rendered.document, f"{name} ({options.stage or 'its stage'}, {options.lang})")
        notes = (*notes, *said)
    return _written(loaded, target, [rendered], notes, options.as_of)


def render_notice_file(code: str, target: Path | None, options: RenderOptions, revision: str | None = None,
                       changes_since: date | None = None) -> Written:  # fmt: skip
    """``letters notice``: the dealer notice package of campaign ``code`` to ``target``."""
    loaded = load_campaign(code, as_of=options.as_of, revision=revision)
    from letters.review.status import require_approved

    require_approved(loaded.campaign.code, loaded.campaign.revision.date.isoformat(), options.draft, "notice")
    target = target or paths.output_dir() / f"{code}-notice.pdf"
    baseline = baseline_for(loaded, changes_since) if options.boxes else None
    options = _options(loaded, options)
    parts = render_notice(loaded, target, options, baseline)
    return _written(loaded, target, parts, as_of=options.as_of)


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
    years = {y for m in campaign.models for y in m.years}
    year = next((y for y in parsed.model_year_candidates() if y in years), None)
    return (
        VehiclePrefill(parsed.value, campaign.code, "", str(year or "")),
        (f"VIN {parsed.value} is not in the campaign's vehicle records: model left blank",),
    )
