"""The fast renderer's template: a letter laid out once, its field slots, fonts and PDF helpers."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import pikepdf
import weasyprint

from letters.errors import LettersError
from letters.render.shaping import ShapeCache
from letters.usage import Clock


@dataclass(frozen=True)
class Slot:
    """Where one field is drawn on a template page."""

    page: int
    """Template page index."""
    x: float
    """Left edge of the text (px), or right edge when ``align`` is "right"."""
    baseline: float
    """Baseline (px from the top)."""
    width: float
    """Widest the text may be (px)."""
    size: float
    """Font size (px)."""
    bold: bool
    """Bold face."""
    color: tuple[float, float, float]
    """Fill colour."""
    align: str
    """"left" or "right"."""


def _field_boxes(page: Any) -> Iterator[tuple[str, Any, Any]]:
    """(field name, block holding it, first text box) of every data-field on a laid-out page."""

    def walk(box: Any, block: Any, field: str | None) -> Iterator[tuple[str, Any, Any]]:
        element = getattr(box, "element", None)
        # Absolutely positioned boxes sit behind a placeholder that proxies them.
        if type(getattr(box, "_box", box)).__name__ == "BlockBox":
            block = box
        if field is None and element is not None and getattr(box, "element_tag", None) == "span":
            field = element.get("data-field")
        if field is not None and type(box).__name__ == "TextBox":
            yield field, block, box
            return
        for child in getattr(box, "children", None) or ():
            yield from walk(child, block, field)

    seen = set()
    for name, block, text in walk(page._page_box, None, None):
        if name not in seen:
            seen.add(name)
            yield name, block, text


@dataclass
class Template:
    """One language's letter laid out once, ready to stamp."""

    lang: str
    pdf: pikepdf.Pdf
    pages: int
    slots: dict[str, Slot]
    fonts: dict[bool, pikepdf.Object]
    allowed: frozenset[int]
    widths: dict[bool, dict[int, int]]
    shaped: ShapeCache = field(default_factory=ShapeCache)
    """Whole field texts already shaped with this template's fonts (city lines and names repeat), least
    recently used dropped first."""
    verified: bool = False
    """A batch printed from this template has passed the full sample verification in this process."""


class _Clock(Clock):
    """Seconds per named part of a batch: this process's CPU, and wall seconds as ``part_wall``."""


def _outline(pdf: pikepdf.Pdf, marks: Sequence[tuple[str, pikepdf.Object]]) -> None:
    """One top-level bookmark per letter, built directly (pikepdf's outline API looks each page up)."""
    if not marks:
        return
    root = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Outlines))
    items = [
        pdf.make_indirect(
            pikepdf.Dictionary(Title=pikepdf.String(title), Parent=root, Dest=pikepdf.Array([page, pikepdf.Name.Fit]))
        )
        for title, page in marks
    ]
    for before, after in itertools.pairwise(items):
        before.Next = after
        after.Prev = before
    root.First, root.Last, root.Count = items[0], items[-1], len(items)
    pdf.Root.Outlines = root


def _letter_page_count(doc: weasyprint.document.Document) -> int:
    """Pages of the letter itself, before the glyph-coverage page."""
    for index, page in enumerate(doc.pages):
        for box in _descendants(page._page_box):
            element = getattr(box, "element", None)
            if (
                type(box).__name__ == "BlockBox"
                and element is not None
                and "glyph-coverage" in (element.get("class") or "")
            ):
                return index
    return len(doc.pages)


def _descendants(box: Any) -> Iterator[Any]:
    stack = [box]
    while stack:
        b = stack.pop()
        yield b
        stack.extend(getattr(b, "children", None) or ())


_BFCHAR = re.compile(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>")


def _fonts(pdf: pikepdf.Pdf) -> tuple[dict[bool, pikepdf.Object], frozenset[int]]:
    """The regular and bold Type0 fonts of a template PDF, and the glyph IDs their subsets hold."""
    fonts: dict[bool, pikepdf.Object] = {}
    allowed: set[int] = set()
    for page in pdf.pages:
        for _, font in page.Resources.get("/Font", {}).items():
            base = str(font.BaseFont)
            bold = "Bold" in base
            if "Italic" in base or bold in fonts:
                continue
            fonts[bold] = font
            cmap = font.ToUnicode.read_bytes()
            allowed |= {int(m.group(1), 16) for m in _BFCHAR.finditer(cmap)}
    if set(fonts) != {False, True}:
        raise LettersError("the owner letter template must use the regular and bold faces")
    return fonts, frozenset(allowed)


def _f(value: float) -> bytes:
    return (b"%.4f" % value).rstrip(b"0").rstrip(b".")


def _num(*values: float) -> bytes:
    return b" ".join(_f(v) for v in values)
