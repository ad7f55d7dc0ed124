"""A delivery address in USPS Publication 28 form, by Pub 28's own tables and placements.

What it does, and nothing more:

- Words become their Appendix C1 street suffix (STREET -> ST, only the last word of the
  street name, and only when a name word precedes it: AVENUE OF THE AMERICAS, ROUTE 66,
  COUNTY ROAD 12 and 5 STREET keep theirs), Appendix C2 secondary unit designator
  (SUITE -> STE, BUILDING -> BLDG, BASEMENT -> BSMT; Spanish APARTAMENTO -> APT) or
  directional (NORTH -> N, before a name or after the suffix; NORTH ST keeps its name).
- Numbers are never changed: house and unit numbers keep their fractions (``123 1/2``),
  hyphens (``39-21``, ``100-B``) and grid decimals (``39.2``); a spelled house number
  (ONE HUNDRED) becomes its digits, as Pub 28 asks.
- ``#`` keeps its meaning: ``#5B`` -> ``# 5B``; after a designator (``APT #12``) it is
  dropped, so a designator is never doubled or invented. The same secondary on both
  lines prints once. The secondary goes after the street (``APT 5 123 MAIN`` -> ``123
  MAIN ... APT 5``).
- PO BOX, RR n BOX m, HC n BOX m and the military PSC/CMR/UNIT n BOX m forms (Pub 28
  chapter 2); ``c/o`` stays ``C/O``, on a line of its own above the delivery line.
- Puerto Rico (chapter 29): CALLE and the other Spanish prefixes stay before the name
  (AVENIDA -> AVE, CARRETERA -> CARR); the house number goes before the prefix with its
  marker dropped (``CALLE 3 #45`` -> ``45 CALLE 3``; block and house ``BLQ 199 CASA 31``
  -> ``199-31``); a one-line ``URB ... 150 CALLE ...`` is split into its urbanization
  line and the delivery line.

It does not check that an address exists or is deliverable (no CASS, no DPV): it only
writes what the owner file says in the standard form.
"""

from __future__ import annotations

import re
from functools import cache

from letters.address.text import tokens

VERSION = 2
"""Bump when the rules below change what they make of a line: ledgers keep results by it."""

SECONDARY: dict[str, str] = {
    "APARTMENT": "APT", "APT": "APT", "BASEMENT": "BSMT", "BSMT": "BSMT", "BUILDING": "BLDG", "BLDG": "BLDG",
    "DEPARTMENT": "DEPT", "DEPT": "DEPT", "FLOOR": "FL", "FL": "FL", "FRONT": "FRNT", "FRNT": "FRNT",
    "HANGAR": "HNGR", "HNGR": "HNGR", "KEY": "KEY", "LOBBY": "LBBY", "LBBY": "LBBY", "LOT": "LOT",
    "LOWER": "LOWR", "LOWR": "LOWR", "OFFICE": "OFC", "OFC": "OFC", "PENTHOUSE": "PH", "PH": "PH",
    "PIER": "PIER", "REAR": "REAR", "ROOM": "RM", "RM": "RM", "SIDE": "SIDE", "SLIP": "SLIP", "SPACE": "SPC",
    "SPC": "SPC", "STOP": "STOP", "SUITE": "STE", "STE": "STE", "TRAILER": "TRLR", "TRLR": "TRLR",
    "UNIT": "UNIT", "UPPER": "UPPR", "UPPR": "UPPR", "PMB": "PMB",
    # Spanish (Puerto Rico) designators, as the Appendix C2 designator of the same meaning.
    "APARTAMENTO": "APT", "APTO": "APT", "EDIFICIO": "BLDG", "OFICINA": "OFC", "PISO": "FL", "SOTANO": "BSMT",
}  # fmt: skip
"""Appendix C2 secondary unit designators (and PMB, Pub 28 section 28 on CMRAs): written form -> standard."""

NO_NUMBER = frozenset({"BSMT", "FRNT", "LBBY", "LOWR", "OFC", "PH", "REAR", "SIDE", "UPPR"})
"""Designators that take no unit number (starred in Appendix C2)."""

DIRECTIONAL: dict[str, str] = {
    "NORTH": "N", "SOUTH": "S", "EAST": "E", "WEST": "W", "NORTHEAST": "NE", "NORTHWEST": "NW",
    "SOUTHEAST": "SE", "SOUTHWEST": "SW", "N": "N", "S": "S", "E": "E", "W": "W", "NE": "NE", "NW": "NW",
    "SE": "SE", "SW": "SW",
}  # fmt: skip
"""Appendix B directionals."""

SPANISH_PREFIX: dict[str, str] = {
    "CALLE": "CALLE", "AVENIDA": "AVE", "AVE": "AVE", "PASEO": "PASEO", "PLAZA": "PLAZA", "PASAJE": "PASAJE",
    "CARRETERA": "CARR", "CARR": "CARR", "PARQUE": "PARQUE", "VEREDA": "VEREDA", "VISTA": "VISTA", "VIA": "VIA",
    "CALLEJON": "CALLEJON", "PATIO": "PATIO", "BLVD": "BLVD", "CAMINO": "CAMINO", "CALETA": "CALETA",
    "MARGINAL": "MARGINAL",
}  # fmt: skip
"""Puerto Rico street prefixes (Pub 28 section 29), which stay before the street name."""

HOUSE_MARKERS = frozenset({"#", "NUM", "NUMERO", "NO", "CASA", "LOTE"})
"""Words that stand before a Puerto Rico house number and are dropped (Pub 28 section 29)."""
BLOCK_MARKERS = frozenset({"BLQ", "BLOQUE", "BQ"})
"""Words that stand before a Puerto Rico block number (``BLQ 199 CASA 31`` -> ``199-31``)."""

_NUMBER_WORDS = {
    "ZERO": 0, "ONE": 1, "TWO": 2, "THREE": 3, "FOUR": 4, "FIVE": 5, "SIX": 6, "SEVEN": 7, "EIGHT": 8, "NINE": 9,
    "TEN": 10, "ELEVEN": 11, "TWELVE": 12, "THIRTEEN": 13, "FOURTEEN": 14, "FIFTEEN": 15, "SIXTEEN": 16,
    "SEVENTEEN": 17, "EIGHTEEN": 18, "NINETEEN": 19, "TWENTY": 20, "THIRTY": 30, "FORTY": 40, "FIFTY": 50,
    "SIXTY": 60, "SEVENTY": 70, "EIGHTY": 80, "NINETY": 90,
}  # fmt: skip


@cache
def suffixes() -> dict[str, str]:
    """Appendix C1: every written street suffix -> its standard abbreviation (one-word entries).

    The table comes from usaddress-scourgify's ``STREET_TYPE_ABBREVIATIONS``, which is C1.
    """
    from scourgify.address_constants import STREET_TYPE_ABBREVIATIONS

    return {k: v for k, v in STREET_TYPE_ABBREVIATIONS.items() if " " not in k and " " not in v}


def _is_number(token: str) -> bool:
    """A house or unit number as written: any digit, or a single letter (APT B)."""
    return any(ch.isdigit() for ch in token) or (len(token) == 1 and token.isalpha())


def _is_fraction(token: str) -> bool:
    return "/" in token and token != "C/O"


def _number_words(words: list[str]) -> tuple[int, int] | None:
    """(value, words used) of a spelled number at the start of ``words`` (ONE HUNDRED TWENTY -> 120)."""
    total = current = used = 0
    for word in words:
        if word in _NUMBER_WORDS:
            current += _NUMBER_WORDS[word]
        elif word == "HUNDRED" and used:
            current = max(current, 1) * 100
        elif word == "THOUSAND" and used:
            total, current = total + max(current, 1) * 1000, 0
        elif word == "AND" and used:
            pass
        else:
            break
        used += 1
    return (total + current, used) if used else None


_PO_BOX = re.compile(r"(?:POST OFFICE BOX|POST OFFICE|POST BOX|P O BOX|PO BOX|POBOX|P O B|POB|BOX|APARTADO|APDO)"
                     r"(?: #)? (\S+)")  # fmt: skip
_RURAL = re.compile(r"(?:RURAL ROUTE|RURAL RTE|RURAL RT|RURAL FREE DELIVERY|RFD ROUTE|RFD|R R|RR|RURAL)(?: #)? (\S+)"
                    r"(?: BOX(?: #)? (\S+))?")  # fmt: skip
_ROUTE_BOX = re.compile(r"(?:ROUTE|RTE|RT)(?: #)? (\S+) BOX(?: #)? (\S+)")
_CONTRACT = re.compile(r"(?:HIGHWAY CONTRACT ROUTE|HIGHWAY CONTRACT|HWY CONTRACT|HCR|H C|HC|STAR ROUTE|STAR RTE)"
                       r"(?: #)? (\S+)(?: BOX(?: #)? (\S+))?")  # fmt: skip
_MILITARY = re.compile(r"(PSC|POSTAL SERVICE CENTER|CMR|UNIT) (\S+) BOX(?: #)? (\S+)")


def _special(words: list[str]) -> list[str] | None:
    """PO BOX, rural route, highway contract and military forms (Pub 28 chapter 2), or None."""
    line = " ".join(words)
    if m := _PO_BOX.fullmatch(line):
        return ["PO", "BOX", m[1]] if _is_number(m[1]) else None
    if (m := _RURAL.fullmatch(line)) or (m := _ROUTE_BOX.fullmatch(line)):
        if not _is_number(m[1]):
            return None
        return ["RR", m[1], *(["BOX", m[2]] if m[2] else [])]
    if m := _CONTRACT.fullmatch(line):
        return ["HC", m[1], *(["BOX", m[2]] if m[2] else [])] if _is_number(m[1]) else None
    if m := _MILITARY.fullmatch(line):
        return ["PSC" if m[1] != "CMR" and m[1] != "UNIT" else m[1], m[2], "BOX", m[3]]
    return None


def _secondary_at(words: list[str], i: int) -> tuple[list[str], int] | None:
    """The secondary unit starting at ``words[i]`` (standard words, words it spans), or None."""
    word = words[i]
    rest = words[i + 1 :]
    if word == "#":
        if rest and rest[0] != "#":
            n = 2 + (len(rest) > 1 and _is_fraction(rest[1]))
            return ["#", *words[i + 1 : i + n]], n
        return None
    designator = SECONDARY.get(word)
    if designator is None:
        return None
    skip = 1 if rest[:1] == ["#"] else 0  # APT #12: the designator says it, "#" would double it
    after = rest[skip:]
    if after and _is_number(after[0]) and not _is_fraction(after[0]):
        n = 2 + skip + (len(after) > 1 and _is_fraction(after[1]))
        return [designator, *words[i + 1 + skip : i + n]], n
    if designator in NO_NUMBER and not skip and (not rest or rest[0] in SECONDARY or rest[0] == "#"):
        return [designator], 1
    return None


def _split_secondary(words: list[str], unit_line: bool) -> tuple[list[str], list[list[str]]]:
    """(the street words, the secondary units found in them)."""
    street: list[str] = []
    units: list[list[str]] = []
    i = 0
    while i < len(words):
        found = _secondary_at(words, i)
        # In the street line a designator counts at the very start (APT 5 123 MAIN ST) or after the
        # house number and a name word (so FRONT ST, UNIT RD and KEY WEST are street names).
        at_start = i == 0 and found is not None and len(words) > found[1] and _is_number(words[found[1]])
        bare_ok = found is not None and (len(found[0]) > 1 or _after_street(street))
        if found is not None and (unit_line or at_start or (len(street) >= 2 and bare_ok)):
            units.append(found[0])
            i += found[1]
            continue
        street.append(words[i])
        i += 1
    return street, units


def _after_street(street: list[str]) -> bool:
    """A bare designator (REAR) ends a street line only after its suffix or post-directional."""
    return bool(street) and (street[-1] in suffixes().values() or street[-1] in DIRECTIONAL)


def _primary(words: list[str], spanish: bool) -> list[str]:
    """The primary address (house number, directionals, name, suffix) in standard form."""
    if not any(any(ch.isdigit() for ch in w) for w in words):
        spelled = _number_words(words)
        if spelled is not None and len(words) - spelled[1] >= 2:
            words = [str(spelled[0]), *words[spelled[1] :]]
    house: list[str] = []
    if words and _is_number(words[0]) and len(words) > 1:
        house = [words[0]]
        if len(words) > 2 and _is_fraction(words[1]):
            house.append(words[1])
    rest = words[len(house) :]
    if spanish and rest and rest[0] in SPANISH_PREFIX:
        return [*house, SPANISH_PREFIX[rest[0]], *rest[1:]]
    table = suffixes()
    pre: list[str] = []
    post: list[str] = []
    if house and rest[:1] and rest[0] in DIRECTIONAL and (len(rest) >= 3 or (len(rest) == 2 and rest[1] not in table)):
        pre, rest = [DIRECTIONAL[rest[0]]], rest[1:]
    if len(rest) >= 2 and rest[-1] in DIRECTIONAL and rest[-2] not in DIRECTIONAL:
        rest, post = rest[:-1], [DIRECTIONAL[rest[-1]]]
    if len(rest) >= 2 and rest[-1] in table:
        rest = [*rest[:-1], table[rest[-1]]]
    return [*house, *pre, *rest, *post]


def _spanish_house(words: list[str]) -> list[str]:
    """A Puerto Rico line with its house number first: CALLE 3 #45 -> 45 CALLE 3; BLQ 199 CASA 31 -> 199-31."""
    if not words or _is_number(words[0]):
        return words
    block = house = None
    kept: list[str] = []
    i = 0
    while i < len(words):
        word, nxt = words[i], words[i + 1] if i + 1 < len(words) else ""
        if word in BLOCK_MARKERS and _is_number(nxt):
            block, i = nxt, i + 2
        elif word in HOUSE_MARKERS and _is_number(nxt) and kept:
            house, i = nxt, i + 2
        else:
            kept.append(word)
            i += 1
    if house is None:
        return words
    return [f"{block}-{house}" if block else house, *kept]


def standardise(street: str, unit: str, spanish: bool = False) -> tuple[str, str]:
    """(delivery line, second) in Pub 28 form. ``second`` is the secondary unit (``APT 4``, ``# 5B``),
    for the delivery line or the line above it, or other text of the second line (``C/O JANE DOE``),
    which goes above it; ``spanish`` for Puerto Rico's street forms.

    The commonest form (``123 N MAIN STREET APT 4``, plain words) is written by table lookups
    alone (``_plain``); every other line goes through the rules (``rules``), which give it the
    same result (``tests/test_address.py`` holds the two equal on a large generated corpus).
    """
    if not spanish:
        plain = _plain(street, unit)
        if plain is not None:
            return _plain_standard(*plain)
    return rules(street, unit, spanish)


# A house number, plain words, and perhaps a designator and its number; a unit line of a
# designator and its number. Anything else (punctuation, fractions, "#", a number inside the
# name) goes through the rules.
_PLAIN_STREET = re.compile(r"([0-9]+)((?: [A-Za-z]+)+?)(?: ([A-Za-z]+)\.? ([0-9]+))?")
_PLAIN_UNIT = re.compile(r"([A-Za-z]+)\.? ([0-9]+)")
_PLAIN_REFUSED = frozenset({*SECONDARY, *_NUMBER_WORDS, "C", "O", "BOX", "PO", "POB", "POBOX", "POST", "RR", "RFD",
                            "RURAL", "HC", "HCR", "STAR", "PSC", "CMR", "POSTAL", "APARTADO", "APDO", "HIGHWAY",
                            "HWY", "ROUTE", "RTE", "RT"})  # fmt: skip
"""Words a plain line's name may not hold: the rules may read them as something other than a name."""


def _plain(street: str, unit: str) -> tuple[str, list[str], list[list[str]]] | None:
    """(house number, name words, secondary units) of a line in the plain form, or None."""
    m = _PLAIN_STREET.fullmatch(street)
    if m is None:
        return None
    names = m[2].upper().split()
    if any(w in _PLAIN_REFUSED for w in names):
        return None
    units = []
    if m[3] is not None:
        designator = SECONDARY.get(m[3].upper())
        if designator is None:
            return None
        units.append([designator, m[4]])
    if unit:
        u = _PLAIN_UNIT.fullmatch(unit)
        designator = SECONDARY.get(u[1].upper()) if u is not None else None
        if u is None or designator is None:
            return None
        if [designator, u[2]] not in units:
            units.append([designator, u[2]])
    return m[1], names, units


def _plain_standard(house: str, names: list[str], units: list[list[str]]) -> tuple[str, str]:
    return " ".join(_primary([house, *names], False)), " ".join(w for one in units for w in one)


def rules(street: str, unit: str, spanish: bool = False) -> tuple[str, str]:
    """``standardise`` by the full rules, whatever the line's form."""
    words, extra = tokens(street), tokens(unit)
    if spanish:
        words = _spanish_house(words)
    swapped, found_units = _split_secondary(words, unit_line=True)
    if words and extra and found_units and not swapped:  # "Apt 5" / "123 Main St": the lines were swapped
        words, extra = extra, words
    street_units: list[list[str]]
    special = _special(words)
    if special is not None:
        primary, street_units = special, []
    else:
        primary, street_units = _split_secondary(words, unit_line=False)
        primary = _special(primary) or _primary(primary, spanish)
    text: list[str] = []
    unit_units: list[list[str]] = []
    if extra:
        rest, found = _split_secondary(extra, unit_line=True)
        if found and not rest:
            unit_units = found
        elif len(extra) == 1 and _is_number(extra[0]):
            unit_units = [extra]  # a bare unit number, kept as written (no designator is invented)
        else:
            text = extra
    units: list[list[str]] = []
    for one in street_units + unit_units:
        if one not in units:
            units.append(one)
    second = " ".join(w for one in units for w in one)
    line = " ".join(primary)
    if text:
        return (f"{line} {second}" if second else line), " ".join(text)
    return line, second


def is_secondary(second: str) -> bool:
    """Whether ``second`` (from ``standardise``) is a secondary unit rather than a line of its own."""
    first = second.split(" ", 1)[0]
    return bool(first) and (first == "#" or first in SECONDARY.values() or _is_number(first))


_CHANGING = frozenset({"#", "C/O", "BOX", "POB", "POBOX", "RURAL", "RR", "RFD", "HC", "HCR", "STAR", "PSC", "CMR",
                       "APARTADO", "APDO", "POSTAL", *_NUMBER_WORDS})  # fmt: skip


@cache
def _changing_words() -> frozenset[str]:
    """Words whose presence means ``standardise`` may write the line otherwise than plainly."""
    words = {k for k, v in suffixes().items() if k != v} | {k for k, v in DIRECTIONAL.items() if k != v}
    return frozenset(words | set(SECONDARY) | _CHANGING)


def may_change(street: str, unit: str) -> bool:
    """False only when ``standardise`` (English forms) returns both lines as ``tokens`` writes them.

    Most real lists are already in Pub 28 form: those lines skip the rules and the ledger.
    """
    if not unit and (plain := _plain(street, unit)) is not None:
        # As ``changes_by_tokens``, without tokenising: the plain line's words are its tokens.
        return bool(plain[2]) or any(w in _changing_words() for w in plain[1])
    return changes_by_tokens(street, unit)


def changes_by_tokens(street: str, unit: str) -> bool:
    """``may_change`` by the line's tokens, whatever its form."""
    words, extra = tokens(street), tokens(unit)
    if not words or not _is_number(words[0]) or extra:
        return True
    changing = _changing_words()
    return any(w in changing or _is_fraction(w) for w in words)


def urbanization_split(urbanization: str, street: str) -> tuple[str, str]:
    """(urbanization, street) with a one-line ``URB LAS GLADIOLAS 150 CALLE TULIPAN`` split in two."""
    if urbanization:
        return urbanization, street
    words = tokens(street)
    if not words or words[0] not in ("URB", "URBANIZACION"):
        return "", street
    for i in range(2, len(words)):
        if _is_number(words[i]):
            return " ".join(["URB", *words[1:i]]), " ".join(words[i:])
    return "", street


def urbanization_line(urbanization: str) -> str:
    """The urbanization line: URBANIZACION -> URB."""
    words = tokens(urbanization)
    if words and words[0] == "URBANIZACION":
        words[0] = "URB"
    return " ".join(words)
