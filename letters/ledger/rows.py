"""What the ledger records of runs and pieces, as typed rows."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass


@dataclass(frozen=True)
class RunInfo:
    """A mailing run as the ledger records it."""

    run_id: str
    """Unique run ID (also the output folder name)."""
    campaign: str
    """Campaign code."""
    phase: int
    """Phase mailed."""
    revision: str
    """Campaign revision date, ISO."""
    as_of: str
    """Date the run was judged as of, ISO (also the letter date)."""
    kind: str
    """"mail" or "remail"."""
    stage: str
    """Owner-letter stage mailed."""
    reason: str
    """Why pieces were remailed; empty for first mailings."""
    folder: str
    """Output folder of the run."""
    settings: dict[str, object]
    """How to render: duplex, renderer, batch size."""
    summary: dict[str, object]
    """Reconciliation the run was planned from: records_read and outcomes."""

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> RunInfo:
        return cls(
            row["run_id"], row["campaign"], row["phase"], row["revision"], row["as_of"], row["kind"], row["stage"],
            row["reason"], row["folder"], json.loads(row["settings"]), json.loads(row["summary"]),
        )  # fmt: skip


@dataclass(frozen=True)
class PlannedPiece:
    """A piece reserved in the ledger."""

    piece_id: str
    """campaign-phase-batch-sequence."""
    vin: str
    """VIN of the letter."""
    batch: int
    """Batch number (per campaign and phase, across runs)."""
    seq: int
    """Position in the batch, from 1."""
    language: str
    """Language of the letter."""
    address: tuple[str, ...]
    """Envelope lines as printed."""
    zip: str
    """ZIP of the address (presort key)."""
    fields: dict[str, str] | None = None
    """Other per-owner fields printed (model, model year)."""
    imb: tuple[str, str, str] = ("", "", "")
    """The piece's Intelligent Mail barcode: (tracking, routing, bars)."""


@dataclass(frozen=True)
class PieceResult:
    """Where a piece landed in its batch file."""

    piece_id: str
    """The piece."""
    first_page: int
    """First page in the batch file, from 1."""
    last_page: int
    """Last page, padding included."""
    sheets: int
    """Sheets of paper (duplex: pages / 2)."""
