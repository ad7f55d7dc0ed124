"""Write stage: files a print vendor receives appear whole or not at all."""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterable, Mapping
from contextlib import suppress
from pathlib import Path
from typing import Any

from letters.errors import OutputError

MANIFEST_COLUMNS = [
    "piece_id", "vin", "batch", "file", "first_page", "last_page", "pages", "sheets", "language", "zip", "phase",
    "stage", "imb_tracking", "imb_routing", "imb", "envelope", "brand",
]  # fmt: skip


def durable_write(target: Path, data: bytes) -> None:
    """Write ``data`` so that ``target`` appears only complete: temp file, fsync, rename, fsync folder.

    A full disk or a read-only folder raises ``OutputError`` naming the file, and leaves
    neither a partial ``target`` nor the temp file behind.
    """
    tmp = target.with_name(f".{target.name}.tmp")
    try:
        make_folder(target.parent)
        with tmp.open("wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
        fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        with suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise OutputError.from_os(target, exc) from None


def make_folder(folder: Path) -> Path:
    """Create ``folder`` (and its parents) or raise ``OutputError`` saying why not."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError.from_os(folder, exc, "create the folder") from None
    return folder


def remove_partials(folder: Path) -> list[Path]:
    """Delete temp files a killed run left behind; returns what was removed."""
    removed = sorted(folder.glob(".*.tmp")) if folder.is_dir() else []
    for path in removed:
        try:
            path.unlink()
        except OSError as exc:
            raise OutputError.from_os(path, exc, "remove the partial file") from None
    return removed


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
"""What makes a spreadsheet read a CSV cell as a formula (OWASP, CSV Injection): =, +, -, @, tab and
carriage return, and their full-width forms, which some spreadsheets take as the same."""


def safe_cell(value: object) -> object:
    """``value`` fit for a CSV a person opens in a spreadsheet: a text cell that would start a
    formula gets a leading apostrophe (OWASP's advice), so ``=HYPERLINK(...)`` shows as typed.

    Numbers pass as they are; only the written file changes, never what the ledger or the
    records hold.
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_bytes(header: list[str], rows: Iterable[Iterable[object]]) -> bytes:
    """A CSV file's bytes, every text cell made safe to open (``safe_cell``).

    Rows end in CR LF (RFC 4180), which also makes the writer quote a cell holding a bare
    carriage return: with LF endings it would not, and a spreadsheet would start a new row
    (and possibly a formula) there.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in header])
    writer.writerows([safe_cell(cell) for cell in row] for row in rows)
    return buffer.getvalue().encode("utf-8")


def write_manifest(target: Path, rows: Iterable[Mapping[str, object]]) -> None:
    """manifest.csv: one row per piece."""
    durable_write(target, csv_bytes(MANIFEST_COLUMNS, ([row[c] for c in MANIFEST_COLUMNS] for row in rows)))


def write_json(target: Path, data: Mapping[str, Any]) -> None:
    """A JSON file, durably."""
    durable_write(target, (json.dumps(data, indent=2, sort_keys=False) + "\n").encode("utf-8"))
