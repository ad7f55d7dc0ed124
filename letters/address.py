"""Address lines as the envelope window prints them, and whether they fit in it.

USPS Publication 28 form: upper case, no punctuation but the ZIP+4 hyphen, diacritics
folded to ASCII (the letter's salutation keeps the owner's real name), standard street
suffixes, directionals and secondary unit designators (usaddress-scourgify), the
secondary unit on the delivery line or, when that would not fit, the line above it.

The recipient block of the owner letter is 3.75 in wide in 9 pt Liberation Sans and holds
five address lines above the Intelligent Mail barcode (``.recipient`` in
``templates/_shared/owner-letter.css``; a test keeps the two in step). A line wider than
that would be clipped at the window's edge, so the records stage rejects such a record
(``address_too_long``) instead of printing part of an address.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from functools import cache, lru_cache

from letters.charset import PRINTABLE

WINDOW_WIDTH_IN = 3.75
"""Width of the recipient block (in): the 4 in window less 1/8 in clearance each side."""
WINDOW_FONT_PT = 9.0
"""Font size of the recipient block (pt)."""
WINDOW_LINES = 5
"""Address lines the recipient block holds above the barcode (50 pt at 10 pt leading)."""

_PX_PER_PT = 4 / 3  # CSS: 96 px to the inch, 72 pt
_WIDTH_PX = WINDOW_WIDTH_IN * 96
_SIZE_PX = WINDOW_FONT_PT * _PX_PER_PT

# Pub 28: upper case, no punctuation. Only the ZIP+4 hyphen survives, and the last line
# adds it back.
_PUNCTUATION = re.compile(r"[^\w\s]", re.UNICODE)


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
    """One address line in USPS form: ASCII capitals, punctuation removed, spaces collapsed."""
    cleaned = _PUNCTUATION.sub(lambda m: "" if m.group() in "'\u2019." else " ", fold(text))
    return " ".join(cleaned.upper().split())


def last_line(city: str, state: str, zip_code: str) -> str:
    """City, state and ZIP line in USPS form."""
    return f"{usps_line(city)} {state} {zip_code}"


RULES_VERSION = 1
"""Bump when the standardisation below changes what it makes of a line: ledgers keep results by it."""


@cache
def standard_rules() -> str:
    """What produced a standardised line: the parser's version and these rules' (``Ledger.standard_streets``)."""
    from importlib.metadata import version

    parsers = f"usaddress-scourgify {version('usaddress-scourgify')}, usaddress {version('usaddress')}"
    return f"{parsers}, rules {RULES_VERSION}"


@lru_cache(maxsize=65536)
def standard_delivery(street: str, unit: str) -> tuple[str, str]:
    """(delivery line, secondary unit) standardised by Pub 28 rules (usaddress-scourgify).

    Suffixes and directionals abbreviated (STREET -> ST, NORTH -> N), the unit designator
    standard (SUITE -> STE; a bare "#" becomes UNIT, so no punctuation remains). A line the
    parser cannot read (rural routes, many Puerto Rico addresses) is kept as written, in
    USPS form.
    """
    if not _parser_changes(street, unit):
        return usps_line(street), usps_line(unit)
    shaped = _number_template(street, unit)
    if shaped is not None:
        (t_street, t_unit), numbers = shaped
        restored = _restore(_parse_delivery(t_street, t_unit), numbers)
        if restored is not None:
            return restored
    return _parse_delivery(street, unit)


@lru_cache(maxsize=65536)
def _parse_delivery(street: str, unit: str) -> tuple[str, str]:
    from scourgify import normalize_address_record

    try:
        # City, state and ZIP do not change the delivery line: fixed values keep the cache small.
        record = normalize_address_record(
            {"address_line_1": fold(street), "address_line_2": fold(unit) or None, "city": "AUSTIN",
             "state": "TX", "postal_code": "73301"}
        )  # fmt: skip
    except Exception:
        return usps_line(street), usps_line(unit)
    line = usps_line(record.get("address_line_1") or "")
    second = record.get("address_line_2") or ""
    return line, usps_line(second.replace("#", "UNIT "))


# A number the parser's tokenizer (usaddress) reads as a token of its own.
_WHOLE_NUMBER = re.compile(r"(?<![^\s,;#&()])[0-9]+(?![^\s,;#&()])")


def _number_template(street: str, unit: str) -> tuple[tuple[str, str], dict[str, str]] | None:
    """The lines with each whole number replaced by a stand-in, and stand-in -> number; None when unsafe.

    The parser (usaddress's CRF) sees a number only through its length and trailing zeros,
    and the standardiser copies it through unchanged, so "48207 Anna Throughway Apt. 126"
    and "11111 Anna Throughway Apt. 222" parse alike: lines that differ only in their
    house and unit numbers share one parse. The k-th number becomes digit k+1 repeated,
    keeping length and trailing zeros, so each stand-in is unique and can be put back.
    Numbers inside words (1ST, 12B), with leading zeros, or more than nine of them: None.
    """
    numbers: dict[str, str] = {}

    def stand_in(match: re.Match[str]) -> str:
        number = match.group()
        if number[0] == "0" or len(numbers) == 9:
            raise ValueError
        zeros = len(number) - len(number.rstrip("0"))
        key = str(len(numbers) + 1) * (len(number) - zeros) + "0" * zeros
        numbers[key] = number
        return key

    try:
        lines = (_WHOLE_NUMBER.sub(stand_in, street), _WHOLE_NUMBER.sub(stand_in, unit))
    except ValueError:
        return None
    found = sum(len(n) for n in numbers.values())
    if not numbers or found != sum(ch.isdigit() for ch in street + unit):
        return None  # no number to share on, or digits the stand-ins do not cover
    return lines, numbers


def _restore(lines: tuple[str, str], numbers: dict[str, str]) -> tuple[str, str] | None:
    """``lines`` with each stand-in put back; None unless every stand-in appears once, as a word, and
    no other digits appear (an ordinal made of a stand-in, 22ND, means the number mattered)."""
    seen: list[str] = []
    out = []
    for line in lines:
        words = line.split(" ")
        for i, word in enumerate(words):
            if word in numbers:
                seen.append(word)
                words[i] = numbers[word]
            elif any(ch.isdigit() for ch in word):
                return None
        out.append(" ".join(words))
    if sorted(seen) != sorted(numbers):
        return None
    return out[0], out[1]


@cache
def _parser_words() -> tuple[frozenset[str], frozenset[str]]:
    """(words Pub 28 abbreviates: STREET, NORTH, APARTMENT...; unit designators: APT, STE, PMB...)."""
    from scourgify import address_constants as c

    words: set[str] = set()
    for table in (c.STREET_TYPE_ABBREVIATIONS, c.DIRECTIONAL_REPLACEMENTS, c.AMBIGUOUS_DIRECTIONALS,
                  c.OCCUPANCY_TYPE_ABBREVIATIONS):  # fmt: skip
        words.update(long for long, short in table.items() if long != short)
    units = {*c.OCCUPANCY_TYPE_ABBREVIATIONS, *c.OCCUPANCY_TYPE_ABBREVIATIONS.values(), "PMB"}
    return frozenset(words), frozenset(units)


def needs_parser(street: str, unit: str, state: str) -> bool:
    """Whether ``address_block`` would run the Pub 28 parser on this delivery address."""
    return state not in SPANISH_STREETS and _parser_changes(street, unit)


def _parser_changes(street: str, unit: str) -> bool:
    """Whether the parser could change the delivery address (a "#", or a word Pub 28 abbreviates)."""
    return "#" in street + unit or not _already_standard(usps_line(street), usps_line(unit))


def _already_standard(street: str, unit: str) -> bool:
    """True when the parser would change nothing: no word it abbreviates, and no unit designator in the
    street line that it would move. Most real lists are already abbreviated, and the parser costs about
    half a millisecond a line."""
    words, units = _parser_words()
    street_tokens, unit_tokens = street.split(), unit.split()
    return not any(t in words or t in units for t in street_tokens) and not any(t in words for t in unit_tokens)


Standardiser = Callable[[str, str], tuple[str, str]]
"""(street, unit) -> (delivery line, secondary unit), as ``standard_delivery``."""


def delivery_lines(street: str, unit: str, standardise: bool = True,
                   standard: Standardiser | None = None) -> tuple[str, ...]:  # fmt: skip
    """The delivery line(s): the unit on the delivery line, or on the line above when that is too wide."""
    if standardise:
        line, second = (standard or standard_delivery)(street, unit)
    else:
        line, second = usps_line(street), usps_line(unit)
    if not second:
        return (line,)
    together = f"{line} {second}"
    return (together,) if overflow(together) is None else (second, line)


SPANISH_STREETS = frozenset({"PR", "VI"})
"""Where street names follow Spanish usage ("CALLE 3", "URB ..."), which the US parser misreads:
kept as written, in USPS form."""


def address_block(names: Sequence[str], delivery: Sequence[str], city: str, state: str, zip_code: str,
                  standard: Standardiser | None = None) -> tuple[str, ...]:  # fmt: skip
    """The address block, top to bottom, in USPS form; ``delivery`` is (urbanization, street, unit).

    ``standard`` stands in for ``standard_delivery``: a planner that standardised each distinct
    street once, on all cores, passes what it found.
    """
    urbanization, street, unit = (*delivery, "", "", "")[:3] if len(delivery) != 3 else delivery
    body = [usps_line(name) for name in names]
    if urbanization:
        body.append(usps_line(urbanization))
    body.extend(delivery_lines(street, unit, state not in SPANISH_STREETS, standard))
    return (*[line for line in body if line], last_line(city, state, zip_code))


@cache
def safe_length() -> int:
    """Characters no line can exceed the window with, whatever they are (widest glyph x n < width)."""
    from letters.render.shaping import widest_advance

    return int(_WIDTH_PX // widest_advance(PRINTABLE.upper().strip(), False, _SIZE_PX))


@cache
def char_bounds() -> tuple[dict[str, float], float, float]:
    """(printable character -> px it can add to its line in USPS form, kerning slack px, window px).

    A raw line's printed width is at most the sum over its characters plus the slack per
    pair: each character prints as ``usps_line`` makes it (a capital, ``SS`` for ``ß``,
    nothing for ``'``, at most a space for other punctuation), and kerning between
    capitals, digits and spaces never widens a pair by more than the slack (zero for the
    shipped font). The records stage uses it to clear long lines in bulk without shaping
    each one.
    """
    from letters.render.shaping import measure

    # Between two letters, so a character that becomes a space is not stripped away.
    middles = {ch: usps_line(f"A{ch}A")[1:-1] for ch in PRINTABLE}
    printed = sorted({c for middle in middles.values() for c in middle} | {"A"})
    advance = {ch: measure(ch, False, _SIZE_PX) for ch in printed}
    slack = max(0.0, *(measure(a + b, False, _SIZE_PX) - advance[a] - advance[b] for a in printed for b in printed))
    bounds = {ch: sum(advance[c] for c in middle) for ch, middle in middles.items()}
    return bounds, slack, _WIDTH_PX


@lru_cache(maxsize=65536)
def width_in(line: str) -> float:
    """Printed width of ``line`` in the recipient block, inches (HarfBuzz, as Pango lays it out)."""
    from letters.render.shaping import measure

    return measure(line, False, _SIZE_PX) / 96


def overflow(line: str) -> float | None:
    """The printed width (in) of ``line`` when it is wider than the window; None when it fits."""
    # Most lines are too short to overflow even in the widest glyph, and most longer ones
    # fit by their characters' widths alone (``char_bounds``): only the rest are shaped.
    if len(line) <= safe_length():
        return None
    bounds, slack, window = char_bounds()
    try:
        if sum(map(bounds.__getitem__, line)) + slack * len(line) <= window:
            return None
    except KeyError:
        pass  # a character outside the printable set: shape it
    width = width_in(line)
    return width if width > WINDOW_WIDTH_IN + 1e-6 else None


def window_problems(names: Sequence[tuple[str, str]], urbanization: str, street: str, unit: str, city: str,
                    state: str, zip_code: str) -> list[str]:  # fmt: skip
    """Problems of an address that would not fit the window (``address_too_long``), naming the field.

    Lines are checked as they will print: the delivery line standardised only when its
    plain USPS form does not fit (standard abbreviations only shorten it), so most records
    never pay for the parser.
    """
    problems = []
    safe = safe_length()
    lines = [(key, text) for key, text in names if text]
    if urbanization:
        lines.append(("urbanization", urbanization))
    together = f"{street} {unit}" if unit else street
    if together.isascii() and len(together) <= safe:
        # Short ASCII fits in any USPS form (the widest capital times its length fits), so the
        # common record pays neither for formatting nor for the parser.
        lines.append(("address1" if not unit else "address1/address2", together))
    else:
        delivery = delivery_lines(street, unit, standardise=False)
        if state not in SPANISH_STREETS and (len(delivery) > 1 or any(overflow(line) for line in delivery)):
            delivery = delivery_lines(street, unit)
        keys = ["address2", "address1"] if len(delivery) == 2 else ["address1" if not unit else "address1/address2"]
        lines += list(zip(keys, delivery, strict=True))
    lines.append(("city", f"{city} {state} {zip_code}"))
    for key, raw in lines:
        if raw.isascii() and len(raw) <= safe:
            continue
        line = usps_line(raw) if key != "city" else last_line(city, state, zip_code)
        width = overflow(line)
        if width is not None:
            problems.append(
                f"{key}: {line!r} prints {width:.2f} in wide, and the envelope window holds "
                f"{WINDOW_WIDTH_IN:.2f} in (address_too_long; shorten it, e.g. with USPS abbreviations)"
            )
    if not problems and len(lines) > WINDOW_LINES:
        problems.append(
            f"address: {len(lines)} lines ({' / '.join(line for _, line in lines)}), and the envelope window holds "
            f"{WINDOW_LINES} above the barcode (address_too_long)"
        )
    return problems


@cache
def zip_prefix_states() -> dict[str, frozenset[str]]:
    """ZIP prefix (3 digits) -> the states and territories it serves, from the ``zipcodes`` data (offline)."""
    import zipcodes

    found: dict[str, set[str]] = {}
    for entry in zipcodes.list_all():  # type: ignore[no-untyped-call]
        found.setdefault(entry["zip_code"][:3], set()).add(entry["state"])
    return {prefix: frozenset(states) for prefix, states in found.items()}


def zip_state_problem(zip_code: str, state: str) -> str:
    """Why ``zip_code`` cannot be an address in ``state`` ("" when it can)."""
    states = zip_prefix_states().get(zip_code[:3])
    if states is None:
        return f"zip: {zip_code!r} is not a ZIP in use (no ZIP begins {zip_code[:3]})"
    if state not in states:
        return f"zip: {zip_code!r} belongs to {'/'.join(sorted(states))}, not {state} (ZIP prefix {zip_code[:3]})"
    return ""
