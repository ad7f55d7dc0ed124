"""Address text in USPS form: ASCII capitals, the punctuation Pub 28 keeps and no other."""

from __future__ import annotations

import re
import unicodedata

# Letters NFKD does not split into a base letter and a mark.
_FOLD = str.maketrans({
    "ß": "SS", "ẞ": "SS", "Æ": "AE", "æ": "AE", "Ø": "O", "ø": "O", "Œ": "OE", "œ": "OE", "Ł": "L", "ł": "L",
    "Đ": "D", "đ": "D", "Ð": "D", "ð": "D", "Þ": "TH", "þ": "TH", "Ħ": "H", "ħ": "H", "\u0131": "I",
    "Ŀ": "L", "ŀ": "L", "Ŋ": "N", "ŋ": "N", "ĸ": "K", "\u017f": "S", "Ĳ": "IJ", "ĳ": "IJ", "ŉ": "N",
})  # fmt: skip


def fold(text: str) -> str:
    """``text`` in ASCII letters: "MARÍA MONTAÑA" -> "MARIA MONTANA" (USPS address lines are ASCII)."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).encode("ascii", "ignore").decode()


def usps_line(text: str) -> str:
    """One address line in USPS form, words as written: ASCII capitals, spaces collapsed, punctuation removed
    but a fraction's slash (``1/2``), ``C/O``, a hyphen inside a number (``39-21``, ``100-B``) and a decimal
    point (``39.2``), as Pub 28 keeps them. ``#`` is dropped here; ``pub28.standardise`` keeps its meaning."""
    return " ".join(t for t in tokens(text) if t != "#")


# One token of a line: C/O, a fraction, a decimal, "#", or a word (hyphens kept inside a word with a digit).
_TOKEN = re.compile(r"C/O|\d+/\d+|\d+\.\d+|#|[A-Z0-9]+(?:-[A-Z0-9]+)*")


def tokens(text: str) -> list[str]:
    """``text`` as Pub 28 words: ASCII capitals; apostrophes and periods dropped (but in a decimal), other
    punctuation a word break; ``/`` kept in a fraction and ``C/O``, ``-`` inside a word with a digit."""
    upper = fold(text).upper().replace("\u2019", "").replace("'", "")
    upper = re.sub(r"\bC\s*/\s*O\b", "C/O", upper)
    upper = re.sub(r"(?<!\d)\.|\.(?!\d)", "", upper)
    out: list[str] = []
    for token in _TOKEN.findall(upper):
        if "-" in token and not any(ch.isdigit() for ch in token):
            out.extend(token.split("-"))
        else:
            out.append(token)
    return out


def last_line(city: str, state: str, zip_code: str) -> str:
    """City, state and ZIP line in USPS form."""
    return f"{usps_line(city)} {state} {zip_code}"
