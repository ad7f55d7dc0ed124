"""The review copy of a revision's notice: its pages, and where each block of each document lies on them.

A reviewer compares two revisions page by page and document by document, with the changes
outlined against whichever revision they compare with. Drawing the outlines into the PDF
would mean one render per pair of revisions; instead each revision is laid out once,
without boxes or DRAFT stamp, and the copy records, for every block of every document (as
``letters.render.changes.html_blocks`` finds them), the rectangles it covers on which
pages. The web app draws the boxes over the page images from those rectangles, for any
pair, and links each change in the list to its box.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

from letters.campaign import LoadedCampaign, load_campaign
from letters.documents import UPDATE_COVER, DocumentSpec, Renderer, RenderOptions, document_spec
from letters.render.changes import diff, html_blocks
from letters.render.pdf import combine, layout, parse, write


@dataclass(frozen=True)
class Rect:
    """Where part of a block lies: a page and a rectangle in fractions of the page's size."""

    page: int
    """Page number in the whole copy, from 1."""
    x0: float
    """Left edge, 0 (page's left) to 1 (page's right)."""
    y0: float
    """Top edge, 0 (page's top) to 1 (page's bottom)."""
    x1: float
    """Right edge."""
    y1: float
    """Bottom edge."""

    def as_json(self) -> list[float]:
        return [self.page, round(self.x0, 4), round(self.y0, 4), round(self.x1, 4), round(self.y1, 4)]


Rows = tuple[tuple[int, tuple[str, ...], tuple[Rect, ...]], ...]
"""Table rows inside blocks: (block index, cell texts, rectangles)."""


@dataclass(frozen=True)
class DocumentCopy:
    """One document of the copy."""

    name: str
    """Document name ("faq")."""
    title: str
    """Its title ("Frequently Asked Questions")."""
    first_page: int
    """Its first page in the whole copy, from 1."""
    pages: int
    """How many pages it has."""
    html: str
    """The HTML it was laid out from: the blocks the rectangles belong to."""
    rects: tuple[tuple[Rect, ...], ...]
    """Per block, in ``html_blocks`` order, the rectangles it covers (one per page it spans)."""
    rows: Rows = ()
    """Table rows inside blocks (a table, the chart): (block index, cell texts, rectangles)."""

    def row_rects(self, at: int, cells: tuple[str, ...]) -> tuple[int, tuple[Rect, ...]] | None:
        """(position, rectangles) of the first row of block ``at`` with a cell holding each text of ``cells``."""
        for index, (block, texts, rects) in enumerate(self.rows):
            if block == at and all(any(text in cell for cell in texts) for text in cells):
                return index, rects
        return None

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name, "title": self.title, "first_page": self.first_page, "pages": self.pages,
            "html": self.html, "rects": [[r.as_json() for r in block] for block in self.rects],
            "rows": [[at, list(cells), [r.as_json() for r in rects]] for at, cells, rects in self.rows],
        }  # fmt: skip

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DocumentCopy:
        def rect(r: list[float]) -> Rect:
            return Rect(int(r[0]), *map(float, r[1:]))

        rects = tuple(tuple(rect(r) for r in block) for block in data["rects"])
        rows = tuple((int(at), tuple(cells), tuple(rect(r) for r in found)) for at, cells, found in data["rows"])
        return cls(data["name"], data["title"], data["first_page"], data["pages"], data["html"], rects, rows)


@dataclass(frozen=True)
class NoticeCopy:
    """A revision's review copy: the documents of its notice, in order."""

    revision: str
    """Revision ID."""
    documents: tuple[DocumentCopy, ...]
    """Its notice documents, in the notice's order."""

    def document(self, name: str) -> DocumentCopy | None:
        """The document called ``name``, or None when this revision's notice has none."""
        return next((d for d in self.documents if d.name == name), None)

    @property
    def pages(self) -> int:
        """Pages in the whole copy."""
        return sum(d.pages for d in self.documents)

    def as_json(self) -> dict[str, Any]:
        return {"revision": self.revision, "documents": [d.as_json() for d in self.documents]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> NoticeCopy:
        return cls(data["revision"], tuple(DocumentCopy.from_json(d) for d in data["documents"]))


def notice_sources(loaded: LoadedCampaign) -> list[tuple[DocumentSpec, str]]:
    """Each document of the revision's notice with its HTML, exactly as ``letters notice`` prints it.

    The IMPORTANT UPDATE cover lists what the revision removed since the previous one, as the
    notice does; no document is stamped DRAFT (the app says draft beside the pages).
    """
    from letters.notice import baseline_for, notice_documents

    campaign = loaded.campaign
    options = RenderOptions(as_of=campaign.revision.date, boxes=False)
    renderer = Renderer(loaded)
    baseline = baseline_for(loaded)
    base = Renderer(baseline) if baseline is not None else None
    names = notice_documents(campaign)
    out: dict[str, tuple[DocumentSpec, str]] = {}
    removed: list[str] = []
    for name in names:
        if name == UPDATE_COVER:
            continue
        spec = document_spec(campaign, name)
        html = renderer.html(spec, options)
        out[name] = (spec, html)
        if base is not None:
            old = base.html(spec, replace(options, as_of=base.campaign.revision.date))
            for change in diff(html_blocks(parse(old)), html_blocks(parse(html))):
                if change.op == "delete":
                    removed.extend(b.text for b in change.old)
    if UPDATE_COVER in names:
        spec = document_spec(campaign, UPDATE_COVER)
        out[UPDATE_COVER] = (spec, renderer.html(spec, replace(options, removed=tuple(removed))))
    return [out[name] for name in names]


def _rects(root: Element, pages: Sequence[Any], first_page: int) -> tuple[tuple[tuple[Rect, ...], ...], Rows]:
    """Per block of ``root``, the bounding rectangle of its layout boxes on each page; and the same for the
    table rows inside blocks."""
    blocks = html_blocks(root)
    index: dict[int, int] = {id(b.element): i for i, b in enumerate(blocks)}
    rows: list[tuple[int, tuple[str, ...]]] = []
    for at, block in enumerate(blocks):
        if block.element is not None and block.kind != "tr":
            for tr in block.element.iter("tr"):
                # A row's place is its cells' (a row box's own height leaves out cells centred in it).
                for cell in tr:
                    index[id(cell)] = len(blocks) + len(rows)
                rows.append((at, tuple(" ".join(" ".join(td.itertext()).split()) for td in tr)))
    found: list[dict[int, list[float]]] = [{} for _ in range(len(blocks) + len(rows))]
    for number, page in enumerate(pages):
        stack = [page._page_box]
        while stack:
            box = stack.pop()
            element = getattr(box, "element", None)
            place = index.get(id(element)) if element is not None else None
            if place is not None:
                x, y = box.border_box_x(), box.border_box_y()
                w, h = box.border_width(), box.border_height()
                rect = found[place].setdefault(number, [x, y, x + w, y + h])
                rect[:] = [min(rect[0], x), min(rect[1], y), max(rect[2], x + w), max(rect[3], y + h)]
            stack.extend(getattr(box, "children", ()))
    out = []
    for per_page in found:
        rects = []
        for number, (x0, y0, x1, y1) in sorted(per_page.items()):
            width, height = pages[number].width, pages[number].height
            rects.append(Rect(first_page + number, x0 / width, y0 / height, x1 / width, y1 / height))
        out.append(tuple(rects))
    row_rects = tuple((at, cells, out[len(blocks) + i]) for i, (at, cells) in enumerate(rows))
    return tuple(out[: len(blocks)]), row_rects


def render_copy(code: str, revision: str, target: Path) -> NoticeCopy:
    """Lay out the review copy of ``revision`` of campaign ``code`` and write its PDF to ``target``."""
    loaded = load_campaign(code, revision=revision)
    renderer = Renderer(loaded)
    documents, laid_out = [], []
    first = 1
    for spec, html in notice_sources(loaded):
        roots: list[Element] = []
        document, _refused = layout(html, loaded.folder, renderer.folders, roots.append)
        rects, rows = _rects(roots[0], document.pages, first)
        documents.append(DocumentCopy(spec.name, spec.title, first, len(document.pages), html, rects, rows))
        laid_out.append(document)
        first += len(document.pages)
    options = RenderOptions(as_of=loaded.campaign.revision.date)
    write(combine(laid_out), renderer.metadata("Dealer Notice Package (review copy)", options), target)
    return NoticeCopy(revision, tuple(documents))
