"""The Intelligent Mail barcode (USPS-B-3200), encoded with zint (zint-bindings' USPS_IMAIL).

A piece's 20-digit tracking code is barcode ID (2) + service type ID (3) + Mailer ID (6 or
9) + serial number (9 or 6), the serial unique per Mailer ID for at least 45 days (handed
out by the registry every ledger of the Mailer ID shares, ``letters.ledger.registry``); its
routing code is the ZIP, ZIP+4 or ZIP+4+delivery point (0, 5, 9 or 11 digits). The 65 bars
are written as a string of F (full), A (ascender), D (descender) and T (tracker).
"""

from __future__ import annotations

from dataclasses import dataclass

from letters.errors import LettersError

ZINT_ROWS = 200
"""Rows of zint's module buffer (``encoded_data``; ZINT_MAX_ROWS in zint.h): each 144 bytes wide."""
BAR_WIDTH_IN = 0.020
"""USPS-B-3200: 0.015-0.025 in."""
BAR_PITCH_IN = 1 / 22
"""USPS-B-3200: 20-24 bars per inch."""
FULL_IN = 0.125
"""Full bar height: 0.125-0.165 in (the least, so the bars and their clear zone fit below five address lines)."""
TRACKER_IN = 0.048
"""Tracker height: 0.039-0.057 in."""


@dataclass(frozen=True)
class Imb:
    """One piece's barcode."""

    tracking: str
    """20 digits: barcode ID, service type ID, Mailer ID, serial number."""
    routing: str
    """0, 5, 9 or 11 digits."""
    bars: str
    """65 letters F, A, D, T, left to right."""


def serial_digits(mailer_id: str) -> int:
    """Digits of the serial number: 9 for a 6-digit Mailer ID, 6 for a 9-digit one."""
    return 15 - len(mailer_id)


def encode(barcode_id: str, service_type: str, mailer_id: str, serial: int, zip_code: str) -> Imb:
    """The barcode of one piece."""
    import zint

    digits = serial_digits(mailer_id)
    if not 0 <= serial < 10**digits:
        raise LettersError(f"IMb serial {serial} does not fit {digits} digits (Mailer ID {mailer_id})")
    tracking = f"{barcode_id}{service_type}{mailer_id}{serial:0{digits}d}"
    routing = zip_code.replace("-", "")
    if (
        len(tracking) != 20
        or not tracking.isdigit()
        or len(routing) not in (0, 5, 9, 11)
        or (not routing.isdigit() and routing)
    ):
        raise LettersError(f"cannot encode an IMb for tracking {tracking!r} and routing {routing!r}")
    symbol = zint.Symbol()
    symbol.symbology = zint.Symbology.USPS_IMAIL
    symbol.encode(f"{tracking}-{routing}" if routing else tracking)
    # zint's module rows: 0 holds the ascenders, 2 the descenders; bar i sits in column 2i,
    # each row's modules least significant bit first.
    if (symbol.rows, symbol.width) != (3, 129):
        raise LettersError(f"zint gave a {symbol.rows} x {symbol.width} IMb for {tracking}-{routing}; expected 3 x 129")
    modules = symbol.encoded_data.tobytes()
    stride = len(modules) // ZINT_ROWS
    # Each row as one integer (bar i at bit 2i); the ascender row shifted one up, so bits 2i+1 and 2i
    # of the sum say bar i, and each byte spells four bars.
    up = int.from_bytes(modules[:17], "little")
    down = int.from_bytes(modules[2 * stride : 2 * stride + 17], "little")
    bars = "".join(map(_FOUR_BARS.__getitem__, ((up << 1) | down).to_bytes(17, "little")))[:65]
    return Imb(tracking, routing, bars)


_FOUR_BARS = ["".join("TDAF"[b >> 2 * j & 3] for j in range(4)) for b in range(256)]
"""Byte -> its four bars, lowest bits first: 0 tracker, 1 descender, 2 ascender, 3 full."""


def _bar_table() -> tuple[dict[str, bytes], ...]:
    """Each of the 65 positions' four possible bars as "i y w h re" (see ``bar_ops``)."""
    w = BAR_WIDTH_IN / BAR_PITCH_IN
    full, tracker = FULL_IN * 72, TRACKER_IN * 72
    mid = (full - tracker) / 2
    spans = {"F": (0.0, full), "A": (0.0, mid + tracker), "D": (mid, full - mid), "T": (mid, tracker)}
    return tuple(
        {bar: b"%d %s %.2f %s re" % (i, _y(y), w, b"%.2f" % h) for bar, (y, h) in spans.items()} for i in range(65)
    )


def _y(y: float) -> bytes:
    return b"0" if y == 0 else b"%.2f" % y


BAR_OPS = _bar_table()
"""65 x 4: position -> bar letter -> its rectangle operator, in the bar frame (one unit per pitch)."""


def bar_ops(bars: str, left_pt: float, top_pt: float) -> bytes:
    """PDF content drawing ``bars`` as vector rectangles, K-only black; (left, top) in points from the
    page's top-left corner (y down, as the page's field coordinates are)."""
    # In a frame one bar pitch wide per unit, each bar is "i y w h re" with four possible
    # (y, h): short, repetitive operators that compress to a few hundred bytes per piece,
    # looked up in BAR_OPS rather than formatted per letter.
    head = b"q 0 g %.4f 0 0 1 %.2f %.2f cm\n" % (BAR_PITCH_IN * 72, left_pt, top_pt)
    return head + b"\n".join([ops[bar] for ops, bar in zip(BAR_OPS, bars, strict=True)]) + b"\nf Q\n"
