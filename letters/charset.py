"""The characters owner letters can print: what the shipped font covers and USPS accepts.

ASCII, Latin-1, Latin Extended-A, typographic quotes and dashes. The records stage rejects
owner text outside it (a letter would print empty boxes); the fast renderer puts every one
of these glyphs into the embedded font subsets.
"""

from __future__ import annotations

PRINTABLE = "".join(
    [chr(c) for c in range(0x20, 0x7F)]
    + [chr(c) for c in range(0xA0, 0x100) if c != 0xAD]
    + [chr(c) for c in range(0x100, 0x180)]
    + list("\u2018\u2019\u201c\u201d\u2013\u2014\u2026\u00b7")
)
_ALLOWED = frozenset(PRINTABLE)


def unprintable(text: str) -> str:
    """The characters of ``text`` a letter cannot print, in order, once each."""
    if text.isascii() and text.isprintable():
        return ""
    return "".join(dict.fromkeys(ch for ch in text if ch not in _ALLOWED))
