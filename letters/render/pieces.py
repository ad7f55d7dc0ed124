"""Owner-letter batches: the one small interface every letter renderer implements.

``render_batch(job)`` turns a batch's pieces into one print-ready PDF and says where each
piece landed. ``FullRenderer`` lays every letter out with WeasyPrint; a faster renderer can
slot in behind the same ``BatchRenderer`` protocol.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Protocol

import pikepdf
import weasyprint

from letters import paths
from letters.campaign import load_campaign
from letters.campaign.values import decode, encode
from letters.documents import OWNER_LETTER, Letter, Renderer, RenderOptions, document_spec
from letters.press.finish import SAVE, finish, gray_pages
from letters.press.marks import PieceMarks, apply_marks
from letters.records.model import Vehicle
from letters.render import progress
from letters.render.pdf import PdfMetadata, layout, write
from letters.render.variants import TemplateData
from letters.usage import Clock
from letters.write import durable_write

VEHICLE_DATA = "_vehicle"
"""Key of ``PieceInput.fields`` holding the vehicle's data as JSON (no template field has this name)."""
LAYOUT = "_layout"
"""Key of ``PieceInput.fields`` holding, as JSON, each language version's layout variant and stamped fields
(``{"key": ..., "stamps": [[name, text], ...]}``) or why it goes to the full renderer (``{"full": reason}``),
as the mail preflight found them."""

# Letters laid out per WeasyPrint document. Measured on the 23LJ01 letter: 1, 5 and 25 per
# document all run at about 19 letters/s per core; 25 keeps the number of documents low.
CHUNK = 25


@dataclass(frozen=True)
class PieceInput:
    """One letter to print."""

    piece_id: str
    """campaign-phase-batch-sequence."""
    vin: str
    """VIN printed on the letter."""
    address: tuple[str, ...]
    """Envelope lines, already in USPS form."""
    language: str
    """Language of the letter."""
    fields: tuple[tuple[str, str], ...] = ()
    """Other per-owner fields, (data-field name, text): the vehicle's model, model year, both."""
    bars: str = ""
    """The piece's Intelligent Mail barcode (65 letters F/A/D/T); empty: none."""

    def layout(self) -> list[dict[str, Any]] | None:
        """The preflight's layout of each language version (``LAYOUT``); None when it was planned without."""
        raw = dict(self.fields).get(LAYOUT)
        return json.loads(raw) if raw else None

    def letter(self, job: BatchJob) -> Letter:
        """The letter this piece prints, in ``job``'s stage, phase and date."""
        extra = dict(self.fields)
        data = json.loads(extra.get(VEHICLE_DATA, "{}"))
        year = extra.get("model-year", "")
        built = data.get("production_date")
        return Letter(self.vin, self.address, job.letter_date, self.piece_id, job.stage, job.phase,
                      extra.get("model", ""), int(year) if year.isdigit() else None,
                      date.fromisoformat(built) if built else None, data.get("location", ""),
                      decode(data.get("values", [])))  # fmt: skip

    @staticmethod
    def vehicle_fields(vehicle: Vehicle) -> dict[str, str]:
        """The per-owner fields a vehicle gives, by data-field name (as ``Letter`` prints them), and its data.

        ``VEHICLE_DATA`` holds what the letter knows of the vehicle beyond the printed
        fields (production date, location, declared and computed values) as JSON.
        """
        letter = Letter(model=vehicle.model, model_year=vehicle.model_year)
        data = {"production_date": vehicle.production_date.isoformat(), "location": vehicle.location,
                "values": encode(vehicle.values)}  # fmt: skip
        return {"model": letter.model, "model-year": str(vehicle.model_year), "vehicle": letter.vehicle_label,
                VEHICLE_DATA: json.dumps(data, sort_keys=True)}  # fmt: skip


@dataclass(frozen=True)
class BatchJob:
    """Everything a worker needs to render one batch file."""

    campaign: str
    """Campaign code."""
    phase: int
    """Phase."""
    batch: int
    """Batch number."""
    revision: date
    """Campaign revision date."""
    letter_date: date
    """Date printed on the letters."""
    target: Path
    """Final path of the batch PDF."""
    pieces: tuple[PieceInput, ...]
    """Letters, in print order."""
    duplex: bool = True
    """Pad each letter to an even page count."""
    stage: str = "remedy"
    """Owner-letter stage the batch prints."""
    document: str = OWNER_LETTER
    """Document the stage prints."""
    proof: bool = False
    """A proof run (``--proof``): every page stamped PROOF."""
    draft: bool = False
    """A draft run (``--draft``): every page stamped DRAFT."""
    home: str = field(default_factory=lambda: str(paths.home()))
    """Project folder the job was planned in; a worker renders from the same one."""
    variants: tuple[TemplateData, ...] = ()
    """Layout variants of the pieces already laid out (and verified) by the mail preflight in this process."""


@dataclass(frozen=True)
class PiecePages:
    """Where one piece landed in its batch file."""

    piece_id: str
    """The piece."""
    first_page: int
    """First page, from 1."""
    last_page: int
    """Last page, padding included."""


@dataclass(frozen=True)
class BatchOutput:
    """What a rendered batch holds."""

    batch: int
    """Batch number."""
    path: Path
    """The batch file, complete and durable."""
    sha256: str
    """Checksum of the file."""
    pages: int
    """Pages in the file."""
    pieces: tuple[PiecePages, ...]
    """Page ranges, in print order."""
    fallbacks: dict[str, int] = field(default_factory=dict)
    """Letters a fast renderer sent to the full one, by reason."""
    timings: dict[str, float] = field(default_factory=dict)
    """CPU seconds of the rendering process per part (stamp, verify, press, save, write...), and wall
    seconds as ``part_wall``: the job ticket's breakdown."""
    peak_rss_mb: int = 0
    """Peak resident memory of the process that rendered it."""


class BatchRenderer(Protocol):
    """Renders one batch file."""

    def render_batch(self, job: BatchJob) -> BatchOutput: ...


class FullRenderer:
    """Lays out every letter with WeasyPrint (slow, exact: the reference renderer).

    Mailings are strict: a letter in a language with a missing translation is an error,
    never an English letter in disguise.
    """

    def __init__(self, campaign: str, revision: str) -> None:
        self.loaded = load_campaign(campaign, revision=revision)
        self.renderers: dict[str, Renderer] = {}
        self.specs = {s.name: document_spec(self.loaded.campaign, s.document) for s in self.loaded.campaign.stages}
        english = self.renderer("en")
        blank, _ = layout(self._wrap('<div style="page: owner-letter"></div>'), self.loaded.folder, english.folders)
        self.blank = blank.pages[0]

    def renderer(self, lang: str) -> Renderer:
        if lang not in self.renderers:
            self.renderers[lang] = Renderer(self.loaded, lang, strict=True)
        return self.renderers[lang]

    def _wrap(self, body: str) -> str:
        return (
            '<!doctype html><html><head><meta charset="utf-8">'
            '<link rel="stylesheet" href="../_shared/owner-letter.css"></head>'
            f"<body>{body}</body></html>"
        )

    def render_batch(self, job: BatchJob) -> BatchOutput:
        clock = Clock()
        data, pages, placed = self.render_pdf(job, count=True)
        clock.lap("render")
        durable_write(job.target, data)
        clock.lap("write")
        return BatchOutput(job.batch, job.target, hashlib.sha256(data).hexdigest(), pages, placed,
                           timings=clock.laps)  # fmt: skip

    def render_pdf(self, job: BatchJob, marks: bool = True,
                   count: bool = False) -> tuple[bytes, int, tuple[PiecePages, ...]]:  # fmt: skip
        """The batch as PDF bytes (not written anywhere), its page count and page ranges.

        Black is DeviceGray; with ``marks`` the file is finished for the press (marks, output
        intent, XMP, document parts), as the fast renderer finishes its own. With ``count``
        the letters laid out are counted for the progress bar, chunk by chunk.
        """
        data, pages, placed = self._weasyprint_pdf(job, count)
        pdf = pikepdf.open(io.BytesIO(data))
        gray_pages(pdf)
        if marks:
            press(pdf, job, placed)
        buffer = io.BytesIO()
        pdf.save(buffer, **SAVE)
        return buffer.getvalue(), pages, placed

    def _weasyprint_pdf(self, job: BatchJob, count: bool = False) -> tuple[bytes, int, tuple[PiecePages, ...]]:
        # Each piece is one letter per language of its language code ("es+en": Spanish,
        # then English). Consecutive versions in one language are laid out together.
        versions = [(i, lang) for i, piece in enumerate(job.pieces) for lang in piece.language.split("+")]
        own: list[list[weasyprint.document.Page]] = [[] for _ in job.pieces]
        last = {i: k for k, (i, _) in enumerate(versions)}
        first_doc = None
        start = 0
        while start < len(versions):
            lang = versions[start][1]
            end = start
            while end < len(versions) and end - start < CHUNK and versions[end][1] == lang:
                end += 1
            chunk = versions[start:end]
            letters = tuple(job.pieces[i].letter(job) for i, _ in chunk)
            renderer = self.renderer(lang)
            html = renderer.html(self.specs[job.stage], RenderOptions(letters=letters, mailing=True, lang=lang,
                                                                      strict=True))  # fmt: skip
            doc, _ = layout(html, self.loaded.folder, renderer.folders)
            first_doc = first_doc or doc
            starts = _letter_starts(doc, len(chunk))
            for k, (i, _) in enumerate(chunk):
                own[i].extend(doc.pages[starts[k] : starts[k + 1]])
            if count:
                # A piece counts once its last language version is laid out.
                progress.laid_out(sum(1 for k in range(start, end) if last[versions[k][0]] == k))
            start = end
        assert first_doc is not None, "a batch has at least one piece"
        pages: list[weasyprint.document.Page] = []
        placed: list[PiecePages] = []
        for piece, piece_pages in zip(job.pieces, own, strict=True):
            first = len(pages) + 1
            pages.extend(piece_pages)
            if job.duplex and len(piece_pages) % 2:
                pages.append(self.blank)
            placed.append(PiecePages(piece.piece_id, first, len(pages)))
        meta = PdfMetadata(
            title=f"{job.campaign} phase {job.phase} batch {job.batch:04d}",
            subject=f"Owner letters, {len(job.pieces)} pieces",
            campaign=job.campaign,
            revision=job.revision,
            extra=(
                ("Phase", str(job.phase)),
                ("Batch", f"{job.batch:04d}"),
                ("Code", self.loaded.campaign.code_for(job.stage)),
            ),
        )
        return write(first_doc.copy(pages), meta), len(pages), tuple(placed)


def press(pdf: pikepdf.Pdf, job: BatchJob, placed: Sequence[PiecePages]) -> None:
    """Marks and finishing for the press, the same for both renderers."""
    pieces = [
        PieceMarks(p.piece_id, piece.vin, p.first_page, p.last_page, piece.bars)
        for p, piece in zip(placed, job.pieces, strict=True)
    ]
    apply_marks(pdf, job.batch, pieces, job.duplex)
    with pdf.open_outline() as outline:  # one bookmark per piece (WeasyPrint gives a bilingual one two)
        outline.root[:] = [pikepdf.OutlineItem(f"{p.piece_id} {p.vin}", p.first_page - 1, "Fit") for p in pieces]
    finish(pdf, f"{job.campaign} phase {job.phase} batch {job.batch:04d}", job.campaign, job.phase, job.batch,
           job.revision, pieces, job.proof, job.draft)  # fmt: skip


def _letter_starts(doc: weasyprint.document.Document, count: int) -> list[int]:
    """Page index where each letter of a chunk starts, plus the page count at the end."""
    where: dict[str, int] = {}
    for index, page in enumerate(doc.pages):
        for anchor in page.anchors:
            if anchor.startswith("piece-") and anchor not in where:
                where[anchor] = index
    starts = [where[f"piece-{i}"] for i in range(count)]
    return [*starts, len(doc.pages)]
