"""Address lines as the envelope window prints them, and whether they fit in it.

USPS Publication 28 form: upper case, no punctuation but the ZIP+4 hyphen. The recipient
block of the owner letter is 3.75 in wide in 9 pt Liberation Sans (``.recipient`` in
``templates/_shared/owner-letter.css``; a test keeps the two in step). A line wider than
that would be clipped at the window's edge, so the records stage rejects such a record
with its reason instead of printing part of an address.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import cache

from letters.charset import PRINTABLE

WINDOW_WIDTH_IN = 3.75
"""Width of the recipient block (in): the 4 in window less 1/8 in clearance each side."""
WINDOW_FONT_PT = 9.0
"""Font size of the recipient block (pt)."""
WINDOW_LINES = 6
"""Lines the recipient block holds (0.875 in at 10 pt leading)."""

_PX_PER_PT = 4 / 3  # CSS: 96 px to the inch, 72 pt
_WIDTH_PX = WINDOW_WIDTH_IN * 96
_SIZE_PX = WINDOW_FONT_PT * _PX_PER_PT

# Pub 28: upper case, no punctuation. Only the ZIP+4 hyphen survives, and the last line
# adds it back.
_PUNCTUATION = re.compile(r"[^\w\s]", re.UNICODE)


def usps_line(text: str) -> str:
    """One address line in USPS form: upper case, punctuation removed, spaces collapsed."""
    cleaned = _PUNCTUATION.sub(lambda m: "" if m.group() in "'\u2019." else " ", unicodedata.normalize("NFC", text))
    return " ".join(cleaned.upper().split())


def last_line(city: str, state: str, zip_code: str) -> str:
    """City, state and ZIP line in USPS form."""
    return f"{usps_line(city)} {state} {zip_code}"


def address_block(
    names: Sequence[str], delivery: Sequence[str], city: str, state: str, zip_code: str
) -> tuple[str, ...]:
    """The address block, top to bottom, in USPS form; empty lines dropped."""
    body = [usps_line(line) for line in (*names, *delivery)]
    return (*[line for line in body if line], last_line(city, state, zip_code))


@cache
def _safe_length() -> int:
    """Characters no line can exceed the window with, whatever they are (widest glyph x n < width)."""
    from letters.render.shaping import widest_advance

    return int(_WIDTH_PX // widest_advance(PRINTABLE.upper().strip(), False, _SIZE_PX))


def width_in(line: str) -> float:
    """Printed width of ``line`` in the recipient block, inches (HarfBuzz, as Pango lays it out)."""
    from letters.render.shaping import measure

    return measure(line, False, _SIZE_PX) / 96


def overflow(line: str) -> float | None:
    """The printed width (in) of ``line`` when it is wider than the window; None when it fits."""
    # Most lines are too short to overflow even in the widest glyph: skip shaping them.
    if len(line) <= _safe_length():
        return None
    width = width_in(line)
    return width if width > WINDOW_WIDTH_IN + 1e-6 else None


def window_problems(fields: Sequence[tuple[str, str]], city: str, state: str, zip_code: str) -> list[str]:
    """A problem per address field whose printed line would not fit the window (``address_too_long``).

    ``fields`` are (field name, raw text) pairs in print order; the last line is checked
    under ``city``.
    """
    problems = []
    for key, line in (*((k, usps_line(t)) for k, t in fields), ("city", last_line(city, state, zip_code))):
        width = overflow(line)
        if width is not None:
            problems.append(
                f"{key}: {line!r} prints {width:.2f} in wide, and the envelope window holds "
                f"{WINDOW_WIDTH_IN:.2f} in (address_too_long; shorten it, e.g. with USPS abbreviations)"
            )
    return problems
