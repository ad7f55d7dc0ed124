"""The mail preflight: every layout variant a run will print, laid out and checked before anything is reserved.

Each letter of the run is rendered through its template (strictly: a missing translation
or a template failing at run time stops the run) and keyed into its layout variant
(``letters.render.variants``). Each variant is checked for the content its kind requires and
laid out once; text its boxes cut off or that runs off the page refuses the run. With the fast
renderer the variant's template is that layout: one letter of it is stamped and compared with
its full render, text and pixels, and a variant that cannot be stamped or does not match sends
its letters to the full renderer (counted in the job ticket's ``fallbacks``). A variant whose
last page carries only its closing lines is warned of (the letters still print). A refusal names
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
from letters.documents import DocumentSpec, RenderOptions, document_spec
from letters.errors import LettersError
from letters.render.closing import closing_alone
from letters.render.pdf import layout
from letters.render.pieces import LAYOUT, BatchJob, PieceInput
from letters.render.template import Template, overflows_of
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
    fallback: dict[str, str] = {}
    refused: dict[str, None] = {}
    shipped: list[TemplateData] = []
    closings: list[str] = []  # a last page with only the signature on it: said, the letters still print
    items = list(groups.items())
    for start in range(0, len(items), GROUP):
        chunk = items[start : start + GROUP]
        templates = _templates(fast, chunk, versions, keyed, values, pieces) if kind == "fast" else {}
        unverified: list[tuple[str, tuple[int, str]]] = []
        for key, members in chunk:
            index, lang = versions[members[0]]
            piece, k = pieces[index], keyed[versions[members[0]]]
            where = f"variant {describe(values, members)} (VIN {piece.vin})"
            if not isinstance(k, Keyed):
                fallback[key] = k
                continue
            if kind == "fast":
                tpl = templates[key]
                problem, problems, urls, alone = tpl.problem, tpl.overflows, tpl.refused, tpl.closing_only
            else:
                problem, (problems, urls, alone) = None, _full_layout(fast, spec, job, index, lang, where)
            refused.update(dict.fromkeys(urls))
            if alone:
                closings.append(f"owner letter ({stage.name}, {lang}, variant {describe(values, members)}, e.g. VIN "
                                f"{piece.vin}): the last page of the letter carries only its closing lines (the "
                                "signature alone on a page, a sheet of paper and postage for it); shorten the letter "
                                "or tighten its layout")  # fmt: skip
            if problems:
                raise LayoutError(f"{where}: the {stage.name} letter's text does not fit: " + "; ".join(problems))
            if problem is not None:
                fallback[key] = problem
            elif kind == "fast":
                unverified.append((key, (index, lang)))
        for key, found in _verify(fast, job, unverified, keyed).items():
            if found is None:
                shipped.append(templates[key].shipped())
            else:
                fallback[key] = found
    variants = []
    for key, members in items:
        index, lang = versions[members[0]]
        variants.append(Variant(key, lang, describe(values, members), pieces[index].vin, len(members),
                                fallback.get(key)))  # fmt: skip
    layouts = tuple(_layouts(pieces, keyed, fallback) if kind == "fast" else ("" for _ in pieces))
    warnings = [f"owner letter: refused resource {url} (outside the campaign); the letters print without it"
                for url in refused] + closings  # fmt: skip
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


def _templates(fast: FastRenderer, chunk: Sequence[tuple[str, list[int]]], versions: Sequence[tuple[int, str]],
               keyed: dict[tuple[int, str], Keyed | str], values: Sequence[dict[str, str]],
               pieces: Sequence[PieceInput]) -> dict[str, Template]:  # fmt: skip
    """The variants' templates, laid out together per language; a layout that fails names its variant."""
    out: dict[str, Template] = {}
    for lang in sorted({versions[m[0]][1] for _, m in chunk}):
        mine = [(key, m, k) for key, m in chunk if versions[m[0]][1] == lang and isinstance(k := keyed[versions[m[0]]],
                                                                                            Keyed)]  # fmt: skip
        try:
            out.update((t.key, t) for t in fast.build([k for _, _, k in mine], lang))
        except LettersError:
            for _, members, k in mine:  # one at a time, to name the variant
                try:
                    fast.build([k], lang)
                except LettersError as exc:
                    vin = pieces[versions[members[0]][0]].vin
                    raise type(exc)(f"variant {describe(values, members)} (VIN {vin}): {exc.message}") from None
            raise
    return out


def _full_layout(fast: FastRenderer, spec: DocumentSpec, job: BatchJob, index: int, lang: str,
                 where: str) -> tuple[tuple[str, ...], tuple[str, ...], bool]:  # fmt: skip
    """A full-renderer run: one letter of the variant laid out; its overflows, refused resources, and whether its
    last page carries only its closing lines."""
    renderer = fast.full.renderer(lang)
    try:
        html = renderer.html(spec, RenderOptions(letters=(job.pieces[index].letter(job),), mailing=True, lang=lang,
                                                 strict=True))  # fmt: skip
        doc, urls = layout(html, fast.loaded.folder, renderer.folders)
    except LettersError as exc:
        raise type(exc)(f"{where}: {exc.message}") from None
    overflows = tuple(p for n, page in enumerate(doc.pages) for p in overflows_of(page, n))
    return overflows, tuple(urls), closing_alone(doc.pages)


def _verify(fast: FastRenderer, job: BatchJob, variants: Sequence[tuple[str, tuple[int, str]]],
            keyed: dict[tuple[int, str], Keyed | str]) -> dict[str, str | None]:  # fmt: skip
    """Stamp one letter of each variant and compare them with their full renders, all in one batch.

    Returns why each variant cannot be used, or None. A variant whose letter's own fields do
    not fit stays unverified: the worker that first stamps one of its letters verifies it.
    After a mismatch each variant is tried alone, to find which.
    """
    from letters.render.fast import VerificationError

    def one(key: str, index: int, lang: str) -> PieceInput:
        piece, k = job.pieces[index], keyed[(index, lang)]
        assert isinstance(k, Keyed)
        return replace(piece, language=lang, fields=(*piece.fields, (LAYOUT, json.dumps([_entry(k)]))))

    def check(group: Sequence[tuple[str, tuple[int, str]]]) -> str | None:
        try:
            fast.render_pdf(replace(job, pieces=tuple(one(key, *v) for key, v in group)), verify_all=True)
        except VerificationError as exc:
            return f"its variant differs from its full render ({exc.message.split(': ', 1)[-1]})"
        return None

    if not variants:
        return {}
    found = check(variants)
    if found is None or len(variants) == 1:
        return dict.fromkeys((key for key, _ in variants), found)
    return {key: check([(key, v)]) for key, v in variants}


GROUP = 25
"""Variants laid out (and verified) together in one document."""


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
