"""``letters runs`` and ``letters cancel``: a campaign's runs and where each stands, and ending an unfinished one.

Cancelling keeps what was printed: the finished batches stay valid, and the run's manifest
and job ticket are written for them. Its unwritten pieces are voided with the reason: they
stay in the ledger, their piece IDs and IMb serials are never handed out again (batch
numbers of a phase only grow, and the serial registry keeps the run's block), and their
VINs are pending again, so the next ``mail`` sends them new pieces.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from letters import paths
from letters.campaign import canonical_code
from letters.errors import OutputError, UsageError
from letters.ledger import Ledger, RunState
from letters.mail.ticket import finish
from letters.write import make_folder, remove_partials


def _path(ledger: Path | None) -> Path:
    return ledger or paths.output_dir() / "ledger.sqlite"


def as_row(state: RunState) -> dict[str, Any]:
    """What ``letters runs --json`` prints of one run."""
    run = state.run
    return {
        "run_id": run.run_id, "campaign": run.campaign, "kind": run.kind, "phase": run.phase, "stage": run.stage,
        "as_of": run.as_of, "state": state.state, "batches_done": state.batches_done,
        "batches_total": state.batches_total, "pieces": state.pieces, "pieces_done": state.pieces_done,
        "voided": state.voided, "renderer": str(run.settings.get("renderer", "full")), "folder": run.folder,
        "error": state.error, "started": state.started, "finished": state.finished, "reason": run.reason,
        "cancelled": state.cancelled, "cancel_reason": state.cancel_reason,
    }  # fmt: skip


def list_runs(code: str, ledger: Path | None = None) -> list[dict[str, Any]]:
    """``letters runs``: every run of campaign ``code`` in the ledger, oldest first (a ledger that is not there
    is refused: a typo must not read as "no runs")."""
    code = canonical_code(code)
    book = Ledger(_path(ledger), create=False)
    try:
        return [as_row(s) for s in book.run_states(code)]
    finally:
        book.close()


def remove_voided(book: Ledger, run_id: str, folder: Path) -> list[Path]:
    """Delete the files of a run's voided batches: a killed run (or a worker that outlived it) may have
    renamed one into place before the ledger marked it done, and a vendor printing the folder must not
    print pieces the ledger voided. Returns what was removed."""
    removed = [
        folder / file for _, file, status in book.batches(run_id) if status == "void" and (folder / file).exists()
    ]
    for path in removed:
        try:
            path.unlink()
        except OSError as exc:
            raise OutputError.from_os(path, exc, "remove the voided batch file") from None
    return removed


def cancel(run_id: str, reason: str, ledger: Path | None = None) -> dict[str, Any]:
    """``letters cancel``: end an unfinished run; returns the run as ``letters runs`` lists it, and the job ticket.

    Refused (``UsageError``): an empty reason, a run ID the ledger does not hold, and a run
    that is finished or already cancelled. A cancel stopped before the files were written
    (a full disk) is completed by cancelling again.
    """
    if not reason.strip():
        raise UsageError("--reason must say why the run is cancelled (it is kept with the voided pieces)")
    book = Ledger(_path(ledger), lock=True, create=False)
    try:
        found = book.run_states(run_id=run_id.strip())
        if not found:
            raise UsageError(f"no run {run_id!r} in the ledger {book.path}; 'letters runs CAMPAIGN' lists the runs")
        (state,) = found
        run = state.run
        if state.state == "finished":
            raise UsageError(
                f"run {run.run_id} finished on {state.finished}: its letters are printed, so there "
                f"is nothing to cancel ('letters remail {run.campaign} VIN --reason' reprints one)"
            )
        if state.state == "cancelled" and state.finished is not None:
            raise UsageError(f"run {run.run_id} is already cancelled ({state.cancelled}: {state.cancel_reason})")
        if state.state != "cancelled":
            book.cancel_run(run.run_id, reason.strip())
            state = book.run_states(run_id=run.run_id)[0]
        folder = Path(run.folder)
        make_folder(folder)
        remove_partials(folder)
        remove_voided(book, run.run_id, folder)
        extra = {"cancelled": {"at": state.cancelled, "reason": state.cancel_reason, "voided": state.voided,
                               "batches_voided": state.batches_total - state.batches_done}}  # fmt: skip
        job = finish(book, run, folder, extra=extra)
        return {**as_row(book.run_states(run_id=run.run_id)[0]), "job": job}
    finally:
        book.close()
