"""Address lines as the envelope window prints them, and whether they fit in it.

USPS Publication 28 form: upper case, no punctuation but what Pub 28 keeps (the ZIP+4
hyphen, a fraction's slash, a hyphen or decimal point inside a number, ``C/O``, ``#``),
diacritics folded to ASCII (the letter's salutation keeps the owner's real name), Pub 28's
street suffixes, directionals and secondary unit designators (``pub28``), the secondary
unit on the delivery line or, when that would not fit, the line above it.

The recipient block of the owner letter is 3.75 in wide in 9 pt Liberation Sans and holds
five address lines above the Intelligent Mail barcode (``.recipient`` in
``templates/_shared/owner-letter.css``; a test keeps the two in step). A line wider than
that would be clipped at the window's edge, so the records stage rejects such a record
(``address_too_long``) instead of printing part of an address.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache, lru_cache

from letters.address import pub28
from letters.address.text import fold as fold
from letters.address.text import last_line as last_line
from letters.address.text import usps_line as usps_line
from letters.charset import PRINTABLE
from letters.errors import excerpt

WINDOW_WIDTH_IN = 3.75
"""Width of the recipient block (in): the 4 in window less 1/8 in clearance each side."""
WINDOW_FONT_PT = 9.0
"""Font size of the recipient block (pt)."""
WINDOW_LINES = 5
"""Address lines the recipient block holds above the barcode (50 pt at 10 pt leading)."""

_PX_PER_PT = 4 / 3  # CSS: 96 px to the inch, 72 pt
_WIDTH_PX = WINDOW_WIDTH_IN * 96
_SIZE_PX = WINDOW_FONT_PT * _PX_PER_PT

RULES_VERSION = pub28.VERSION
"""The standardisation rules' version: ledgers keep results by it (``standard_rules``)."""


def standard_rules() -> str:
    """What produced a standardised line (``Ledger.standard_streets`` keys its results by it)."""
    return f"letters Pub 28 rules {RULES_VERSION}"


@lru_cache(maxsize=65536)
def standard_delivery(street: str, unit: str) -> tuple[str, str]:
    """(delivery line, second line) standardised by Pub 28 rules (``pub28.standardise``).

    ``second`` is the secondary unit (``APT 4``, ``# 5B``), printed on the delivery line or
    the line above it, or other text of the owner's second address line (``C/O JANE DOE``),
    printed above it.
    """
    if not needs_parser(street, unit, ""):
        return usps_line(street), usps_line(unit)
    return pub28.standardise(street, unit)


@lru_cache(maxsize=4096)
def _spanish_delivery(street: str, unit: str) -> tuple[str, str]:
    return pub28.standardise(street, unit, spanish=True)


def needs_parser(street: str, unit: str, state: str) -> bool:
    """Whether ``address_block`` would run the Pub 28 rules through ``standard`` (and the ledger's cache)
    on this delivery address: not for lines already in Pub 28 form, nor for Puerto Rico's Spanish forms
    (standardised directly, never cached)."""
    return state not in SPANISH_STREETS and pub28.may_change(street, unit)


Standardiser = Callable[[str, str], tuple[str, str]]
"""(street, unit) -> (delivery line, secondary unit), as ``standard_delivery``."""


def delivery_lines(street: str, unit: str, standardise: bool = True,
                   standard: Standardiser | None = None) -> tuple[str, ...]:  # fmt: skip
    """The delivery line(s): the unit on the delivery line, or on the line above when that is too wide;
    a second line that is not a unit (``C/O ...``) above it."""
    if standardise:
        line, second = (standard or standard_delivery)(street, unit)
    else:
        line, second = usps_line(street), usps_line(unit)
    if not second:
        return (line,)
    if not pub28.is_secondary(second):
        return (second, line)
    together = f"{line} {second}"
    return (together,) if overflow(together) is None else (second, line)


SPANISH_STREETS = frozenset({"PR"})
"""Where street names follow Spanish usage ("150 CALLE TULIPAN", "URB ..."): Pub 28 chapter 29's forms."""


def _delivery(urbanization: str, street: str, unit: str, state: str,
              standard: Standardiser | None) -> list[str]:  # fmt: skip
    """Urbanization (Puerto Rico) and delivery lines, top to bottom."""
    if state in SPANISH_STREETS:
        urbanization, street = pub28.urbanization_split(urbanization, street)
        lines = [pub28.urbanization_line(urbanization)] if urbanization else []
        return lines + list(delivery_lines(street, unit, True, _spanish_delivery))
    lines = [usps_line(urbanization)] if urbanization else []
    return lines + list(delivery_lines(street, unit, True, standard))


def address_block(names: Sequence[str], delivery: Sequence[str], city: str, state: str, zip_code: str,
                  standard: Standardiser | None = None) -> tuple[str, ...]:  # fmt: skip
    """The address block, top to bottom, in USPS form; ``delivery`` is (urbanization, street, unit).

    ``standard`` stands in for ``standard_delivery``: a planner that standardised each distinct
    street once (or took it from the ledger) passes what it found.
    """
    urbanization, street, unit = (*delivery, "", "", "")[:3] if len(delivery) != 3 else delivery
    body = [usps_line(name) for name in names]
    body.extend(_delivery(urbanization, street, unit, state, standard))
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

    # Between two letters and between two digits (a fraction's slash, a number's hyphen or decimal point
    # stays there), so a character that becomes a space is not stripped away; "#" prints as "# ".
    middles = {ch: [usps_line(f"{a}{ch}{a}")[1:-1] for a in "A1"] + (["# "] if ch == "#" else []) for ch in PRINTABLE}
    printed = sorted({c for forms in middles.values() for middle in forms for c in middle} | {"A", "1"})
    advance = {ch: measure(ch, False, _SIZE_PX) for ch in printed}
    slack = max(0.0, *(measure(a + b, False, _SIZE_PX) - advance[a] - advance[b] for a in printed for b in printed))
    bounds = {ch: max(sum(advance[c] for c in middle) for middle in forms) for ch, forms in middles.items()}
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

    Lines are checked as they will print (Pub 28 form, the unit on the delivery line or above it);
    a short ASCII address that prints on one delivery line is cleared on its length alone, so most
    records never pay for the rules.
    """
    problems = []
    safe = safe_length()
    # (field, text, whether text is already as printed)
    lines = [(key, text, False) for key, text in names if text]
    together = f"{street} {unit}" if unit else street
    one_line = not unit or pub28.is_secondary(usps_line(unit))
    if state not in SPANISH_STREETS and one_line and together.isascii() and len(together) + together.count("#") <= safe:
        # Short ASCII fits in any USPS form (the widest capital times its length fits; "#" may gain a space).
        if urbanization:
            lines.append(("urbanization", urbanization, False))
        lines.append(("address1" if not unit else "address1/address2", together, False))
    else:
        printed = _delivery(urbanization, street, unit, state, None)
        split = pub28.urbanization_split(urbanization, street)[0] if state in SPANISH_STREETS else urbanization
        keys = ["urbanization"] if split else []
        rest = len(printed) - len(keys)
        keys += ["address2", "address1"] if rest == 2 else ["address1" if not unit else "address1/address2"]
        lines += [(key, line, True) for key, line in zip(keys, printed, strict=True)]
    lines.append(("city", f"{city} {state} {zip_code}", False))
    for key, raw, done in lines:
        if raw.isascii() and len(raw) <= safe:
            continue
        line = raw if done else usps_line(raw) if key != "city" else last_line(city, state, zip_code)
        width = overflow(line)
        if width is not None:
            problems.append(
                f"{key}: {excerpt(line, 80)} prints {width:.2f} in wide, and the envelope window holds "
                f"{WINDOW_WIDTH_IN:.2f} in (address_too_long; shorten it, e.g. with USPS abbreviations)"
            )
    if not problems and len(lines) > WINDOW_LINES:
        problems.append(
            f"address: {len(lines)} lines ({excerpt(' / '.join(line for _, line, _ in lines), 120)}), and the "
            f"envelope window holds {WINDOW_LINES} above the barcode (address_too_long)"
        )
    return problems


ZIP_PREFIXES = "zip_prefixes.txt"
"""The ZIP-prefix table beside this module: one line per 3-digit prefix, then the states it serves."""


@cache
def zip_prefix_states() -> dict[str, frozenset[str]]:
    """ZIP prefix (3 digits) -> the states and territories it serves (the ``zipcodes`` data, offline).

    Read from ``ZIP_PREFIXES``, which ``zip_prefix_table()`` wrote from the ``zipcodes`` package:
    building it from the package's 42,000 entries takes half a second of every records stage,
    the file a millisecond. ``tests/test_address.py`` holds the two equal.
    """
    from importlib.resources import files

    text = files(__package__).joinpath(ZIP_PREFIXES).read_text(encoding="ascii")
    return {prefix: frozenset(states) for prefix, *states in (line.split() for line in text.splitlines())}


def zip_prefix_table() -> str:
    """``ZIP_PREFIXES``'s text as the installed ``zipcodes`` package gives it (sorted, one prefix a line)."""
    import zipcodes

    found: dict[str, set[str]] = {}
    for entry in zipcodes.list_all():  # type: ignore[no-untyped-call]
        found.setdefault(entry["zip_code"][:3], set()).add(entry["state"])
    return "".join(f"{prefix} {' '.join(sorted(states))}\n" for prefix, states in sorted(found.items()))


def zip_state_problem(zip_code: str, state: str) -> str:
    """Why ``zip_code`` cannot be an address in ``state`` ("" when it can)."""
    states = zip_prefix_states().get(zip_code[:3])
    if states is None:
        return f"zip: {zip_code!r} is not a ZIP in use (no ZIP begins {zip_code[:3]})"
    if state not in states:
        return f"zip: {zip_code!r} belongs to {'/'.join(sorted(states))}, not {state} (ZIP prefix {zip_code[:3]})"
    return ""
