"""Records stage: read vehicle and owner CSVs, validate, merge by VIN, assign phases.

The merge (and with it Polars and Arrow) is imported on first use, not with the records'
model: the fork server and the rendering workers read ``Owner``, ``Vehicle`` and ``Piece``
and never the tables, and importing Polars cost each run's fork server 0.3 s of CPU.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from letters.records.model import Owner, Piece, Rejection, Source, Vehicle, outcome_names

if TYPE_CHECKING:
    from letters.campaign import Campaign
    from letters.records.merge import Reconciliation

__all__ = ["Owner", "Piece", "Reconciliation", "Rejection", "Source", "Vehicle", "outcome_names", "reconcile"]


def reconcile(campaign: Campaign, vehicles: Path, owners: Path, as_of: date,
              repaired: Mapping[str, date] | None = None) -> Reconciliation:  # fmt: skip
    """``letters.records.merge.reconcile``: read, validate, merge and phase both files."""
    from letters.records import merge

    return merge.reconcile(campaign, vehicles, owners, as_of, repaired)


def __getattr__(name: str) -> Any:
    if name == "Reconciliation":
        from letters.records.merge import Reconciliation

        return Reconciliation
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
