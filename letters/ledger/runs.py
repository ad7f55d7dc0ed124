"""Runs, batches and pieces: planning, completing and reporting mailings."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable

from letters.ledger.base import LedgerBase
from letters.ledger.rows import PieceResult, PlannedPiece, RunInfo
from letters.ledger.schema import now


class Runs(LedgerBase):
    """The ledger's runs, batches and pieces."""

    def reserved_vins(self, campaign: str, stage: str | None = None) -> set[str]:
        """VINs with a piece for ``campaign`` (of ``stage``, or of any), planned or done, remails included.

        A remail that printed a stage counts as that stage's letter: a later regular mailing
        of the stage does not send the VIN another. Voided pieces (of a cancelled run, never
        printed) do not count: their VINs are pending again.
        """
        if stage is None:
            rows = self.db.execute("SELECT DISTINCT vin FROM pieces WHERE campaign = ? AND void = ''", (campaign,))
        else:
            rows = self.db.execute(
                "SELECT DISTINCT vin FROM pieces WHERE campaign = ? AND stage = ? AND void = ''", (campaign, stage)
            )
        return {vin for (vin,) in rows}

    def stage_pieces(self, campaign: str, stages: Iterable[str]) -> dict[str, tuple[str, str, str]]:
        """VIN -> (stage, piece ID, mailing date) of its latest piece of one of ``stages``, remails included
        (voided pieces, never printed, not)."""
        wanted = list(stages)
        if not wanted:
            return {}
        rows = self.db.execute(
            "SELECT p.vin, p.stage, p.piece_id, r.as_of FROM pieces p JOIN runs r ON p.run_id = r.run_id"
            f" WHERE p.campaign = ? AND p.stage IN ({', '.join('?' * len(wanted))}) AND p.void = ''"
            " ORDER BY p.created, p.piece_id",
            (campaign, *wanted),
        )
        return {vin: (stage, piece, when) for vin, stage, piece, when in rows}

    def latest_mailing(self, campaign: str) -> tuple[str, str] | None:
        """(mailing date, run ID) of the campaign's run with the latest mailing date, or None.

        A run cancelled before any of its batches was written mailed nothing, so it does not count.
        """
        row = self.db.execute(
            "SELECT as_of, run_id FROM runs r WHERE campaign = ? AND (cancelled IS NULL OR EXISTS"
            " (SELECT 1 FROM batches b WHERE b.run_id = r.run_id AND b.status = 'done'))"
            " ORDER BY as_of DESC, started DESC LIMIT 1",
            (campaign,),
        ).fetchone()
        return (str(row[0]), str(row[1])) if row else None

    def has_run(self, run_id: str) -> bool:
        """True when the ledger records ``run_id`` (of any campaign)."""
        return self.db.execute("SELECT 1 FROM runs WHERE run_id = ?", (run_id,)).fetchone() is not None

    def mailed_on(self, campaign: str, stage: str) -> dict[str, str]:
        """VIN -> date (ISO) of its first finished ``stage`` letter (a remail of the stage included), the run's date."""
        rows = self.db.execute(
            "SELECT p.vin, MIN(r.as_of) FROM pieces p JOIN runs r ON p.run_id = r.run_id"
            " JOIN batches b ON (p.campaign, p.phase, p.batch) = (b.campaign, b.phase, b.batch)"
            " WHERE p.campaign = ? AND p.stage = ? AND b.status = 'done' GROUP BY p.vin",
            (campaign, stage),
        )
        return {vin: when for vin, when in rows}

    def next_batch(self, campaign: str, phase: int) -> int:
        (last,) = self.db.execute(
            "SELECT COALESCE(MAX(batch), 0) FROM batches WHERE campaign = ? AND phase = ?", (campaign, phase)
        ).fetchone()
        return int(last) + 1

    def plan(
        self,
        run: RunInfo,
        batches: Iterable[tuple[int, str, list[PlannedPiece]]],
    ) -> None:
        """Record a run and reserve its batches and pieces, all in one transaction."""
        stamp = now()
        campaign, phase, revision, run_id, remail = run.campaign, run.phase, run.revision, run.run_id, run.reason
        with self.transaction() as db:
            db.execute(
                "INSERT INTO runs (run_id, campaign, phase, revision, as_of, kind, stage, reason, folder, settings,"
                " summary, started) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    run_id,
                    campaign,
                    phase,
                    revision,
                    run.as_of,
                    run.kind,
                    run.stage,
                    run.reason,
                    run.folder,
                    json.dumps(run.settings),
                    json.dumps(run.summary),
                    stamp,
                ),
            )
            for batch, file, pieces in batches:
                db.execute(
                    "INSERT INTO batches (campaign, phase, batch, run_id, file, status)"
                    " VALUES (?, ?, ?, ?, ?, 'planned')",
                    (campaign, phase, batch, run_id, file),
                )
                db.executemany(
                    "INSERT INTO pieces (piece_id, vin, campaign, phase, revision, run_id, stage, batch, seq, language,"
                    " zip, address, fields, remail, created, imb_tracking, imb_routing, imb)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        (
                            p.piece_id,
                            p.vin,
                            campaign,
                            phase,
                            revision,
                            run_id,
                            run.stage,
                            batch,
                            p.seq,
                            p.language,
                            p.zip,
                            "\n".join(p.address),
                            json.dumps(p.fields or {}, sort_keys=True),
                            remail,
                            stamp,
                            *p.imb,
                        )
                        for p in pieces
                    ],
                )

    def complete_batch(
        self, campaign: str, phase: int, batch: int, sha256: str, pages: int, results: Iterable[PieceResult],
        fallbacks: dict[str, int] | None = None,
    ) -> None:  # fmt: skip
        """Mark a batch done, with where each piece landed; call once its file is durable."""
        stamp = now()
        with self.transaction() as db:
            db.executemany(
                "UPDATE pieces SET first_page = ?, last_page = ?, pages = ?, sheets = ?, sha256 = ? WHERE piece_id = ?",
                [
                    (r.first_page, r.last_page, r.last_page - r.first_page + 1, r.sheets, sha256, r.piece_id)
                    for r in results
                ],
            )
            db.execute(
                "UPDATE batches SET status = 'done', sha256 = ?, pages = ?, fallbacks = ?, finished = ?"
                " WHERE campaign = ? AND phase = ? AND batch = ?",
                (sha256, pages, json.dumps(fallbacks or {}, sort_keys=True), stamp, campaign, phase, batch),
            )

    def finish_run(self, run_id: str) -> None:
        with self.transaction() as db:
            db.execute("UPDATE runs SET finished = ? WHERE run_id = ?", (now(), run_id))

    def unfinished_runs(self, campaign: str) -> list[RunInfo]:
        """Runs not finished (planned batches left, or files not written), oldest first; cancelled ones are ended."""
        return [
            RunInfo.from_row(row)
            for row in self._rows("SELECT * FROM runs WHERE campaign = ? AND finished IS NULL AND cancelled IS NULL"
                                  " ORDER BY started, run_id", (campaign,))
        ]  # fmt: skip

    def run_ids(self, campaign: str) -> set[str]:
        return {r for (r,) in self.db.execute("SELECT run_id FROM runs WHERE campaign = ?", (campaign,))}

    def batches(self, run_id: str) -> list[tuple[int, str, str]]:
        """(batch, file, status) of a run, in order."""
        return list(
            self.db.execute("SELECT batch, file, status FROM batches WHERE run_id = ? ORDER BY batch", (run_id,))
        )

    def pieces(self, run_id: str, batch: int | None = None) -> list[sqlite3.Row]:
        """Pieces of a run (or one of its batches), in batch and sequence order; voided pieces left out."""
        sql = "SELECT * FROM pieces WHERE run_id = ? AND void = ''"
        args: tuple[object, ...] = (run_id,)
        if batch is not None:
            sql += " AND batch = ?"
            args += (batch,)
        return self._rows(sql + " ORDER BY batch, seq", args)

    def batch_files(self, run_id: str) -> list[sqlite3.Row]:
        """Finished batches of a run with checksum and pages."""
        return self._rows("SELECT * FROM batches WHERE run_id = ? AND status = 'done' ORDER BY batch", (run_id,))

    def status(self, campaign: str) -> dict[tuple[int, str], dict[str, int]]:
        """Per (phase, stage): distinct VINs mailed (done, remails included), planned, and remailed pieces."""
        out: dict[tuple[int, str], dict[str, int]] = {}
        rows = self.db.execute(
            "SELECT p.phase, p.stage, COUNT(DISTINCT CASE WHEN b.status = 'done' THEN p.vin END),"
            " COUNT(DISTINCT CASE WHEN b.status = 'planned' THEN p.vin END),"
            " SUM(CASE WHEN p.remail != '' AND b.status = 'done' THEN 1 ELSE 0 END)"
            " FROM pieces p JOIN batches b ON (p.campaign, p.phase, p.batch) = (b.campaign, b.phase, b.batch)"
            " WHERE p.campaign = ? GROUP BY p.phase, p.stage",
            (campaign,),
        )
        for phase, stage, mailed, planned, remailed in rows:
            out[(int(phase), str(stage))] = {
                "mailed": int(mailed),
                "planned": int(planned),
                "remailed": int(remailed or 0),
            }
        return out
