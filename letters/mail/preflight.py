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
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import TypeVar

from letters.campaign import Campaign
from letters.campaign.model import Stage
from letters.documents import document_spec
from letters.errors import LettersError
from letters.mail.keying import (
    GROUP,
    Failed,
    KeyedChunk,
    Keying,
    LaidOut,
    Layout,
    Values,
    entry,
    key_letters,
    lay_out,
    values_of,
)
from letters.render.pieces import BatchJob, FullRenderer, PieceInput
from letters.render.variants import Keyed, TemplateData, describe
from letters.render.workers import renderer_for


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
    laid_out: int = 0
    """Variants laid out (and checked): every variant but those whose letters could not be keyed."""


def preflight(campaign: Campaign, stage: Stage, phase: int, as_of: date, pieces: Sequence[PieceInput],
              kind: str, pool: Executor | None = None) -> Preflight:  # fmt: skip
    """Key every letter of the run, lay out and check every variant; refuse (``LettersError``) what cannot print.

    With a ``pool`` the letters are keyed in chunks and the variants laid out a document at a
    time in its workers; without one, in this process. The result is the same either way.
    """
    job = BatchJob(campaign.code, phase, 0, campaign.revision.date, as_of, Path(os.devnull), tuple(pieces),
                   stage=stage.name, document=stage.document)  # fmt: skip
    # Language by language: a letter lacking required content is reported before another language's catalog.
    versions = sorted(((i, lang) for i, p in enumerate(pieces) for lang in p.language.split("+")),
                      key=lambda v: (v[1], v[0]))  # fmt: skip
    document_spec(campaign, stage.document)  # refuses a stage whose document the campaign lacks
    workers = getattr(pool, "_max_workers", 1) if pool is not None else 1
    size = min(KEY_CHUNK, max(1, -(-len(versions) // (workers * 4)))) if pool is not None else KEY_CHUNK
    langs = sorted({lang for _, lang in versions})
    chunks = {lang: [mine[i : i + size] for i in range(0, len(mine), size)]
              for lang in langs for mine in [[v for v in versions if v[1] == lang]]}  # fmt: skip
    tasks = [Keying(replace(job, pieces=tuple(pieces[i] for i, _ in chunk)), lang)
             for lang in langs for chunk in chunks[lang]]  # fmt: skip
    results = iter(list(_run(key_letters, tasks, pool)))  # every chunk back (or its refusal) before any is read
    keyed: dict[tuple[int, str], Keyed | str] = {}
    found_values: dict[tuple[int, str], Values] = {}
    failed: dict[str, KeyedChunk | LettersError | Failed] = {}
    lacking: dict[str, LettersError | Failed] = {}
    for lang in langs:
        for chunk in chunks[lang]:
            got = next(results)
            if isinstance(got, KeyedChunk):
                keyed.update(zip(chunk, got.keyed, strict=True))
                found_values.update(zip(chunk, got.values, strict=True))
                for key, problem in got.lacking.items():
                    lacking.setdefault(key, problem)  # found on the variant's first letter: the first chunk's
            else:
                failed.setdefault(lang, got)
    groups: dict[str, list[int]] = {}
    position = {v: n for n, v in enumerate(versions)}
    for lang in langs:
        if lang in failed:
            _result(failed[lang])
        for version in versions:
            if version[1] == lang:
                k = keyed[version]
                groups.setdefault(k.key if isinstance(k, Keyed) else f"!{k}", []).append(position[version])
        for members in groups.values():
            index, mine = versions[members[0]]
            k = keyed[versions[members[0]]]
            if mine == lang and isinstance(k, Keyed) and k.key in lacking:
                problem = lacking[k.key]
                exc = problem.error() if isinstance(problem, Failed) else problem
                values = _values(job, versions, found_values)
                raise type(exc)(f"variant {describe(values, members)} (VIN {pieces[index].vin}): "
                                f"{exc.message}") from None  # fmt: skip
    values = [found_values[v] for v in versions]
    fallback: dict[str, str] = {}
    refused: dict[str, None] = {}
    shipped: list[TemplateData] = []
    closings: list[str] = []  # a last page with only the signature on it: said, the letters still print
    items = list(groups.items())
    for key, members in items:
        k = keyed[versions[members[0]]]
        if not isinstance(k, Keyed):
            fallback[key] = k
    where = {key: f"variant {describe(values, members)} (VIN {pieces[versions[members[0]][0]].vin})"
             for key, members in items}  # fmt: skip
    # The variants a document at a time: up to GROUP of one language, in the order of their first letters.
    documents: list[list[str]] = []
    for start in range(0, len(items), GROUP):
        kept = [key for key, _ in items[start : start + GROUP] if key not in fallback]
        for lang in sorted({versions[groups[key][0]][1] for key in kept}):
            documents.append([key for key in kept if versions[groups[key][0]][1] == lang])
    layouts = [Layout(replace(job, pieces=tuple(pieces[versions[groups[key][0]][0]] for key in keys)),
                      versions[groups[keys[0]][0]][1], kind,
                      tuple(_first(keyed, versions, groups, key) for key in keys),
                      tuple(where[key] for key in keys)) for keys in documents]  # fmt: skip
    laid: dict[str, LaidOut] = {}
    for keys, result in zip(documents, _run(lay_out, layouts, pool), strict=True):
        laid.update(zip(keys, _result(result), strict=True))
    for key, members in items:
        if key in fallback:
            continue
        index, lang = versions[members[0]]
        found = laid[key]
        if found.error is not None:
            raise found.error.error() if isinstance(found.error, Failed) else found.error
        refused.update(dict.fromkeys(found.refused))
        if found.closing_only:
            closings.append(f"owner letter ({stage.name}, {lang}, variant {describe(values, members)}, e.g. VIN "
                            f"{pieces[index].vin}): the last page of the letter carries only its closing lines (the "
                            "signature alone on a page, a sheet of paper and postage for it); shorten the letter "
                            "or tighten its layout")  # fmt: skip
        if found.overflows:
            raise LayoutError(f"{where[key]}: the {stage.name} letter's text does not fit: "
                              + "; ".join(found.overflows))  # fmt: skip
        if found.fallback is not None:
            fallback[key] = found.fallback
        elif found.template is not None:
            shipped.append(found.template)
    variants = []
    for key, members in items:
        index, lang = versions[members[0]]
        variants.append(Variant(key, lang, describe(values, members), pieces[index].vin, len(members),
                                fallback.get(key)))  # fmt: skip
    per_piece = tuple(_layouts(pieces, keyed, fallback) if kind == "fast" else ("" for _ in pieces))
    warnings = [f"owner letter: refused resource {url} (outside the campaign); the letters print without it"
                for url in refused] + closings  # fmt: skip
    if len(versions) >= 20 and len(variants) > len(versions) // 4:
        warnings.append(f"{len(variants):,} layout variants for {len(versions):,} letters: the owner letter prints "
                        "per-letter text outside data-field spans, so most letters are laid out on their own "
                        "(mark single-line per-letter values data-field to stamp them)")  # fmt: skip
    return Preflight(per_piece, tuple(variants), tuple(shipped), tuple(warnings), len(laid))


KEY_CHUNK = 100
"""Letters keyed per template render in this process (the context is built once per render: 0.58 ms a letter
at 25, 0.48 at 200, measured on the 23LJ01 letter); with a pool, chunks small enough for each worker to take
about four."""

T = TypeVar("T")
R = TypeVar("R")


def _run(work: Callable[[T], R], tasks: Sequence[T], pool: Executor | None) -> Iterator[R]:
    """``work`` over ``tasks``, in order: in the pool's workers (all submitted at once; one task too, as a worker
    has the renderer loaded and this process does not), or here."""
    if pool is None:
        return (work(t) for t in tasks)
    futures = [pool.submit(work, t) for t in tasks]

    def results() -> Iterator[R]:
        try:
            for future in futures:
                yield future.result()
        finally:
            for future in futures:
                future.cancel()  # a refusal leaves no unit of this preflight queued behind it

    return results()


def _result(found: R | LettersError | Failed) -> R:
    """A unit's result, or the refusal it carried back raised here."""
    if isinstance(found, Failed):
        raise found.error() from None
    if isinstance(found, LettersError):
        raise found
    return found


def _values(job: BatchJob, versions: Sequence[tuple[int, str]],
            found: dict[tuple[int, str], Values]) -> list[Values]:  # fmt: skip
    """Every letter's describing values: those the keying found, the rest (a language it refused) made here."""
    if all(v in found for v in versions):
        return [found[v] for v in versions]
    english = _checker(job).renderer("en")
    return [found.get((i, lang)) or values_of(job.pieces[i], job, lang, str(english.brand_of(
        job.pieces[i].letter(job)).get("name", ""))) for i, lang in versions]  # fmt: skip


def _first(keyed: dict[tuple[int, str], Keyed | str], versions: Sequence[tuple[int, str]],
           groups: dict[str, list[int]], key: str) -> Keyed:  # fmt: skip
    k = keyed[versions[groups[key][0]]]
    assert isinstance(k, Keyed) and k.masked
    return k


def _checker(job: BatchJob) -> FullRenderer:
    """The full renderer of this process, for the required-content check of each variant."""
    from letters.render.fast import FastRenderer

    fast = renderer_for(job.campaign, job.revision.isoformat(), "fast")
    assert isinstance(fast, FastRenderer)
    return fast.full


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
                entries.append(entry(k))
        out.append(json.dumps(entries, separators=(",", ":"), ensure_ascii=False))
    return out
