"""The fast letter renderer: lay each layout variant out once, then stamp each owner's fields.

Print production engines work this way (PDF/VT, ISO 16612-2). The letters of a run are
grouped into layout variants by their masked HTML (``letters.render.variants``): every
letter rendered through the real template, its stamped fields replaced by a placeholder.
Each variant is laid out once by WeasyPrint with its fields hidden; each page becomes a Form
XObject shared by every letter of that variant in a batch file. Per letter, only the fields
are written: shaped with HarfBuzz in the very font WeasyPrint embedded (its subset keeps
glyph IDs, and a never-printed glyph-coverage page puts every Latin glyph a field may need
into it), as TJ runs with the kerning WeasyPrint would apply. The batch file is written as bytes
in one pass (``letters.press.writer``): no PDF objects per letter.

A field whose text needs a glyph outside the subset or is wider than its box, and a variant
whose fields could move other text, send the letter to the full renderer; the job ticket
counts these fallbacks by reason.

Verification, failing loudly on any difference: every stamped letter's field runs are read
back and proved from its own text as they are stamped (``letters.render.check``: the right
fields with this piece's values, glyphs that decode to the text, advances and positions as
HarfBuzz and the slot give them), and each layout variant's first letter is compared once
with its full render, text and pixels (by the mail preflight for the variants it ships,
else by the process that laid it out), plus one letter per process (``SAFETY_NET``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import os
from collections import Counter, OrderedDict
from collections.abc import Sequence

import pikepdf

from letters.campaign import load_campaign
from letters.documents import RenderOptions
from letters.press.marks import PieceMarks
from letters.press.writer import BLANK, BatchFile, Page, source_pages, template_resources, write_batch
from letters.render import progress
from letters.render.check import Checker
from letters.render.check import VerificationError as VerificationError
from letters.render.native import PDFIUM
from letters.render.pieces import CHUNK, BatchJob, BatchOutput, FullRenderer, PieceInput, PiecePages
from letters.render.shaping import ADDRESS_LINES
from letters.render.symbolic import SymbolicKeyer
from letters.render.template import Slot as Slot
from letters.render.template import Template as Template
from letters.render.template import _Clock, _f, _num, build_templates
from letters.render.variants import Keyed, key_document
from letters.write import durable_write

Version = tuple[Template | None, tuple[tuple[str, str], ...], str | None]
"""One language version of a piece: its variant's template, its stamped fields, or why it goes to the full
renderer."""

KEY_CHUNK = 100
"""Letters rendered to HTML per template render when keyed (the context is built once per render: 0.58 ms a
letter at 25, 0.48 at 200, measured on the 23LJ01 letter)."""
SYMBOLIC = os.environ.get("LETTERS_SYMBOLIC_KEYING", "1") != "0"
"""Key letters by class (``letters.render.symbolic``); ``LETTERS_SYMBOLIC_KEYING=0`` renders each for real (the
differential tests compare the two)."""
TEMPLATES_KEPT = 64
"""Variant templates a process keeps, least recently used dropped first (a dropped one is laid out again)."""


class FastRenderer:
    """Stamps fields onto a shared Form XObject per page of each layout variant."""

    def __init__(self, campaign: str, revision: str) -> None:
        self.loaded = load_campaign(campaign, revision=revision)
        self.full = FullRenderer(campaign, revision)
        self.templates: OrderedDict[str, Template] = OrderedDict()
        self.check = Checker()
        self._keyers: dict[tuple[str, str], SymbolicKeyer] = {}

    # -- templates -----------------------------------------------------------------

    def template(self, key: str) -> Template | None:
        """The variant's template, if this process has it."""
        found = self.templates.get(key)
        if found is not None:
            self.templates.move_to_end(key)
        return found

    def keep(self, template: Template) -> Template:
        self.templates[template.key] = template
        self.templates.move_to_end(template.key)
        while len(self.templates) > TEMPLATES_KEPT:
            self.templates.popitem(last=False)
        return template

    def build(self, keyed: Sequence[Keyed], lang: str) -> list[Template]:
        """The variants' templates (one language): from this process's cache, else laid out now, together."""
        made: dict[str, Template] = {}
        missing: dict[str, Keyed] = {}
        for k in keyed:
            if (found := self.template(k.key)) is not None:
                made[k.key] = found
            else:
                missing[k.key] = k
        for frame in dict.fromkeys(k.frame for k in missing.values()):
            mine = [k for k in missing.values() if k.frame == frame]
            for start in range(0, len(mine), CHUNK):  # a bounded document per layout
                for tpl in build_templates(mine[start : start + CHUNK], self.loaded, self.full.renderer(lang).folders,
                                           lang):  # fmt: skip
                    made[tpl.key] = self.keep(tpl)
        return [made[k.key] for k in keyed]

    def key(self, job: BatchJob, versions: Sequence[tuple[int, str]]) -> dict[tuple[int, str], Keyed | str]:
        """Each (piece index, language) keyed from its own HTML, or why it cannot be.

        A letter's HTML comes from its class's symbolic render where the template allows
        (``letters.render.symbolic``), else from rendering it through the template with others.
        """
        out: dict[tuple[int, str], Keyed | str] = {}
        spec = self.full.specs[job.stage]
        for lang in sorted({lang for _, lang in versions}):
            mine = [v for v in versions if v[1] == lang]
            renderer = self.full.renderer(lang)
            rest = mine
            if SYMBOLIC:
                keyer = self._keyers.get((lang, spec.name))
                if keyer is None:
                    options = RenderOptions(mailing=True, lang=lang, strict=True)
                    keyer = self._keyers[(lang, spec.name)] = SymbolicKeyer(renderer, spec, options)
                docs = keyer.html([job.pieces[i].letter(job) for i, _ in mine])
                rest = []
                for version, doc in zip(mine, docs, strict=True):
                    found = key_document(doc, 1) if doc is not None else None
                    if found is None:
                        rest.append(version)
                    else:
                        out[version] = found[0]
            for start in range(0, len(rest), KEY_CHUNK):
                chunk = rest[start : start + KEY_CHUNK]
                letters = tuple(job.pieces[i].letter(job) for i, _ in chunk)
                html = renderer.html(spec, RenderOptions(letters=letters, mailing=True, lang=lang, strict=True))
                keyed = key_document(html, len(chunk))
                for n, version in enumerate(chunk):
                    out[version] = keyed[n] if keyed is not None else "owner letter has no letter sections to key"
        return out

    def layouts(self, job: BatchJob) -> list[list[Version]]:
        """Per piece, per language version: the template and stamps it prints with, or why it cannot."""
        opened: dict[int, Template] = {}
        for shipped in job.variants:
            if self.template(shipped.key) is None:
                self.keep(Template.from_data(shipped, opened))
        out: list[list[Version] | None] = []
        wanted: list[tuple[int, str]] = []
        for index, piece in enumerate(job.pieces):
            versions = piece.language.split("+")
            stored = piece.layout()
            mine: list[Version] = []
            for entry in stored if stored is not None and len(stored) == len(versions) else []:
                if "full" in entry:
                    mine.append((None, (), str(entry["full"])))
                elif (tpl := self.template(str(entry["key"]))) is not None:
                    mine.append((tpl, tuple((str(n), str(t)) for n, t in entry["stamps"]), None))
            if len(mine) == len(versions):
                out.append(mine)
            else:  # planned without layouts (an older run, a template this process no longer has): keyed here
                out.append(None)
                wanted.extend((index, lang) for lang in versions)
        keyed = self.key(job, wanted) if wanted else {}
        built: dict[str, Template] = {}
        for lang in sorted({lang for _, lang in wanted}):
            todo = [k for (_, v), k in keyed.items() if v == lang and isinstance(k, Keyed)]
            built.update((t.key, t) for t in self.build(todo, lang))
        final: list[list[Version]] = []
        for index, (piece, found) in enumerate(zip(job.pieces, out, strict=True)):
            if found is None:
                found = []
                for lang in piece.language.split("+"):
                    k = keyed[(index, lang)]
                    found.append((None, (), k) if isinstance(k, str) else (built[k.key], k.stamps, None))
            final.append(found)
        return final

    # -- batches -------------------------------------------------------------------

    def render_batch(self, job: BatchJob) -> BatchOutput:
        clock = _Clock()
        data, pages, placed, reasons, _ = self.render_pdf(job, clock)
        durable_write(job.target, data)
        clock.lap("write")
        return BatchOutput(job.batch, job.target, hashlib.sha256(data).hexdigest(), pages, tuple(placed),
                           dict(Counter(reasons)), timings=clock.laps)  # fmt: skip

    def render_pdf(self, job: BatchJob, clock: _Clock | None = None,
                   verify_all: bool = False) -> tuple[bytes, int, list[PiecePages], list[str], list[int]]:  # fmt: skip
        """The batch as PDF bytes, verified in memory (every letter with ``verify_all``): pages, ranges, and the
        fallbacks' reasons and piece indexes."""
        clock = clock or _Clock()
        layouts = self.layouts(job)
        clock.lap("variants")
        fallback_pieces: list[int] = []
        reasons: list[str] = []
        streams: list[list[Page]] = []
        used: dict[str, int] = {}  # template key -> first piece stamped on it
        for index, piece in enumerate(job.pieces):
            pages: list[Page] = []
            reason = None
            for tpl, stamps, why in layouts[index]:
                if tpl is None or why:
                    reason = why or "no layout"
                    break
                reason = tpl.problem
                if reason is None:
                    stamped, reason = self._stamp(tpl, piece, stamps)
                if reason:
                    break
                used.setdefault(tpl.key, index)
                pages.extend(stamped)
            if reason:
                reasons.append(reason)
                fallback_pieces.append(index)
                pages = []
            streams.append(pages)
            progress.laid_out()
        clock.lap("stamp")
        for index, pages in self._fallbacks(job, fallback_pieces).items():
            streams[index] = pages
        clock.lap("fallback")
        kids: list[Page] = []
        placed: list[PiecePages] = []
        marks: list[PieceMarks] = []
        for piece, pages in zip(job.pieces, streams, strict=True):
            first = len(kids) + 1
            kids.extend(pages)
            if job.duplex and len(pages) % 2:
                kids.append(BLANK)
            placed.append(PiecePages(piece.piece_id, first, len(kids)))
            marks.append(PieceMarks(piece.piece_id, piece.vin, first, len(kids), piece.bars))
        title = f"{job.campaign} phase {job.phase} batch {job.batch:04d}"
        revision = job.revision.isoformat()
        info = (("Title", title), ("Subject", f"Owner letters, {len(job.pieces)} pieces"), ("Creator", "letters"),
                ("Producer", "letters fast renderer"), ("Keywords", f"{job.campaign}, revision {revision}"),
                ("Campaign", job.campaign), ("Revision", revision), ("Phase", str(job.phase)),
                ("Batch", f"{job.batch:04d}"))  # fmt: skip
        meta = BatchFile(
            title, job.campaign, job.phase, job.batch, job.revision, info, job.duplex, job.proof, job.draft
        )
        data = write_batch(meta, kids, marks, clock)  # laps "press" and "save"
        # Verified in memory, before anything reaches the output folder.
        self._verify(job, data, placed, set(fallback_pieces), used, verify_all)
        clock.lap("verify")
        return data, len(kids), placed, reasons, fallback_pieces

    def _verify(self, job: BatchJob, data: bytes, placed: Sequence[PiecePages], fallen: set[int],
                used: dict[str, int], verify_all: bool = False) -> None:  # fmt: skip
        """Render letters fully and compare text and pixels with the fast output: per layout variant, not per batch.

        Every stamped letter was checked exactly as it was stamped (``letters.render.check``);
        what that check takes on trust, the template's slots and fonts and the page around the
        fields, is proved here once per variant and process: the first letter stamped on a
        template not yet verified in this process is compared (the mail preflight verifies the
        variants it lays out and ships them verified, so a worker compares only the variants it
        laid out itself). And a process compares ``SAFETY_NET`` letters at least, the variants'
        first letters counted: when its first batch has none to compare (its variants were
        verified elsewhere), the letter with the longest address line. ``verify_all`` compares
        every stamped letter (the preflight's one per variant).
        """
        templates = [t for key in used if (t := self.template(key)) is not None]
        if verify_all:
            picks = [i for i in range(len(job.pieces)) if i not in fallen]
        else:
            firsts = {used[t.key] for t in templates if not t.verified}
            due = SAFETY_NET - self.check.compared - len(firsts)
            picks = sorted({*firsts, *sample_indexes(job, fallen | firsts, due)})
        self._compare(job, data, placed, picks)
        self.check.compared += len(picks)
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

    def _stamp(self, tpl: Template, piece: PieceInput,
               stamps: Sequence[tuple[str, str]]) -> tuple[list[Page], str | None]:  # fmt: skip
        if len(piece.address) > ADDRESS_LINES:
            return [], "address has more lines than the window holds"
        ops: dict[int, list[bytes]] = {}
        for name, text in stamps:
            slot = tpl.slots.get(name)
            if slot is None:
                return [], f"template has no field {name}"
            cache_key = (text, slot.bold, slot.size)
            shaped = tpl.shaped.get(cache_key)
            if shaped is None:
                # Same text, font and size give the same glyphs and advances: a whole-line cache is exact.
                shaped = self.check.shape(tpl, text, slot.bold, slot.size)  # HarfBuzz, by the check's own hand
                tpl.shaped[cache_key] = shaped
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
        # Every letter's runs, read back and proved from its own text (letters.render.check); raises on a fault.
        if (reason := self.check.letter(tpl, piece, stamps, ops)) is not None:
            return [], reason
        pages: list[Page] = []
        for index in range(tpl.pages):
            resources = tpl.written.get(index)
            if resources is None:  # once per template page and process: its Form XObject, shared by every letter
                resources = tpl.written[index] = template_resources(tpl.pdf, tpl.first + index, tpl.fonts)
            # The template, then the fields in WeasyPrint's coordinates (px, y down).
            content = b"q\n/T Do\nQ\nq\n1 0 0 -1 0 792 cm\n0.75 0 0 0.75 0 0 cm\n%sQ\n" % b"".join(ops.get(index, []))
            pages.append(Page(content, resources))
        return pages, None

    def _fallbacks(self, job: BatchJob, indexes: Sequence[int]) -> dict[int, list[Page]]:
        """Full renders of the letters the fast path refused, their pages read once for the batch file."""
        if not indexes:
            return {}
        sub = dataclasses.replace(job, pieces=tuple(job.pieces[i] for i in indexes), duplex=False)
        data, _, placed = self.full.render_pdf(sub, marks=False)  # marked with the rest of the file
        pages = source_pages(pikepdf.open(io.BytesIO(data)))
        return {i: pages[p.first_page - 1 : p.last_page] for i, p in zip(indexes, placed, strict=True)}


SAFETY_NET = 1
"""Letters a process compares with their full renders at least, its variants' first letters counted: a worker
whose variants were all verified by the preflight compares its first batch's longest address line (one cold
WeasyPrint render, about 0.25 s of CPU per worker; 0 would leave the templates a worker holds only as shipped
data, and the font files its HarfBuzz reads, never compared with WeasyPrint in that process)."""
VERIFY_DPI = 50


def sample_indexes(job: BatchJob, skip: set[int], count: int) -> list[int]:
    """Up to ``count`` letters of a batch to compare besides ``skip``: the longest address lines first, where a
    wrong glyph or advance shows most."""
    if count <= 0:
        return []
    order = sorted((i for i in range(len(job.pieces)) if i not in skip),
                   key=lambda i: (-max((len(line) for line in job.pieces[i].address), default=0), i))  # fmt: skip
    return sorted(order[:count])


def page_fingerprints(pdf: bytes, pages: Sequence[int]) -> list[tuple[str, bytes]]:
    """Extracted text and rasterised pixels of the given pages (0-based) of a PDF in memory."""
    import pypdfium2 as pdfium

    out = []
    with PDFIUM:
        doc = pdfium.PdfDocument(pdf)
        try:
            for index in pages:
                page = doc[index]
                textpage = page.get_textpage()
                text = textpage.get_text_range()
                bitmap = page.render(scale=VERIFY_DPI / 72, grayscale=True)
                # Stream order differs (fields are drawn after the template), so words are compared
                # as a sorted list; the pixels check where they are.
                out.append((" ".join(sorted(text.split())), bytes(bitmap.buffer)))
                bitmap.close()
                textpage.close()
                page.close()
        finally:
            doc.close()
    return out
