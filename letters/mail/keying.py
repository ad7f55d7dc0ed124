"""The mail preflight's work, in units a worker process (or the planning process itself) does alone.

``key_letters``: a chunk of the run's letters rendered through the real template and keyed
into their layout variants (``letters.render.variants``), with the values that describe them.
``lay_out``: one document of variants (up to ``GROUP`` of one language) laid out, checked and,
for the fast renderer, verified against a full render. Each unit is a pure function of its
input: the preflight's result is the same whichever process did which unit, and in whatever
order they finished (``letters.mail.preflight`` reads them back in order).
"""

from __future__ import annotations

import json
import os
import pickle
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from letters.documents import DocumentSpec, Letter, Renderer, RenderOptions, document_spec
from letters.errors import LettersError
from letters.render.closing import closing_alone
from letters.render.pdf import layout
from letters.render.pieces import LAYOUT, BatchJob, PieceInput
from letters.render.template import overflows_of
from letters.render.variants import Keyed, TemplateData
from letters.render.workers import renderer_for

if TYPE_CHECKING:  # the renderer loads in the fork server and where a run is planned, not on import
    from letters.render.fast import FastRenderer
    from letters.render.template import Template

GROUP = 25
"""Variants laid out (and verified) together in one document."""

Values = dict[str, str]
"""The values a letter's variant is described by (brand, model, model_year, phase, stage, lang)."""


class Failed(Exception):
    """A ``LettersError`` raised in a unit, carried back as its class and message (any class pickles so)."""

    def __init__(self, kind: type[LettersError], message: str) -> None:
        super().__init__(kind, message)
        self.kind, self.message = kind, message

    def error(self) -> LettersError:
        """The error as it was raised."""
        try:
            return self.kind(self.message)
        except TypeError:  # a class that takes more than a message
            return LettersError(self.message)


def _carried(exc: LettersError) -> LettersError | Failed:
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:  # any class that does not survive the trip goes back as its class and message
        return Failed(type(exc), exc.message)
    return exc


def _fast(job: BatchJob) -> FastRenderer:
    from letters.render.fast import FastRenderer

    # A worker outlives the environment it started in (a fork server): take the job's project.
    os.environ["LETTERS_HOME"] = job.home
    fast = renderer_for(job.campaign, job.revision.isoformat(), "fast")
    assert isinstance(fast, FastRenderer)
    return fast


def values_of(piece: PieceInput, job: BatchJob, lang: str, brand: str) -> Values:
    """The values a variant is described by."""
    return _values(piece.letter(job), job, lang, brand)


def _values(letter: Letter, job: BatchJob, lang: str, brand: str) -> Values:
    return {"brand": brand, "model": letter.model, "model_year": str(letter.model_year or ""),
            "phase": str(job.phase), "stage": job.stage, "lang": lang}  # fmt: skip


@dataclass(frozen=True)
class Keying:
    """Letters of a run to key: one language, consecutive in the preflight's order."""

    job: BatchJob
    """The run's pieces this chunk keys (and only those), in its stage, phase and date."""
    lang: str
    """Their language version."""


@dataclass(frozen=True)
class KeyedChunk:
    """A chunk's letters keyed, in the chunk's order."""

    keyed: tuple[Keyed | str, ...]
    """Each letter keyed, or why it cannot be; a key already given earlier in the chunk comes back without
    its masked HTML (only a variant's first letter's is read)."""
    values: tuple[Values, ...]
    """Each letter's describing values."""
    lacking: dict[str, LettersError | Failed]
    """Content its kind requires that a variant's letter lacks, by key (checked on its first letter here)."""


def key_letters(task: Keying) -> KeyedChunk | LettersError | Failed:
    """Every letter of the chunk rendered through its template and keyed, and each variant's first letter checked
    for the content its kind requires; a template failing names its letter."""
    job, lang = task.job, task.lang
    try:
        fast = _fast(job)
        versions = [(i, lang) for i in range(len(job.pieces))]
        found = _key(fast, job, versions)
        english = fast.full.renderer("en")
        values = tuple(_values(letter, job, lang, str(english.brand_of(letter).get("name", "")))
                       for letter in (p.letter(job) for p in job.pieces))  # fmt: skip
        spec = document_spec(fast.loaded.campaign, job.document)
        renderer = fast.full.renderer(lang)
    except LettersError as exc:
        return _carried(exc)
    lacking: dict[str, LettersError | Failed] = {}
    keyed: list[Keyed | str] = []
    seen: set[str] = set()
    for version in versions:
        k = found[version]
        if isinstance(k, Keyed):
            if k.key in seen:
                k = replace(k, masked="")
            else:
                problem = _lacks(renderer, spec, job, k)
                if problem is not None:
                    lacking[k.key] = problem
            seen.add(k.key)
        keyed.append(k)
    return KeyedChunk(tuple(keyed), values, lacking)


_CHECKED: dict[tuple[str, ...], LettersError | Failed | None] = {}
"""Variants this process checked for required content, by project, campaign, revision, document, stage and key."""


def _lacks(renderer: Renderer, spec: DocumentSpec, job: BatchJob, k: Keyed) -> LettersError | Failed | None:
    """What the kind requires that the variant's letter lacks, once per variant and process (the key is a hash
    of the very HTML checked)."""
    key = (job.home, job.campaign, job.revision.isoformat(), job.document, job.stage, k.key)
    if key not in _CHECKED:
        if len(_CHECKED) >= 4096:
            _CHECKED.clear()
        try:
            renderer.check_required(spec, f"{k.frame[0]}{k.masked}{k.frame[1]}", job.stage)
            _CHECKED[key] = None
        except LettersError as exc:
            _CHECKED[key] = _carried(exc)
    return _CHECKED[key]


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


@dataclass(frozen=True)
class Layout:
    """Variants of one language to lay out in one document: the first letter of each."""

    job: BatchJob
    """One piece per variant (its first letter's), in the variants' order."""
    lang: str
    """Their language."""
    kind: str
    """The run's renderer: "fast" lays the variants' templates out and verifies them, "full" lays out a letter."""
    keyed: tuple[Keyed, ...]
    """Each variant's first letter, keyed."""
    where: tuple[str, ...]
    """How a refusal names each variant: ``variant brand=..., lang=... (VIN ...)``."""


@dataclass(frozen=True)
class LaidOut:
    """What laying out one variant found."""

    overflows: tuple[str, ...]
    """Text its boxes cut off or that runs off the page (the run is refused)."""
    refused: tuple[str, ...]
    """Resources it named but may not use."""
    closing_only: bool
    """Its last page carries only the closing lines."""
    fallback: str | None = None
    """Why its letters go to the full renderer; None: they are stamped."""
    template: TemplateData | None = None
    """Its verified template (the fast renderer, no fallback)."""
    error: LettersError | Failed | None = None
    """A refusal naming the variant (the full renderer's layout failed)."""


def lay_out(task: Layout) -> tuple[LaidOut, ...] | LettersError | Failed:
    """The document's variants laid out and checked; with the fast renderer, their templates verified.

    A template that fails to lay out refuses the whole document (named by the first variant
    that fails alone); any other refusal is per variant, reported in the preflight's order.
    """
    try:
        fast = _fast(task.job)
        if task.kind != "fast":
            return tuple(_full_layout(fast, task, n) for n in range(len(task.keyed)))
        templates = _templates(fast, task)
        found = [LaidOut(t.overflows, tuple(t.refused), t.closing_only, t.problem) for t in templates]
        if any(f.overflows for f in found):
            return tuple(found)  # refused: nothing to verify
        checked = _verify(fast, task, [n for n, f in enumerate(found) if f.fallback is None])
    except LettersError as exc:
        return _carried(exc)
    out = []
    for n, f in enumerate(found):
        if f.fallback is None:
            problem = checked[n]
            f = replace(f, fallback=problem, template=templates[n].shipped() if problem is None else None)
        out.append(f)
    return tuple(out)


def _templates(fast: FastRenderer, task: Layout) -> list[Template]:
    """The variants' templates, laid out together; a layout that fails names its variant."""
    try:
        return list(fast.build(list(task.keyed), task.lang))
    except LettersError:
        for n, k in enumerate(task.keyed):  # one at a time, to name the variant
            try:
                fast.build([k], task.lang)
            except LettersError as exc:
                raise type(exc)(f"{task.where[n]}: {exc.message}") from None
        raise


def _full_layout(fast: FastRenderer, task: Layout, n: int) -> LaidOut:
    """A full-renderer run: the variant's letter laid out; its overflows, refused resources, closing lines."""
    job, lang = task.job, task.lang
    renderer = fast.full.renderer(lang)
    spec = document_spec(fast.loaded.campaign, job.document)
    try:
        html = renderer.html(spec, RenderOptions(letters=(job.pieces[n].letter(job),), mailing=True, lang=lang,
                                                 strict=True))  # fmt: skip
        doc, urls = layout(html, fast.loaded.folder, renderer.folders)
    except LettersError as exc:
        return LaidOut((), (), False, error=_carried(type(exc)(f"{task.where[n]}: {exc.message}")))
    overflows = tuple(p for i, page in enumerate(doc.pages) for p in overflows_of(page, i))
    return LaidOut(overflows, tuple(urls), closing_alone(doc.pages))


def _verify(fast: FastRenderer, task: Layout, variants: Sequence[int]) -> dict[int, str | None]:
    """Stamp one letter of each variant and compare them with their full renders, all in one batch.

    Returns why each variant cannot be used, or None. A variant whose letter's own fields do
    not fit stays unverified: the worker that first stamps one of its letters verifies it.
    After a mismatch each variant is tried alone, to find which.
    """
    from letters.render.fast import VerificationError

    job = task.job

    def one(n: int) -> PieceInput:
        piece, k = job.pieces[n], task.keyed[n]
        return replace(piece, language=task.lang, fields=(*piece.fields, (LAYOUT, json.dumps([entry(k)]))))

    def check(group: Sequence[int]) -> str | None:
        try:
            fast.render_pdf(replace(job, pieces=tuple(one(n) for n in group)), verify_all=True)
        except VerificationError as exc:
            return f"its variant failed verification ({exc.message.split(': ', 1)[-1]})"
        return None

    if not variants:
        return {}
    found = check(variants)
    if found is None or len(variants) == 1:
        return dict.fromkeys(variants, found)
    return {n: check([n]) for n in variants}


def entry(k: Keyed) -> dict[str, object]:
    """A letter version's ``LAYOUT`` entry: its variant and its stamped fields."""
    return {"key": k.key, "stamps": [list(s) for s in k.stamps]}
