"""The mailing ledger: an SQLite record of every piece, so nothing is mailed twice or forgotten.

A run first *plans* its batches (their pieces are reserved in one transaction), then marks
each batch *done* only after its PDF is durable on disk. A run killed at any moment leaves
planned batches behind; the next run of the campaign finishes them before anything else,
so every letter ends up in exactly one finished batch.

The package is split by concern: ``schema`` (tables and migrations), ``base`` (connection and
transactions), ``runs`` (runs, batches, pieces), ``serials`` (the old per-ledger IMb serial
counter), ``registry`` (the IMb serial registry every ledger of a Mailer ID shares), ``history``
(runs with their state, failures and cancels), ``streets`` (standardised streets) and ``lock``
(one writer per ledger).
"""

from __future__ import annotations

from letters.ledger.base import LedgerBase
from letters.ledger.history import STATES, History, RunState
from letters.ledger.lock import RunLock
from letters.ledger.rows import PieceResult, PlannedPiece, RunInfo
from letters.ledger.runs import Runs
from letters.ledger.schema import INDEXES, MIGRATIONS, SCHEMA, SERIALS, STREETS, now
from letters.ledger.serials import SERIAL_DAYS, Serials
from letters.ledger.streets import Streets

__all__ = [
    "INDEXES", "MIGRATIONS", "SCHEMA", "SERIALS", "SERIAL_DAYS", "STATES", "STREETS",
    "History", "Ledger", "PieceResult", "PlannedPiece", "RunInfo", "RunLock", "RunState", "now",
]  # fmt: skip


class Ledger(Runs, History, Serials, Streets, LedgerBase):
    """One SQLite file, opened per command; ``lock=True`` for commands that plan or render runs.

    ``create=False`` refuses a path that does not exist (a typo must not read as "nothing mailed").
    """
