"""A campaign's runs as people see them (state, batches, pieces, last error), and ending one by cancelling it."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace

from letters.ledger.base import LedgerBase
from letters.ledger.rows import RunInfo
from letters.ledger.schema import now

STATES = ("finished", "cancelled", "failed", "unfinished")
"""A run's states: its files all written; ended by ``letters cancel``; stopped by an error; interrupted or killed."""


@dataclass(frozen=True)
class RunState:
    """One run with where it stands."""

    run: RunInfo
    """The run as planned."""
    state: str
    """One of ``STATES``."""
    started: str
    """When it was planned (UTC, ISO)."""
    finished: str | None
    """When its manifest and job ticket were written, if they were."""
    batches_done: int
    """Batch files written and recorded."""
    batches_total: int
    """Batches planned, voided ones included."""
    pieces: int
    """Pieces reserved, voided ones included."""
    pieces_done: int
    """Pieces in written batch files."""
    voided: int
    """Pieces voided by a cancel (never printed; their IDs and serials are not reused)."""
    error: str
    """The last error that stopped the run; empty if none did."""
    cancelled: str | None
    """When it was cancelled, if it was."""
    cancel_reason: str
    """Why it was cancelled."""


class History(LedgerBase):
    """Runs with their state; recording failures, renderer changes and cancels."""

    def run_states(self, campaign: str | None = None, run_id: str | None = None) -> list[RunState]:
        """The runs of ``campaign`` (or the one ``run_id``), oldest first, with their batch and piece counts."""
        where, args = ("r.run_id = ?", (run_id,)) if run_id is not None else ("r.campaign = ?", (campaign,))
        rows = self._rows(
            "SELECT r.*,"
            " (SELECT COUNT(*) FROM batches b WHERE b.run_id = r.run_id) AS batches_total,"
            " (SELECT COUNT(*) FROM batches b WHERE b.run_id = r.run_id AND b.status = 'done') AS batches_done,"
            " (SELECT COUNT(*) FROM pieces p WHERE p.run_id = r.run_id) AS pieces_total,"
            " (SELECT COUNT(*) FROM pieces p WHERE p.run_id = r.run_id AND p.void != '') AS pieces_void,"
            " (SELECT COUNT(*) FROM pieces p JOIN batches b ON (p.campaign, p.phase, p.batch) ="
            " (b.campaign, b.phase, b.batch) WHERE p.run_id = r.run_id AND b.status = 'done') AS pieces_done"
            f" FROM runs r WHERE {where} ORDER BY r.started, r.run_id",
            args,
        )
        out = []
        for row in rows:
            if row["cancelled"] is not None:
                state = "cancelled"
            elif row["finished"] is not None:
                state = "finished"
            elif row["error"]:
                state = "failed"
            else:
                state = "unfinished"
            out.append(RunState(
                RunInfo.from_row(row), state, row["started"], row["finished"], int(row["batches_done"]),
                int(row["batches_total"]), int(row["pieces_total"]), int(row["pieces_done"]), int(row["pieces_void"]),
                row["error"], row["cancelled"], row["cancel_reason"],
            ))  # fmt: skip
        return out

    def fail_run(self, run_id: str, error: str) -> None:
        """Record the error that stopped ``run_id`` (``letters runs`` shows it; the run is ``failed``)."""
        with self.transaction() as db:
            db.execute("UPDATE runs SET error = ? WHERE run_id = ?", (error, run_id))

    def set_renderer(self, run: RunInfo, renderer: str) -> RunInfo:
        """Finish ``run`` with another renderer from now on (a resume given ``--renderer``)."""
        settings = {**run.settings, "renderer": renderer}
        with self.transaction() as db:
            db.execute("UPDATE runs SET settings = ? WHERE run_id = ?", (json.dumps(settings), run.run_id))
        return replace(run, settings=settings)

    def cancel_run(self, run_id: str, reason: str) -> tuple[int, int]:
        """End ``run_id``: its unwritten batches and their pieces are voided with ``reason``, in one transaction.

        Voided pieces stay in the ledger (their piece IDs and IMb serials are never handed out
        again: batch numbers only grow and the serial registry keeps the run's block), but no
        longer reserve their VINs, which are pending again. Returns (batches, pieces) voided.
        """
        with self.transaction() as db:
            planned = [b for (b,) in db.execute(
                "SELECT batch FROM batches WHERE run_id = ? AND status = 'planned'", (run_id,))]  # fmt: skip
            voided = 0
            for batch in planned:
                cursor = db.execute("UPDATE pieces SET void = ? WHERE run_id = ? AND batch = ?",
                                    (reason, run_id, batch))  # fmt: skip
                voided += cursor.rowcount
            db.execute("UPDATE batches SET status = 'void' WHERE run_id = ? AND status = 'planned'", (run_id,))
            db.execute("UPDATE runs SET cancelled = ?, cancel_reason = ? WHERE run_id = ?", (now(), reason, run_id))
        return len(planned), voided
