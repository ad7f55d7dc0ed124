"""The fast letter renderer: lay the letter out once, then stamp each owner's fields.

Print production engines work this way (PDF/VT, ISO 16612-2). Per (campaign revision,
language, letter date) the owner letter is laid out once by WeasyPrint with its variable
fields hidden; each page becomes a Form XObject shared by every letter of a batch file.
Per letter, only the fields are written: shaped with HarfBuzz in the very font WeasyPrint
embedded (its subset keeps glyph IDs, and a never-printed glyph-coverage page puts every
Latin glyph a field may need into it), as TJ runs with the kerning WeasyPrint would apply.

A field whose text needs a glyph outside the subset, or is wider than its box, sends the
letter to the full renderer; the job ticket counts these fallbacks by reason. Every batch
verifies a sample of letters against full renders, text and pixels, and fails loudly on a
mismatch.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
from collections import Counter
from collections.abc import Sequence
from datetime import date

import pikepdf

from letters.campaign import load_campaign
from letters.documents import Letter, Renderer, RenderOptions, document_spec
from letters.errors import LettersError
from letters.press.finish import SAVE, gray_pages
from letters.render import progress
from letters.render.pdf import PdfMetadata, layout, write
from letters.render.pieces import BatchJob, BatchOutput, FullRenderer, PieceInput, PiecePages, press
from letters.render.shaping import ADDRESS_LINES, PANGO_SCALE, shape, widths_of
from letters.render.template import Slot as Slot
from letters.render.template import Template as Template
from letters.render.template import (
    _Clock,
    _f,
    _field_boxes,
    _fonts,
    _letter_page_count,
    _num,
    _outline,
)
from letters.write import durable_write


class VerificationError(LettersError):
    """A fast-rendered letter differs from its full render."""


class FastRenderer:
    """Stamps fields onto a shared Form XObject per template page."""

    def __init__(self, campaign: str, revision: str) -> None:
        self.loaded = load_campaign(campaign, revision=revision)
        self.full = FullRenderer(campaign, revision)
        self.templates: dict[tuple[str, date, str, int], Template] = {}

    # -- templates -----------------------------------------------------------------

    def template(self, lang: str, job: BatchJob) -> Template:
        # Stage and phase are the same for every letter of a run: part of the template, not fields.
        key = (lang, job.letter_date, job.stage, job.phase)
        if key not in self.templates:
            self.templates[key] = self._build(lang, job)
        return self.templates[key]

    def _build(self, lang: str, job: BatchJob) -> Template:
        renderer = Renderer(self.loaded, lang, strict=True)
        placeholder = Letter("W" * 17, tuple("W" for _ in range(ADDRESS_LINES)), job.letter_date, "W", job.stage,
                             job.phase, "W", "W")  # type: ignore[arg-type]  # fmt: skip
        options = RenderOptions(letters=(placeholder,), mailing=True, lang=lang, strict=True, fast_template=True)
        html = renderer.html(document_spec(renderer.campaign, job.document), options)
        doc, _ = layout(html, self.loaded.folder, renderer.folders)
        letter_pages = _letter_page_count(doc)
        slots: dict[str, Slot] = {}
        for index, page in enumerate(doc.pages[:letter_pages]):
            for name, block, text in _field_boxes(page):
                style = text.style
                left = float(block.content_box_x())
                right = left + float(block.width)
                align = "right" if str(style["text_align_all"]) == "right" else "left"
                color = style["color"]
                slots[name] = Slot(
                    page=index,
                    x=right if align == "right" else float(text.position_x),
                    baseline=float(text.position_y + text.baseline),
                    width=right - (left if align == "right" else float(text.position_x)),
                    # Pango holds sizes in 1/1024 px, truncated; so must we, to land on its pixels.
                    size=int(float(style["font_size"]) * PANGO_SCALE) / PANGO_SCALE,
                    bold=int(style["font_weight"]) >= 600,
                    color=tuple(float(c) for c in color.to("srgb").coordinates),  # type: ignore[arg-type]
                    align=align,
                )
        data = write(doc, PdfMetadata("template", "", self.loaded.campaign.code, self.loaded.campaign.revision.date))
        pdf = pikepdf.open(io.BytesIO(data))
        gray_pages(pdf)  # the shared template pages carry black as DeviceGray, as the full renderer's do
        fonts, allowed = _fonts(pdf)
        widths = {bold: widths_of(font) for bold, font in fonts.items()}
        return Template(lang, pdf, letter_pages, slots, fonts, allowed, widths)

    # -- batches -------------------------------------------------------------------

    def render_batch(self, job: BatchJob) -> BatchOutput:
        clock = _Clock()
        out = pikepdf.new()
        kids: list[pikepdf.Object] = []
        placed: list[PiecePages] = []
        marks: list[tuple[str, int]] = []
        resources: dict[tuple[str, int], pikepdf.Object] = {}
        fonts: dict[tuple[str, bool], pikepdf.Object] = {}
        blank = out.make_indirect(pikepdf.Stream(out, b""))
        media = pikepdf.Array([0, 0, 612, 792])
        fallback_pieces: list[int] = []
        reasons: list[str] = []
        streams: list[tuple[int, list[pikepdf.Object]]] = []

        for index, piece in enumerate(job.pieces):
            versions = piece.language.split("+")
            pages: list[pikepdf.Object] = []
            reason = None
            for lang in versions:
                tpl = self.template(lang, job)
                stamped, reason = self._stamp(out, tpl, piece, resources, fonts, media)
                if reason:
                    break
                pages.extend(stamped)
            if reason:
                reasons.append(reason)
                fallback_pieces.append(index)
                pages = []
            streams.append((index, pages))
            progress.laid_out()

        clock.lap("stamp")
        fallback_pages = self._fallbacks(out, job, fallback_pieces)
        clock.lap("fallback")
        for index, pages in streams:
            if index in fallback_pages:
                pages = fallback_pages[index]
            first = len(kids) + 1
            kids.extend(pages)
            if job.duplex and len(pages) % 2:
                pad = pikepdf.Dictionary(Type=pikepdf.Name.Page, MediaBox=media, Contents=blank,
                                         Resources=pikepdf.Dictionary())  # fmt: skip
                kids.append(out.make_indirect(pad))
            piece = job.pieces[index]
            placed.append(PiecePages(piece.piece_id, first, len(kids)))
            marks.append((f"{piece.piece_id} {piece.vin}", first - 1))

        # Build the page tree's Kids array once: appending pages one by one is quadratic.
        root = out.Root.Pages
        for kid in kids:
            kid.Parent = root
        root.Kids = pikepdf.Array(kids)
        root.Count = len(kids)
        _outline(out, [(title, kids[page]) for title, page in marks])
        out.docinfo = out.make_indirect(pikepdf.Dictionary(
            Title=f"{job.campaign} phase {job.phase} batch {job.batch:04d}",
            Subject=f"Owner letters, {len(job.pieces)} pieces", Creator="letters", Producer="letters fast renderer",
            Keywords=f"{job.campaign}, revision {job.revision.isoformat()}",
            Campaign=job.campaign, Revision=job.revision.isoformat(), Phase=str(job.phase), Batch=f"{job.batch:04d}",
        ))  # fmt: skip
        clock.lap("stamp")
        press(out, job, placed)
        clock.lap("press")
        buffer = io.BytesIO()
        out.save(buffer, **SAVE)  # PDF 1.6 (PDF/X-4), as the finishing step says
        data = buffer.getvalue()
        clock.lap("save")
        # Verified in memory, before anything reaches the output folder.
        self._verify(job, data, placed, set(fallback_pieces))
        clock.lap("verify")
        durable_write(job.target, data)
        clock.lap("write")
        return BatchOutput(job.batch, job.target, hashlib.sha256(data).hexdigest(), len(kids), tuple(placed),
                           dict(Counter(reasons)), timings=clock.laps)  # fmt: skip

    def _verify(self, job: BatchJob, data: bytes, placed: Sequence[PiecePages], fallen: set[int]) -> None:
        """Render sample letters fully and compare text and pixels with the fast output.

        The first batch a process prints from a template is checked at its first, middle and
        last letter (and one in a thousand): that proves the template's field positions and
        fonts. Every later batch from the same template checks the letter with the longest
        address line, where a wrong glyph or advance shows most.
        """
        templates = [self.template(lang, job) for lang in sorted({v for p in job.pieces
                                                                  for v in p.language.split("+")})]  # fmt: skip
        if all(t.verified for t in templates):
            longest = max(range(len(job.pieces)), key=lambda i: max(len(line) for line in job.pieces[i].address))
            picks = [i for i in [longest][:SAMPLE_AFTER] if i not in fallen]
        else:
            picks = [i for i in sample_indexes(len(job.pieces)) if i not in fallen]
        self._compare(job, data, placed, picks)
        for t in templates:
            t.verified = True

    def _compare(self, job: BatchJob, data: bytes, placed: Sequence[PiecePages], picks: list[int]) -> None:
        if not picks:
            return
        reference = dataclasses.replace(job, pieces=tuple(job.pieces[i] for i in picks))
        full, _, full_placed = self.full.render_pdf(reference)
        for i, ref in zip(picks, full_placed, strict=True):
            mine = placed[i]
            ours = page_fingerprints(data, range(mine.first_page - 1, mine.last_page))
            theirs = page_fingerprints(full, range(ref.first_page - 1, ref.last_page))
            if len(ours) != len(theirs):
                raise VerificationError(f"piece {mine.piece_id}: {len(ours)} pages, full render has {len(theirs)}")
            for n, ((text_a, pix_a), (text_b, pix_b)) in enumerate(zip(ours, theirs, strict=True), start=1):
                if text_a != text_b:
                    raise VerificationError(f"piece {mine.piece_id}, page {n}: text differs from the full render")
                if pix_a != pix_b:
                    raise VerificationError(f"piece {mine.piece_id}, page {n}: pixels differ from the full render")

    def _stamp(self, out: pikepdf.Pdf, tpl: Template, piece: PieceInput,
               resources: dict[tuple[str, int], pikepdf.Object], fonts: dict[tuple[str, bool], pikepdf.Object],
               media: pikepdf.Array) -> tuple[list[pikepdf.Object], str | None]:  # fmt: skip
        values = {"piece": f"{piece.piece_id} · {piece.vin}", "vin": piece.vin}
        # Declared per-owner fields the template marks (data-field="model", ...): stamped like the rest.
        values.update((name, text) for name, text in piece.fields if name in tpl.slots)
        for i, line in enumerate(piece.address[:ADDRESS_LINES], start=1):
            values[f"addr-{i}"] = line
        if len(piece.address) > ADDRESS_LINES:
            return [], "address has more lines than the window holds"
        ops: dict[int, list[bytes]] = {}
        for name, raw in values.items():
            text = " ".join(raw.split())  # HTML collapses white space; so must the stamp
            slot = tpl.slots.get(name)
            if slot is None:
                return [], f"template has no field {name}"
            cache_key = (text, slot.bold, slot.size)
            shaped = tpl.shaped.get(cache_key)
            if shaped is None:
                # Same text, font and size give the same glyphs and advances: a whole-line cache
                # is exact. It is bounded, since most lines (piece IDs, VINs) never repeat.
                if len(tpl.shaped) > SHAPE_CACHE:
                    tpl.shaped.clear()
                shaped = tpl.shaped[cache_key] = shape(text, slot.bold, slot.size, tpl.widths[slot.bold])
            if not shaped.gids <= tpl.allowed or 0 in shaped.gids:
                return [], "glyph outside the embedded font"
            if shaped.width > slot.width + 0.01:
                return [], f"{name.split('-')[0]} wider than its box"
            x = slot.x - shaped.width if slot.align == "right" else slot.x
            font = b"/FB" if slot.bold else b"/FR"
            r, g, b = slot.color
            colour = b"%s g" % _num(r) if r == g == b else b"%s rg" % _num(r, g, b)
            ops.setdefault(slot.page, []).append(
                b"%s\nBT\n1 0 0 -1 %s %s Tm\n%s %s Tf\n%s TJ\nET\n"
                % (colour, _f(x), _f(slot.baseline), font, _f(slot.size), shaped.tj)
            )
        pages: list[pikepdf.Object] = []
        for index in range(tpl.pages):
            key = (tpl.lang, index)
            if key not in resources:
                # One resource dictionary per template page, shared by every letter of the batch.
                if (tpl.lang, False) not in fonts:
                    for bold in (False, True):
                        fonts[(tpl.lang, bold)] = out.copy_foreign(tpl.fonts[bold])
                resources[key] = out.make_indirect(pikepdf.Dictionary(
                    XObject=pikepdf.Dictionary(T=out.copy_foreign(tpl.pdf.pages[index].as_form_xobject())),
                    Font=pikepdf.Dictionary(FR=fonts[(tpl.lang, False)], FB=fonts[(tpl.lang, True)]),
                ))  # fmt: skip
            # The template, then the fields in WeasyPrint's coordinates (px, y down).
            content = b"q\n/T Do\nQ\nq\n1 0 0 -1 0 792 cm\n0.75 0 0 0.75 0 0 cm\n%sQ\n" % b"".join(ops.get(index, []))
            pages.append(out.make_indirect(pikepdf.Dictionary(
                Type=pikepdf.Name.Page, MediaBox=media, Resources=resources[key],
                Contents=out.make_indirect(pikepdf.Stream(out, content)),
            )))  # fmt: skip
        return pages, None

    def _fallbacks(self, out: pikepdf.Pdf, job: BatchJob, indexes: Sequence[int]) -> dict[int, list[pikepdf.Object]]:
        """Full renders of the letters the fast path refused, as pages of ``out``."""
        if not indexes:
            return {}
        sub = dataclasses.replace(job, pieces=tuple(job.pieces[i] for i in indexes), duplex=False)
        data, _, placed = self.full.render_pdf(sub, marks=False)  # marked with the rest of the file
        src = pikepdf.open(io.BytesIO(data))
        return {
            i: [out.copy_foreign(src.pages[n].obj) for n in range(p.first_page - 1, p.last_page)]
            for i, p in zip(indexes, placed, strict=True)
        }


SAMPLE_MIN = 3
SAMPLE_EVERY = 1000
SAMPLE_AFTER = 1
"""Letters verified per batch once the template's first batch passed the full sample in this process."""
SHAPE_CACHE = 50_000
"""Shaped field texts kept per template."""
VERIFY_DPI = 50


def sample_indexes(count: int) -> list[int]:
    """Letters of a batch to verify: first, middle, last, and one in every thousand."""
    picks = {0, count // 2, count - 1, *range(SAMPLE_EVERY - 1, count, SAMPLE_EVERY)}
    return sorted(i for i in picks if 0 <= i < count)[: max(SAMPLE_MIN, count // SAMPLE_EVERY + SAMPLE_MIN)]


def page_fingerprints(pdf: bytes, pages: Sequence[int]) -> list[tuple[str, bytes]]:
    """Extracted text and rasterised pixels of the given pages (0-based) of a PDF in memory."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf)
    try:
        out = []
        for index in pages:
            page = doc[index]
            text = page.get_textpage().get_text_range()
            bitmap = page.render(scale=VERIFY_DPI / 72, grayscale=True)
            # Stream order differs (fields are drawn after the template), so words are compared
            # as a sorted list; the pixels check where they are.
            out.append((" ".join(sorted(text.split())), bytes(bitmap.buffer)))
            page.close()
        return out
    finally:
        doc.close()
