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


def csv_bytes(header: list[str], rows: Iterable[Iterable[object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def write_manifest(target: Path, rows: Iterable[Mapping[str, object]]) -> None:
    """manifest.csv: one row per piece."""
    durable_write(target, csv_bytes(MANIFEST_COLUMNS, ([row[c] for c in MANIFEST_COLUMNS] for row in rows)))


def write_json(target: Path, data: Mapping[str, Any]) -> None:
    """A JSON file, durably."""
    durable_write(target, (json.dumps(data, indent=2, sort_keys=False) + "\n").encode("utf-8"))
