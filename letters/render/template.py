"""The fast renderer's templates: a layout variant laid out once, its field slots, fonts and number helpers."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pikepdf
import weasyprint

from letters.campaign import LoadedCampaign
from letters.errors import LettersError
from letters.press.finish import gray_pages
from letters.press.pdfbytes import Unit
from letters.render.closing import closing_alone
from letters.render.pdf import PdfMetadata, layout, write
from letters.render.shaping import PANGO_SCALE, ShapeCache, widths_of
from letters.render.variants import Keyed, TemplateData, template_html
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


def _field_boxes(page: Any) -> Iterator[tuple[str, Any, Any, Any]]:
    """(field name, block holding it, first text box, line box) of every data-field on a laid-out page."""

    def walk(box: Any, block: Any, line: Any, field: str | None) -> Iterator[tuple[str, Any, Any, Any]]:
        element = getattr(box, "element", None)
        # Absolutely positioned boxes sit behind a placeholder that proxies them.
        kind = type(getattr(box, "_box", box)).__name__
        if kind == "BlockBox":
            block = box
        elif kind == "LineBox":
            line = box
        if field is None and element is not None and getattr(box, "element_tag", None) == "span":
            # Only the fields the masked HTML stamps (a field left in the key prints as it is).
            field = element.get("data-field") if element.get("data-stamp") is not None else None
        if field is not None and type(box).__name__ == "TextBox":
            yield field, block, box, line
            return
        for child in getattr(box, "children", None) or ():
            yield from walk(child, block, line, field)

    seen = set()
    for name, block, text, line in walk(page._page_box, None, None, None):
        if name not in seen:
            seen.add(name)
            yield name, block, text, line


def _unsafe(name: str, text: Any, line: Any, align: str) -> str | None:
    """Why stamping field ``name`` could print what a full render would not (text after it on its line...)."""
    if align not in ("left", "right"):
        return f"field {name} is not left or right aligned"
    end = float(text.position_x + text.width)
    for box in _descendants(line) if line is not None else ():
        if type(box).__name__ != "TextBox" or box is text or not box.text.strip():
            continue
        if align == "right" or float(box.position_x) >= end - 0.01:
            return f"field {name} shares its line with text after it"
    return None


def _restyled(name: str, style: Any) -> str | None:
    """Why the stamp, plain text in the regular or bold face, would not draw field ``name`` as styled."""
    if str(style["text_transform"]) != "none":
        return f"field {name} is text-transformed"
    if str(style["font_style"]) != "normal":
        return f"field {name} is not upright"
    for spacing in ("letter_spacing", "word_spacing"):
        value = style[spacing]
        if value != "normal" and float(value) != 0:
            return f"field {name} has {spacing.replace('_', '-')}"
    return None


def overflows_of(page: Any, index: int) -> list[str]:
    """Text of a laid-out letter page that a clipping box cuts off or that runs off the page."""
    found: list[str] = []

    def walk(box: Any, clip: tuple[float, float, float, float, str] | None) -> None:
        kind = type(box).__name__
        style = getattr(box, "style", None)
        if style is not None and str(style["overflow"]) == "hidden" and hasattr(box, "padding_box_x"):
            element = getattr(box, "element", None)
            label = (element.get("class") or element.tag) if element is not None else kind
            x, y = float(box.padding_box_x()), float(box.padding_box_y())
            clip = (x, y, x + float(box.padding_width()), y + float(box.padding_height()), label)
        if kind == "TextBox" and box.text.strip() and str(box.style["visibility"]) == "visible":
            right, bottom = float(box.position_x + box.width), float(box.position_y + box.height)
            if right > float(page.width) + 0.5:
                found.append(f"page {index + 1}: {box.text.strip()!r} runs off the page")
            elif clip is not None and (right > clip[2] + 0.5 or bottom > clip[3] + 0.5):
                found.append(f"page {index + 1}: {box.text.strip()!r} is cut off by its box ({clip[4]})")
        for child in getattr(box, "children", None) or ():
            walk(child, clip)

    walk(page._page_box, None)
    return found


@dataclass
class Template:
    """One layout variant's letter laid out once, ready to stamp."""

    lang: str
    pdf: pikepdf.Pdf
    pages: int
    slots: dict[str, Slot]
    fonts: dict[bool, pikepdf.Object]
    allowed: frozenset[int]
    widths: dict[bool, dict[int, int]]
    key: str = ""
    """The layout variant (``letters.render.variants``)."""
    problem: str | None = None
    """Why no letter can be stamped on it (a field with text after it on its line...); None: it can."""
    overflows: tuple[str, ...] = ()
    """Text the laid-out letter cuts off or runs off the page with."""
    data: bytes = b""
    """The template PDF as written, to ship to other processes."""
    refused: tuple[str, ...] = ()
    """Resources the letter named but may not use (it prints without them)."""
    first: int = 0
    """Its first page in ``pdf`` (templates laid out together share one file)."""
    closing_only: bool = False
    """The letter's last page carries only its closing lines (``letters.render.closing``)."""
    shaped: ShapeCache = field(default_factory=ShapeCache)
    """Whole field texts already shaped with this template's fonts (city lines and names repeat), least
    recently used dropped first."""
    verified: bool = False
    """A letter stamped on this template has matched its full render in this process."""
    written: dict[int, Unit] = field(default_factory=dict)
    """Each page's resources as batch files write them (``letters.press.writer.template_resources``), read once
    per process."""

    def shipped(self) -> TemplateData:
        """The template as plain data, for a worker process."""
        return TemplateData(self.key, self.lang, self.data, self.pages, self.first, tuple(self.slots.items()),
                            self.verified, self.problem)  # fmt: skip

    @classmethod
    def from_data(cls, data: TemplateData, opened: dict[int, Template] | None = None) -> Template:
        """The template another process laid out; ``opened`` keeps the files already opened, by identity."""
        base = opened.get(id(data.pdf)) if opened is not None else None
        slots = {name: slot for name, slot in data.slots if isinstance(slot, Slot)}
        if base is None:
            pdf = pikepdf.open(io.BytesIO(data.pdf))
            fonts, allowed = _fonts(pdf)
            widths = {bold: widths_of(font) for bold, font in fonts.items()}
        else:
            pdf, fonts, allowed, widths = base.pdf, base.fonts, base.allowed, base.widths
        made = cls(data.lang, pdf, data.pages, slots, fonts, allowed, widths, data.key, data.problem, (), data.pdf,
                   first=data.first, verified=data.verified)  # fmt: skip
        if opened is not None:
            opened.setdefault(id(data.pdf), made)
        return made


def build_templates(keyed: Sequence[Keyed], loaded: LoadedCampaign, folders: list[Path], lang: str) -> list[Template]:
    """Lay out variants' templates (one language and frame) in one document, and find each one's slots.

    One layout and one PDF for them all: WeasyPrint's fixed cost per document (writing it,
    subsetting its fonts) is paid once, and the templates share their fonts.
    """
    doc, refused = layout(template_html(keyed), loaded.folder, folders)
    starts: dict[int, int] = {}
    for index, page in enumerate(doc.pages):
        for anchor in page.anchors:
            if anchor.startswith("variant-"):
                starts.setdefault(int(anchor.removeprefix("variant-")), index)
    bounds = [starts[n] for n in range(len(keyed))] + [_letter_page_count(doc)]
    data = write(doc, PdfMetadata("template", "", loaded.campaign.code, loaded.campaign.revision.date))
    pdf = pikepdf.open(io.BytesIO(data))
    gray_pages(pdf)  # the shared template pages carry black as DeviceGray, as the full renderer's do
    buffer = io.BytesIO()
    pdf.save(buffer)
    fonts, allowed = _fonts(pdf)
    widths = {bold: widths_of(font) for bold, font in fonts.items()}
    out = []
    for n, k in enumerate(keyed):
        first, end = bounds[n], bounds[n + 1]
        slots, problem, overflows = _slots(doc.pages[first:end])
        out.append(Template(lang, pdf, end - first, slots, fonts, allowed, widths, k.key, problem, overflows,
                            buffer.getvalue(), tuple(refused), first, closing_alone(doc.pages[first:end])))  # fmt: skip
    return out


def _slots(pages: Sequence[Any]) -> tuple[dict[str, Slot], str | None, tuple[str, ...]]:
    """The field slots of one letter's laid-out pages, why they cannot be stamped (or None), its overflows."""
    slots: dict[str, Slot] = {}
    problem = None
    overflows: list[str] = []
    for index, page in enumerate(pages):
        overflows.extend(overflows_of(page, index))
        for name, block, text, line in _field_boxes(page):
            style = text.style
            left = float(block.content_box_x())
            right = left + float(block.width)
            raw = str(style["text_align_all"])
            align = {"start": "left", "end": "right"}.get(raw, raw)
            problem = problem or _unsafe(name, text, line, align) or _restyled(name, style)
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
    return slots, problem, tuple(overflows)


class _Clock(Clock):
    """Seconds per named part of a batch: this process's CPU, and wall seconds as ``part_wall``."""


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
