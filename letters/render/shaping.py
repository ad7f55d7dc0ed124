"""Field text as WeasyPrint would write it: HarfBuzz shaping with Pango's arithmetic.

Pango shapes with HarfBuzz at the font size in 1/1024 px (truncated); WeasyPrint writes each
glyph with the font's PDF width (thousandths of an em) and a TJ adjustment that truncates
the difference to Pango's advance. The fast renderer repeats that arithmetic so that every
glyph it stamps lands where a full render puts it.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass
from functools import cache

import pikepdf
import uharfbuzz as hb

from letters import paths

ADDRESS_LINES = 5
"""Address lines the envelope window holds."""
PANGO_SCALE = 1024
"""Pango units per px."""
FONT_FILES = {False: "LiberationSans-Regular.ttf", True: "LiberationSans-Bold.ttf"}
"""The shipped faces fields use, by boldness."""


@cache
def _hb_font(bold: bool, scale: int) -> hb.Font:
    """The face WeasyPrint embeds, scaled as Pango scales it (size in 1/1024 px)."""
    blob = hb.Blob.from_file_path(str(paths.shared_templates_dir() / "fonts" / FONT_FILES[bold]))
    font = hb.Font(hb.Face(blob))
    font.scale = (scale, scale)
    return font


@dataclass(frozen=True)
class Shaped:
    """A field's text as glyphs."""

    tj: bytes
    """The TJ array operand, e.g. b"[<0030>0<0058>18<003c>]"."""
    width: float
    """Advance width (px)."""
    gids: frozenset[int]
    """Glyphs used."""


SHAPE_CACHE_LINES = 50_000
"""Shaped lines a template keeps (about 30 MB at most)."""
ONE_VEHICLE = re.compile(r"(?<![A-Z0-9])[A-HJ-NPR-Z0-9]{17}(?![A-Z0-9])")
"""A VIN-shaped word: a line holding one (the VIN line, the piece line) is one vehicle's and never repeats."""


class ShapeCache(OrderedDict[tuple[str, bool, float], Shaped]):
    """Whole lines already shaped with one template's fonts, least recently used dropped first.

    Same text, font and size give the same glyphs and advances, so a hit is exact. Full, it
    drops the line unused longest, so the lines that repeat (city lines, names, model names)
    stay however many unique ones pass through; and lines holding a VIN (40% of the lines
    shaped) are never kept. Replayed on a 69,000-letter run's lines, 44% miss, from 55% when
    it emptied itself on filling (50% with the VIN lines kept).
    """

    def __init__(self, capacity: int = SHAPE_CACHE_LINES) -> None:
        super().__init__()
        self.capacity = capacity
        """Lines kept at most."""

    def get(self, key: tuple[str, bool, float], default: Shaped | None = None) -> Shaped | None:  # type: ignore[override]
        """The shaped line, now the most recently used; ``default`` when not kept."""
        found = super().get(key)
        if found is None:
            return default
        self.move_to_end(key)
        return found

    def __setitem__(self, key: tuple[str, bool, float], value: Shaped) -> None:
        if ONE_VEHICLE.search(key[0]):
            return
        super().__setitem__(key, value)
        if len(self) > self.capacity:
            self.popitem(last=False)


def measure(text: str, bold: bool, size: float) -> float:
    """Advance width of ``text`` in px at ``size`` px, as Pango lays it out (kerning, ligatures)."""
    font = _hb_font(bold, int(size * PANGO_SCALE))
    buf = hb.Buffer()
    buf.add_str(text)
    buf.guess_segment_properties()
    hb.shape(font, buf, {"kern": True, "liga": True})
    return float(sum(pos.x_advance for pos in buf.glyph_positions)) / PANGO_SCALE


def widest_advance(chars: str, bold: bool, size: float) -> float:
    """The largest advance (px) of any single character of ``chars``."""
    return max(measure(ch, bold, size) for ch in chars)


def shape(text: str, bold: bool, size: float, widths: dict[int, int]) -> Shaped:
    """Shape ``text`` and write it as WeasyPrint writes Pango's glyphs.

    Pango shapes with HarfBuzz at the size in 1/1024 px; WeasyPrint then writes each glyph
    with the font's PDF width (``widths``, thousandths of an em) and a TJ adjustment that
    truncates the difference to Pango's advance. Doing the same arithmetic puts every glyph
    where a full render puts it. Each glyph's TJ element (glyph, advance) is worked out once
    per font, size and widths table (``_glyph_parts``): HarfBuzz itself is a tenth of the time.
    """
    scale = int(size * PANGO_SCALE)
    font = _hb_font(bold, scale)
    buf = hb.Buffer()
    buf.add_str(text)
    buf.guess_segment_properties()
    hb.shape(font, buf, {"kern": True, "liga": True})
    glyphs = [info.codepoint for info in buf.glyph_infos]
    advances = [pos.x_advance for pos in buf.glyph_positions]
    known = _glyph_parts(bold, scale, widths)
    parts = []
    for pair in zip(glyphs, advances, strict=True):
        part = known.get(pair)
        if part is None:
            part = known[pair] = _glyph_part(font, scale, widths, *pair)
        parts.append(part)
    return Shaped(b"[" + b"".join(parts) + b"]", sum(advances) / PANGO_SCALE, frozenset(glyphs))


def _glyph_part(font: hb.Font, scale: int, widths: dict[int, int], gid: int, advance: int) -> bytes:
    """One glyph's TJ element: its ID and the adjustment from its PDF width to Pango's advance."""
    em = scale / PANGO_SCALE  # the font size WeasyPrint writes, px
    width = widths.get(gid)
    if width is None:
        width = round(font.get_glyph_h_advance(gid) * 1000 / PANGO_SCALE / em)
    kerning = width - advance * 1000 / PANGO_SCALE / em
    return b"<%04x>%d" % (gid, int(kerning))


GLYPH_TABLES = 64
"""Fonts x sizes x widths tables whose glyph elements are kept (a template has a few)."""
_TABLES: OrderedDict[tuple[bool, int, int], tuple[dict[int, int], dict[tuple[int, int], bytes]]] = OrderedDict()


def _glyph_parts(bold: bool, scale: int, widths: dict[int, int]) -> dict[tuple[int, int], bytes]:
    """The TJ elements already worked out for this face, size and widths table, by (glyph, advance)."""
    key = (bold, scale, id(widths))
    found = _TABLES.get(key)
    if found is None or found[0] is not widths:  # the table is kept alive with it, so its id is its own
        found = _TABLES[key] = (widths, {})
        while len(_TABLES) > GLYPH_TABLES:
            _TABLES.popitem(last=False)
    _TABLES.move_to_end(key)
    return found[1]


def widths_of(font: pikepdf.Object) -> dict[int, int]:
    """Glyph widths (thousandths of an em) from a Type0 font's /W array."""
    out: dict[int, int] = {}
    w = list(font.DescendantFonts[0].get("/W", []))
    i = 0
    while i < len(w):
        first = int(w[i])
        if isinstance(w[i + 1], pikepdf.Array):
            for k, value in enumerate(w[i + 1]):
                out[first + k] = int(value)
            i += 2
        else:
            for gid in range(first, int(w[i + 1]) + 1):
                out[gid] = int(w[i + 2])
            i += 3
    return out
