"""A batch file written as bytes in one pass: no PDF objects per letter.

The fast renderer's pages arrive as content bytes with a shared resource dictionary (a
template page's Form XObject and the two faces fields are stamped in, ``template_resources``,
read once per template page per process); the pages of letters the full renderer laid out
arrive the same way, read once per batch from its file (``source_pages``). Per page, the
writer adds the marks (``letters.press.marks.page_marks``: the DataMatrix, the IMb on each
piece's first page) and PROOF or DRAFT, and writes the page dictionary with its TrimBox and
document part; per piece, its document part with the DPM record metadata and its bookmark.
Everything shared is serialised once: the output intent with its ICC profile (once per
process), the XMP identification and document information (once per batch, by the same
``letters.press.finish.identify`` the full renderer's files get), the fonts (each program
once per file, subset tags from its bytes, ``letters.press.pdfbytes``), the page tree, the
outline root and the ``/DPartRoot``. What the file claims is what ``letters.press.finish``
gives the full renderer's files: PDF/X-4 and PDF/VT-1.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Protocol

import pikepdf

from letters.press.finish import PDF_VERSION, batch_identity, identify, output_intents, proof_ops
from letters.press.marks import PieceMarks, page_marks
from letters.press.pdfbytes import Anchor, Fragment, PdfFile, Reader, Unit, array, literal

LETTER = b"[0 0 612 792]"
"""A US Letter page's MediaBox (and TrimBox), as written."""
CATALOG, PAGES, OUTLINES, DPARTS, INFO, XMP = 1, 2, 3, 4, 5, 6
"""The numbers of the file's own objects; everything else follows."""
_OWN_KEYS = ("/Type", "/Parent", "/Contents", "/Resources", "/MediaBox", "/TrimBox", "/DPart")


class Laps(Protocol):
    """Something that times the writer's parts (``letters.usage.Clock``)."""

    def lap(self, name: str) -> None: ...


@dataclass(frozen=True)
class Page:
    """One page of a batch file, before its marks."""

    content: bytes
    """Its own content, decoded (it may leave the graphics state changed: the writer wraps it in q/Q)."""
    resources: Unit | None = None
    """Its resource dictionary; None: an empty one (a padding page)."""
    media: bytes = LETTER
    """Its MediaBox, as written; its TrimBox is the same."""
    extra: Fragment | None = None
    """Other entries of its dictionary (a full render's /BleedBox...), as dictionary syntax."""
    anchor: Anchor | None = None
    """The page in the PDF it was read from, which objects read with it may refer to."""


@dataclass(frozen=True)
class BatchFile:
    """What a batch file says about itself."""

    title: str
    """Its title (document information and XMP)."""
    campaign: str
    """Campaign code."""
    phase: int
    """Phase."""
    batch: int
    """Batch number."""
    revision: date
    """Campaign revision (the file's dates)."""
    info: tuple[tuple[str, str], ...]
    """Document information entries before finishing (the XMP adds its dates, Trapped and Producer)."""
    duplex: bool = True
    """Pieces padded to whole sheets (the DataMatrix counts sheets)."""
    proof: bool = False
    """PROOF across every page."""
    draft: bool = False
    """DRAFT across every page (instead of PROOF)."""


BLANK = Page(b"")
"""A padding page: nothing but its marks."""


def write_batch(
    meta: BatchFile, pages: Sequence[Page], pieces: Sequence[PieceMarks], clock: Laps | None = None
) -> bytes:
    """The batch file's bytes: ``pages`` in order, ``pieces`` their document parts (page ranges from 1).

    ``clock`` laps "press" once every object is written as bytes and "save" once the
    file is compressed and indexed.
    """
    starts = [1] + [p.last_page + 1 for p in pieces]
    if [p.first_page for p in pieces] != starts[:-1] or starts[-1] != len(pages) + 1 or not pieces:
        raise ValueError(f"pieces do not cover the batch's {len(pages)} pages one after another")
    out = PdfFile(first_free=XMP + 1)
    numbers = [out.number() for _ in pages]
    anchors = {page.anchor: n for page, n in zip(pages, numbers, strict=True) if page.anchor is not None}
    leaves = [out.number() for _ in pieces]
    items = [out.number() for _ in pieces]
    leaf_of = [0] * len(pages)
    for piece, leaf in zip(pieces, leaves, strict=True):
        leaf_of[piece.first_page - 1 : piece.last_page] = [leaf] * (piece.last_page - piece.first_page + 1)
    marks = page_marks(meta.batch, pieces, meta.duplex)
    word = "DRAFT" if meta.draft else "PROOF" if meta.proof else None
    stamps: dict[bytes, bytes] = {}
    for page, number, leaf, mark in zip(pages, numbers, leaf_of, marks, strict=True):
        content = out.number()
        stamp = b""
        if word is not None:
            stamp = stamps.get(page.media) or stamps.setdefault(page.media, _stamp(page.media, word))
        out.put_stream(content, b"", b"q\n%s\nQ\n%s%s" % (page.content, mark, stamp))
        resources = b"<<>>" if page.resources is None else b"%d 0 R" % out.unit(page.resources, anchors)
        extra = out.relocate(page.extra, anchors)[2:-2] if page.extra is not None else b""
        out.put(number, b"<</Type/Page/Parent 2 0 R/MediaBox%s/TrimBox%s/Resources %s/Contents %d 0 R/DPart %d 0 R%s>>"
                % (page.media, page.media, resources, content, leaf, extra))  # fmt: skip
    for k, (piece, leaf, item) in enumerate(zip(pieces, leaves, items, strict=True)):
        first, last = numbers[piece.first_page - 1], numbers[piece.last_page - 1]
        out.put(leaf, b"<</Type/DPart/Parent 4 0 R/Start %d 0 R/End %d 0 R/DPM<</CIP4_Root<</CIP4_Recipient"
                b"<</CIP4_UniqueID %s>>/LTRS_Vehicle<</LTRS_VIN %s>>>>>>>>"
                % (first, last, literal(piece.piece_id), literal(piece.vin)))  # fmt: skip
        links = (b"/Prev %d 0 R" % items[k - 1] if k else b"") + (b"/Next %d 0 R" % items[k + 1] if k + 1 < len(items)
                                                                   else b"")  # fmt: skip
        out.put(item, b"<</Title %s/Parent 3 0 R/Dest[%d 0 R/Fit]%s>>"
                % (literal(f"{piece.piece_id} {piece.vin}"), first, links))  # fmt: skip
    out.put(PAGES, b"<</Type/Pages/Kids%s/Count %d>>" % (array(numbers), len(numbers)))
    outline = b"/Outlines 3 0 R" if items else b""
    if items:
        out.put(OUTLINES, b"<</Type/Outlines/First %d 0 R/Last %d 0 R/Count %d>>" % (items[0], items[-1], len(items)))
    else:  # no pieces: an empty outline nobody points to
        out.put(OUTLINES, b"<</Type/Outlines/Count 0>>")
    out.put(DPARTS, b"<</Type/DPart/DParts[%s]>>" % array(leaves))
    info, xmp = identification(meta, [p.piece_id for p in pieces])
    out.put(INFO, info)
    out.put_stream(XMP, b"/Type/Metadata/Subtype/XML", xmp, compress=False)
    out.put(CATALOG, b"<</Type/Catalog/Version/%s/Pages 2 0 R%s/Metadata 6 0 R/OutputIntents %s/DPartRoot"
            b"<</Type/DPartRoot/DPartRootNode 4 0 R/RecordLevel 1/NodeNameList[/Batch/Piece]>>>>"
            % (PDF_VERSION.encode(), outline, out.relocate(_intents())))  # fmt: skip
    if clock is not None:
        clock.lap("press")
    data = out.finish(CATALOG, INFO)
    if clock is not None:
        clock.lap("save")
    return data


def _stamp(media: bytes, word: str) -> bytes:
    """PROOF or DRAFT across a page of MediaBox ``media``."""
    box = [float(v) for v in media[1:-1].split()]
    return proof_ops(box[2] - box[0], box[3] - box[1], word)


def identification(meta: BatchFile, piece_ids: Sequence[str]) -> tuple[bytes, bytes]:
    """The document information dictionary (as bytes) and the XMP packet of a batch, as ``finish`` makes them."""
    scratch = pikepdf.new()
    scratch.docinfo = scratch.make_indirect(pikepdf.Dictionary({f"/{k}": pikepdf.String(v) for k, v in meta.info}))
    identity, properties = batch_identity(meta.campaign, meta.phase, meta.batch, meta.revision, meta.proof,
                                          meta.draft)  # fmt: skip
    identify(scratch, meta.title, identity, meta.revision, True, piece_ids, properties)
    (info,) = Reader().fragment(scratch.docinfo).parts  # direct values only
    return info, scratch.Root.Metadata.read_bytes()


@cache
def _intents() -> Fragment:
    """The output intents array (its profile stream compressed), read once per process."""
    scratch = pikepdf.new()
    return Reader().fragment(scratch.make_indirect(output_intents(scratch)))


def template_resources(pdf: pikepdf.Pdf, index: int, fonts: dict[bool, pikepdf.Object]) -> Unit:
    """A template page's resources: the page as Form XObject ``/T``, the regular and bold faces ``/FR``, ``/FB``."""
    form = pdf.pages[index].as_form_xobject()
    shared = pikepdf.Dictionary(XObject=pikepdf.Dictionary(T=form),
                                Font=pikepdf.Dictionary(FR=fonts[False], FB=fonts[True]))  # fmt: skip
    return Reader().unit(shared)


def source_pages(pdf: pikepdf.Pdf) -> list[Page]:
    """Every page of ``pdf`` (a full render), ready to write into a batch file."""
    objects = [page.obj for page in pdf.pages]
    reader = Reader(anchors=[obj.objgen for obj in objects])
    out = []
    for obj in objects:
        contents = obj.get("/Contents")
        streams = list(contents) if isinstance(contents, pikepdf.Array) else [contents] if contents is not None else []
        own = b"\n".join(s.read_bytes() for s in streams)
        resources = reader.unit(obj.Resources) if "/Resources" in obj else None
        rest = pikepdf.Dictionary({k: v for k, v in obj.items() if k not in _OWN_KEYS})
        extra = reader.fragment(rest) if len(rest) else None
        media = b"[%s]" % b" ".join(b"%g" % float(v) for v in obj.MediaBox)
        out.append(Page(own, resources, media, extra, obj.objgen))
    return out
