"""The pieces of the run this process just planned, by batch, as its renderers read them.

Executing a run right after planning it, the batch jobs come from these instead of being
read back from the ledger (a query and a JSON decode per piece, ~0.1 s at 5,000 letters, in
the main process while the workers wait). They are what was written: the same pieces, made
by ``piece_input`` from the rows ``Ledger.plan`` inserted, so reading them back gives the same
jobs (tests/test_mail_heap.py checks it). A run planned by an earlier call is read back.
"""

from __future__ import annotations

from letters.render.pieces import PieceInput

_PLANNED: dict[str, dict[int, tuple[PieceInput, ...]]] = {}


def keep_planned(run_id: str, batches: dict[int, tuple[PieceInput, ...]]) -> None:
    """The run's reserved pieces by batch (only the latest run's: a run executes right after its plan)."""
    _PLANNED.clear()
    _PLANNED[run_id] = batches


def planned_batch(run_id: str, batch: int) -> tuple[PieceInput, ...] | None:
    """Batch ``batch`` of ``run_id`` as planned by this process, or None (planned elsewhere: read it back)."""
    return _PLANNED.get(run_id, {}).get(batch)


def forget_planned() -> None:
    _PLANNED.clear()
