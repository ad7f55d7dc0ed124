"""The mail preflight: every layout variant a run will print, laid out and checked before anything is reserved.

Each letter of the run is rendered through its template (strictly: a missing translation
or a template failing at run time stops the run) and keyed into its layout variant
(``letters.render.variants``). Each variant is checked for the content its kind requires and
laid out once; text its boxes cut off or that runs off the page refuses the run. With the fast
renderer the variant's template is that layout: one letter of it is stamped and compared with
its full render, text and pixels, and a variant that cannot be stamped or does not match sends
its letters to the full renderer (counted in the job ticket's ``fallbacks``). A refusal names
the variant (the values its letters share, e.g. ``brand=virel, stage=notice, lang=en``) and a
VIN that has it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from letters.campaign import Campaign
from letters.campaign.model import Stage
from letters.documents import RenderOptions, document_spec
from letters.errors import LettersError
from letters.render.pdf import layout
from letters.render.pieces import LAYOUT, BatchJob, PieceInput
from letters.render.template import overflows_of
from letters.render.variants import Keyed, TemplateData, describe
from letters.render.workers import renderer_for

if TYPE_CHECKING:  # the renderer loads in the fork server and where a run is planned, not on import
    from letters.render.fast import FastRenderer


class LayoutError(LettersError):
    """A letter of the run cannot be printed as it is: a template that fails, text cut off or off the page."""


@dataclass(frozen=True)
class Variant:
    """One layout variant of a run."""

    key: str
    """Its key (the masked HTML's hash)."""
    lang: str
    """Language."""
    description: str
    """The values its letters share that tell it from the others, e.g. ``brand=virel, stage=notice, lang=en``."""
    vin: str
    """A VIN whose letter has it (the first)."""
    letters: int
    """Letters (language versions) of the run that have it."""
    fallback: str | None = None
    """Why its letters go to the full renderer; None: they are stamped on its template."""


@dataclass(frozen=True)
class Preflight:
    """What the preflight found."""

    layouts: tuple[str, ...]
    """Per piece, its ``LAYOUT`` field (JSON); empty strings for a full-renderer run."""
    variants: tuple[Variant, ...]
    """The run's layout variants, in order of first letter."""
    templates: tuple[TemplateData, ...]
    """The variants' verified templates, for the workers."""
    warnings: tuple[str, ...]
    """Resources the letters named but may not use, and a run with one variant per few letters."""


def values_of(piece: PieceInput, job: BatchJob, lang: str, brand: str) -> dict[str, str]:
    """The values a variant is described by."""
    letter = piece.letter(job)
    return {"brand": brand, "model": letter.model, "model_year": str(letter.model_year or ""),
            "phase": str(job.phase), "stage": job.stage, "lang": lang}  # fmt: skip


def preflight(campaign: Campaign, stage: Stage, phase: int, as_of: date, pieces: Sequence[PieceInput],
              kind: str) -> Preflight:  # fmt: skip
    """Key every letter of the run, lay out and check every variant; refuse (``LettersError``) what cannot print."""
    from letters.render.fast import FastRenderer

    revision = campaign.revision.date.isoformat()
    fast = renderer_for(campaign.code, revision, "fast")
    assert isinstance(fast, FastRenderer)
    job = BatchJob(campaign.code, phase, 0, campaign.revision.date, as_of, Path(os.devnull), tuple(pieces),
                   stage=stage.name, document=stage.document)  # fmt: skip
    # Language by language: a letter lacking required content is reported before another language's catalog.
    versions = sorted(((i, lang) for i, p in enumerate(pieces) for lang in p.language.split("+")),
                      key=lambda v: (v[1], v[0]))  # fmt: skip
    spec = document_spec(campaign, stage.document)
    brands = [fast.full.renderer("en").brand_of(p.letter(job)) for p in pieces]
    values = [values_of(pieces[i], job, lang, str(brands[i].get("name", ""))) for i, lang in versions]
    keyed: dict[tuple[int, str], Keyed | str] = {}
    groups: dict[str, list[int]] = {}
    for lang in sorted({lang for _, lang in versions}):
        keyed.update(_key(fast, job, [v for v in versions if v[1] == lang]))
        for n, version in enumerate(versions):
            if version[1] == lang:
                k = keyed[version]
                groups.setdefault(k.key if isinstance(k, Keyed) else f"!{k}", []).append(n)
        for members in groups.values():
            index, mine = versions[members[0]]
            k = keyed[versions[members[0]]]
            if mine == lang and isinstance(k, Keyed):
                try:
                    fast.full.renderer(lang).check_required(spec, f"{k.frame[0]}{k.masked}{k.frame[1]}", stage.name)
                except LettersError as exc:
                    raise type(exc)(f"variant {describe(values, members)} (VIN {pieces[index].vin}): "
                                    f"{exc.message}") from None  # fmt: skip
    variants: list[Variant] = []
    fallback: dict[str, str] = {}
    refused: dict[str, None] = {}
    shipped: list[TemplateData] = []
    for key, members in groups.items():
        index, lang = versions[members[0]]
        piece, k = pieces[index], keyed[versions[members[0]]]
        where = f"variant {describe(values, members)} (VIN {piece.vin})"
        if not isinstance(k, Keyed):
            fallback[key] = k
            variants.append(Variant(key, lang, describe(values, members), piece.vin, len(members), k))
            continue
        renderer = fast.full.renderer(lang)
        try:
            if kind == "fast":
                tpl = fast.build(k, lang)
                found, problems, urls = tpl.problem, tpl.overflows, tpl.refused
            else:
                found = None
                html = renderer.html(spec, RenderOptions(letters=(piece.letter(job),), mailing=True, lang=lang,
                                                         strict=True))  # fmt: skip
                doc, refused_urls = layout(html, fast.loaded.folder, renderer.folders)
                urls = tuple(refused_urls)
                problems = tuple(p for n, page in enumerate(doc.pages) for p in overflows_of(page, n))
        except LettersError as exc:
            raise type(exc)(f"{where}: {exc.message}") from None
        refused.update(dict.fromkeys(urls))
        if problems:
            raise LayoutError(f"{where}: the {stage.name} letter's text does not fit: " + "; ".join(problems))
        if kind == "fast" and found is None:
            found = _verify(fast, job, [versions[n] for n in members], keyed)
            if found is None:
                shipped.append(tpl.shipped())  # now, before a run of many variants drops it from the cache
        if found is not None:
            fallback[key] = found
        variants.append(Variant(key, lang, describe(values, members), piece.vin, len(members), found))
    layouts = tuple(_layouts(pieces, keyed, fallback) if kind == "fast" else ("" for _ in pieces))
    warnings = [f"owner letter: refused resource {url} (outside the campaign); the letters print without it"
                for url in refused]  # fmt: skip
    if len(versions) >= 20 and len(variants) > len(versions) // 4:
        warnings.append(f"{len(variants):,} layout variants for {len(versions):,} letters: the owner letter prints "
                        "per-letter text outside data-field spans, so most letters are laid out on their own "
                        "(mark single-line per-letter values data-field to stamp them)")  # fmt: skip
    return Preflight(layouts, tuple(variants), tuple(shipped), tuple(warnings))


def _key(fast: FastRenderer, job: BatchJob, versions: list[tuple[int, str]]) -> dict[tuple[int, str], Keyed | str]:
    """Every letter keyed; a template failing (a missing translation...) names the first letter it fails for."""
    try:
        return fast.key(job, versions)
    except LettersError as exc:
        for index, lang in versions:
            try:
                fast.key(job, [(index, lang)])
            except LettersError:
                letter = job.pieces[index].letter(job)
                raise type(exc)(f"the {lang} letter of VIN {letter.vin} ({letter.model} {letter.model_year or ''}"
                                f", {job.stage}): {exc.message}") from None  # fmt: skip
        raise


def _verify(fast: FastRenderer, job: BatchJob, members: Sequence[tuple[int, str]],
            keyed: dict[tuple[int, str], Keyed | str]) -> str | None:  # fmt: skip
    """Stamp a letter of the variant and compare it with its full render; why the variant cannot be used, or None.

    The first letter whose own fields fit is compared (a few are tried); a variant none of whose
    first letters can be stamped stays unverified, and the worker that first stamps one verifies it.
    """
    from letters.render.fast import VerificationError

    for index, lang in members[:VERIFY_TRIES]:
        piece = job.pieces[index]
        k = keyed[(index, lang)]
        assert isinstance(k, Keyed)
        one = replace(piece, language=lang, fields=(*piece.fields, (LAYOUT, json.dumps([_entry(k)]))))
        try:
            _, _, _, reasons = fast.render_pdf(replace(job, pieces=(one,)), verify_all=True)
        except VerificationError as exc:
            return f"its variant differs from its full render ({exc.message.split(': ', 1)[-1]})"
        if not reasons:
            return None
    return None


VERIFY_TRIES = 5
"""Letters of a variant the preflight tries to stamp and verify."""


def _entry(k: Keyed) -> dict[str, object]:
    return {"key": k.key, "stamps": [list(s) for s in k.stamps]}


def _layouts(pieces: Sequence[PieceInput], keyed: dict[tuple[int, str], Keyed | str],
             fallback: dict[str, str]) -> list[str]:  # fmt: skip
    out = []
    for i, p in enumerate(pieces):
        entries: list[dict[str, object]] = []
        for lang in p.language.split("+"):
            k = keyed[(i, lang)]
            if isinstance(k, str):
                entries.append({"full": k})
            elif k.key in fallback:
                entries.append({"full": fallback[k.key]})
            else:
                entries.append(_entry(k))
        out.append(json.dumps(entries, separators=(",", ":"), ensure_ascii=False))
    return out
