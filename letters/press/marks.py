"""Marks a vendor's machines read: the inserter's DataMatrix on every page, the IMb in the window.

Every printed page, blank duplex backs included, carries a DataMatrix (ECC 200) at one
fixed spot encoding ``PIECE|S/N|BATCH``: the piece ID, the sheet's number among the piece's
sheets, and the batch. An inserter that reads it can prove every sheet of a piece went into
one envelope. The first page of each piece carries the piece's Intelligent Mail barcode,
below the address block inside the recipient window.

Marks are added to the finished pages of either renderer the same way, so the fast
renderer's verification compares marked pages with marked pages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import pikepdf

from letters.press.imb import FULL_IN, ZINT_ROWS, bar_ops

MARK_LEFT_IN, MARK_TOP_IN, MARK_SIZE_IN = 0.30, 10.30, 0.36
"""The DataMatrix: 0.30 in from the left edge, 10.30 in from the top (in the bottom margin), 0.36 in square."""
IMB_LEFT_IN, IMB_TOP_IN = 1.125, 2.847
"""The IMb's top-left corner on a letter's first page. The window is 0.875-4.875 in across and 2.0-3.125 in
down; the barcode with its clear zone (USPS-B-3200: 0.125 in left and right, 0.028 in above and below) lies
inside the window's 1/8 in clearance (1.0-4.75 in, 2.125-3.0 in) and below the five address lines (which end
2.125 + 50/72 = 2.819 in down): bars 1.125-4.054 in across, 2.847-2.972 in down."""
IMB_CLEAR_IN = (0.125, 0.028)
"""The IMb's clear zone (left/right, above/below), inches."""
PAYLOAD = "{piece}|{sheet}/{sheets}|{batch:04d}"
"""What each DataMatrix says."""


@dataclass(frozen=True)
class PieceMarks:
    """What to mark on one piece's pages."""

    piece_id: str
    """The piece."""
    vin: str
    """Its VIN (the record's identification in the file's document parts)."""
    first_page: int
    """Its first page in the file, from 1."""
    last_page: int
    """Its last page, padding included."""
    bars: str = ""
    """Its IMb (65 letters F/A/D/T); empty: none."""


def describe(example_piece: str, example_batch: int = 1) -> dict[str, object]:
    """The marks, as job.json tells the vendor; the payload example is one of the run's own pieces."""
    return {
        "datamatrix": {
            "symbology": "DataMatrix ECC 200", "pages": "every page, blank backs included",
            "left_in": MARK_LEFT_IN, "top_in": MARK_TOP_IN, "size_in": MARK_SIZE_IN,
            "payload": PAYLOAD.replace(":04d", ""), "payload_example": PAYLOAD.format(
                piece=example_piece, sheet=1, sheets=2, batch=example_batch),
        },
        "imb": {
            "symbology": "USPS Intelligent Mail barcode (USPS-B-3200)", "pages": "first page of each piece",
            "left_in": IMB_LEFT_IN, "top_in": IMB_TOP_IN, "height_in": FULL_IN, "bar_width_in": 0.020,
            "clear_zone_in": {"left_right": IMB_CLEAR_IN[0], "above_below": IMB_CLEAR_IN[1]},
            "bars_per_in": 22,
        },
    }  # fmt: skip


_REVERSED = bytes(int(f"{i:08b}"[::-1], 2) for i in range(256))


@lru_cache(maxsize=4096)
def datamatrix_ops(payload: str) -> bytes:
    """Content drawing ``payload`` as a DataMatrix: an inline 1-bit image mask, K-only black."""
    import zint

    symbol = zint.Symbol()
    symbol.symbology = zint.Symbology.DATAMATRIX
    symbol.encode(payload)
    size = symbol.width
    # zint keeps each row's modules least significant bit first; a PDF image wants the most
    # significant bit first, so each byte is bit-reversed (one table lookup per byte).
    width_bytes = (size + 7) // 8
    modules = symbol.encoded_data.tobytes()  # rows x 144 bytes
    stride = len(modules) // ZINT_ROWS
    data = b"".join(modules[row * stride : row * stride + width_bytes] for row in range(symbol.rows)).translate(
        _REVERSED
    )
    side = MARK_SIZE_IN * 72
    height = side * symbol.rows / size
    # Image space runs bottom-up; in the page's y-down frame the matrix is drawn flipped back.
    return (
        b"q 0 g %.2f 0 0 %.2f %.2f %.2f cm BI /W %d /H %d /IM true /BPC 1 /D [1 0] ID\n"
        % (side, -height, MARK_LEFT_IN * 72, MARK_TOP_IN * 72 + height, size, symbol.rows)
        + bytes(data)
        + b"\nEI Q\n"
    )


def page_marks(batch: int, pieces: Sequence[PieceMarks], duplex: bool) -> list[bytes]:
    """The marks content of every page of a batch file, in page order."""
    out: list[bytes] = []
    for piece in pieces:
        pages = piece.last_page - piece.first_page + 1
        sheets = -(-pages // 2) if duplex else pages
        for k in range(pages):
            sheet = k // 2 + 1 if duplex else k + 1
            ops = datamatrix_ops(PAYLOAD.format(piece=piece.piece_id, sheet=sheet, sheets=sheets, batch=batch))
            if k == 0 and piece.bars:
                ops += bar_ops(piece.bars, IMB_LEFT_IN * 72, IMB_TOP_IN * 72)
            out.append(b"q 1 0 0 -1 0 792 cm\n" + ops + b"Q\n")
    return out


def apply_marks(pdf: pikepdf.Pdf, batch: int, pieces: Sequence[PieceMarks], duplex: bool) -> None:
    """Add the marks to every page of ``pdf`` (the batch file, pieces in page order)."""
    contents = page_marks(batch, pieces, duplex)
    if len(contents) != len(pdf.pages):
        raise ValueError(f"marks for {len(contents)} pages, file has {len(pdf.pages)}")
    for page, ops in zip(pdf.pages, contents, strict=True):
        # The page's own content may leave its coordinate system changed (WeasyPrint's does):
        # it is wrapped in q/Q so the marks start from the page's default space. One stream
        # per page: a separate stream object for the marks would cost more than the marks.
        page.contents_coalesce()
        own = page.obj.Contents.read_bytes()
        page.obj.Contents = pdf.make_stream(b"q\n" + own + b"\nQ\n" + ops)
