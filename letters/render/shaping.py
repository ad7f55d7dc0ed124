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
    where a full render puts it.
    """
    scale = int(size * PANGO_SCALE)
    font = _hb_font(bold, scale)
    em = scale / PANGO_SCALE  # the font size WeasyPrint writes, px
    buf = hb.Buffer()
    buf.add_str(text)
    buf.guess_segment_properties()
    hb.shape(font, buf, {"kern": True, "liga": True})
    parts = [b"["]
    total = 0
    gids = set()
    for info, pos in zip(buf.glyph_infos, buf.glyph_positions, strict=True):
        gid = info.codepoint
        gids.add(gid)
        width = widths.get(gid)
        if width is None:
            width = round(font.get_glyph_h_advance(gid) * 1000 / PANGO_SCALE / em)
        kerning = width - pos.x_advance * 1000 / PANGO_SCALE / em
        parts.append(b"<%04x>%d" % (gid, int(kerning)))
        total += pos.x_advance
    parts.append(b"]")
    return Shaped(b"".join(parts), total / PANGO_SCALE, frozenset(gids))


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
