"""The embedded faces as WeasyPrint wrote them, and field text shaped by the check's own hand.

``letters.render.check`` proves every stamped run against what this module derives from the
field's text: HarfBuzz called here at the size in 1/1024 px (as Pango shapes), each glyph's
TJ adjustment from the template's own ``/W`` widths with WeasyPrint's arithmetic, its text
read back through the face's own ``/ToUnicode`` map. It never reads the template's shaping
cache; its memo (``Face.runs``) holds only runs shaped here.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from operator import attrgetter

import pikepdf
import uharfbuzz as hb

from letters.render.shaping import ONE_VEHICLE, PANGO_SCALE, _hb_font, widths_of

RUNS_KEPT = 50_000
"""Runs a face's memo keeps, least recently used dropped first (lines holding a VIN are never kept)."""
PIECES_KEPT = 20_000
"""Written glyphs (``<gid>adjustment``, by glyph and advance) a face keeps per size before starting afresh."""
FEATURES = {"kern": True, "liga": True}
"""The OpenType features Pango shapes Latin text with."""
_CODEPOINT, _X_ADVANCE = attrgetter("codepoint"), attrgetter("x_advance")
_X_OFFSET, _Y_OFFSET = attrgetter("x_offset"), attrgetter("y_offset")
_TJ_TOKEN = re.compile(rb"<([0-9A-Fa-f]*)>|(-?[0-9.]+)|(\s+)")
_BFCHAR = re.compile(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>")
_BFRANGE = re.compile(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*(?:<([0-9A-Fa-f]+)>|\[([^\]]*)\])")
_SECTION = re.compile(rb"begin(bfchar|bfrange)(.*?)end\1", re.S)


@dataclass(frozen=True)
class Run:
    """A field's text as this module derives it: what its TJ operand must be."""

    tj: bytes
    """The TJ array, ``[<gid>adjustment...]``."""
    width: float
    """HarfBuzz's advance width (px): what WeasyPrint lays out and right-aligns."""
    gids: frozenset[int]
    """Glyphs used."""
    problem: str | None
    """Why the face cannot print the text as its text (a glyph it lacks, a map that reads back otherwise)."""


class Face:
    """One embedded face as WeasyPrint wrote it (its ``/W`` widths and ``/ToUnicode`` map) and the runs proved."""

    def __init__(self, bold: bool, font: pikepdf.Object) -> None:
        self.bold = bold
        """Bold face (HarfBuzz shapes with the shipped bold file)."""
        self.to_unicode = to_unicode(font.ToUnicode.read_bytes())
        """Glyph ID -> the text it stands for."""
        cid = font.DescendantFonts[0]
        self.default = int(cid.get("/DW", 1000))
        """Width of a glyph ``/W`` does not list (thousandths of an em)."""
        self.widths = widths_of(font)
        """Glyph ID -> width (thousandths of an em), as a viewer advances it."""
        self.runs: OrderedDict[tuple[str, float], Run] = OrderedDict()
        """(text, size) -> its run, as this module shaped it; least recently used dropped first."""
        self.pieces: dict[int, dict[tuple[int, int], bytes]] = {}
        """Per size (1/1024 px), (glyph, HarfBuzz advance) -> the glyph as written in a TJ array."""

    def identity(self) -> tuple[object, ...]:
        """What the runs depend on: faces with the same widths and map share one memo."""
        return (self.bold, self.default, tuple(sorted(self.widths.items())), tuple(sorted(self.to_unicode.items())))

    def run(self, text: str, size: float) -> Run:
        """The run ``text`` must be at ``size`` px: from the memo, else shaped now (and kept unless it holds a VIN)."""
        key = (text, size)
        found = self.runs.get(key)
        if found is not None:
            self.runs.move_to_end(key)
            return found
        made = self.shape(text, size)
        if not ONE_VEHICLE.search(text):
            self.keep(key, made)
        return made

    def keep(self, key: tuple[str, float], run: Run) -> None:
        """Remember a run this module shaped."""
        self.runs[key] = run
        if len(self.runs) > RUNS_KEPT:
            self.runs.popitem(last=False)

    def shape(self, text: str, size: float) -> Run:
        """``text`` shaped now by HarfBuzz at ``size`` px, written with WeasyPrint's arithmetic
        (``weasyprint/draw/text.py``: the ``/W`` width less the advance, in thousandths of the size, truncated)."""
        scale = int(size * PANGO_SCALE)
        font = _hb_font(self.bold, scale)
        buf = hb.Buffer()
        buf.add_str(text)
        buf.guess_segment_properties()
        hb.shape(font, buf, FEATURES)
        positions = buf.glyph_positions
        gids = list(map(_CODEPOINT, buf.glyph_infos))
        advances = list(map(_X_ADVANCE, positions))
        pieces = self.pieces.setdefault(scale, {})
        try:
            tj = b"".join(map(pieces.__getitem__, zip(gids, advances, strict=True)))
        except KeyError:  # a glyph at an advance not written before at this size
            font_size = scale / PANGO_SCALE
            for g, a in zip(gids, advances, strict=True):
                width = self.widths.get(g)
                if width is None:  # a glyph the subset lacks (the letter is refused): its own advance
                    width = round(font.get_glyph_h_advance(g) * 1000 / PANGO_SCALE / font_size)
                pieces[(g, a)] = b"<%04x>%d" % (g, int(width - a * 1000 * (1 / PANGO_SCALE) / font_size))
            tj = b"".join(map(pieces.__getitem__, zip(gids, advances, strict=True)))
            if len(pieces) > PIECES_KEPT:
                pieces.clear()
        used = frozenset(gids)
        problem = None
        try:
            reads = "".join(map(self.to_unicode.__getitem__, gids))
        except KeyError:
            reads = None
        if reads is None or 0 in used or not used <= self.widths.keys():
            problem = "glyph outside the embedded font"
        elif any(map(_X_OFFSET, positions)) or any(map(_Y_OFFSET, positions)):
            problem = "glyph offset the stamp does not draw"
        elif reads != text:
            problem = "text the embedded font's map does not read back"
        return Run(b"[%s]" % tj, sum(advances) / PANGO_SCALE, used, problem)

    def read(self, tj: bytes) -> list[tuple[int, int]] | None:
        """(glyph ID, adjustment after it) of a TJ array, or None when it is not one."""
        out: list[tuple[int, int]] = []
        body, at = tj[1:-1], 0
        while at < len(body):
            m = _TJ_TOKEN.match(body, at)
            if m is None:
                return None
            at = m.end()
            if m.group(1) is not None:
                hexes = m.group(1)
                if len(hexes) % 4:
                    return None
                out.extend((int(hexes[i : i + 4], 16), 0) for i in range(0, len(hexes), 4))
            elif m.group(2) is not None:
                if not out:
                    return None
                out[-1] = (out[-1][0], out[-1][1] + int(float(m.group(2))))
        return out

    def decode(self, pairs: Sequence[tuple[int, int]]) -> str:
        """The text glyphs stand for in this face's map (U+FFFD for a glyph it does not map)."""
        return "".join(self.to_unicode.get(g, "\ufffd") for g, _ in pairs)


def to_unicode(cmap: bytes) -> dict[int, str]:
    """Glyph ID -> text of a ``/ToUnicode`` CMap (``bfchar`` and ``bfrange`` sections)."""
    out: dict[int, str] = {}
    for kind, body in _SECTION.findall(cmap):
        if kind == b"bfchar":
            for src, dst in _BFCHAR.findall(body):
                out[int(src, 16)] = bytes.fromhex(dst.decode()).decode("utf-16-be", "replace")
            continue
        for lo, hi, start, listed in _BFRANGE.findall(body):
            first, last = int(lo, 16), int(hi, 16)
            if listed:
                for n, dst in enumerate(re.findall(rb"<([0-9A-Fa-f]+)>", listed)):
                    out[first + n] = bytes.fromhex(dst.decode()).decode("utf-16-be", "replace")
                continue
            base = bytes.fromhex(start.decode())
            for n in range(last - first + 1):
                # The last byte counts up (PDF 32000-1, 9.10.3).
                code = base[:-1] + bytes([(base[-1] + n) & 0xFF]) if base else base
                out[first + n] = code.decode("utf-16-be", "replace")
    return out
