"""The mailing ledger: an SQLite record of every piece, so nothing is mailed twice or forgotten.

A run first *plans* its batches (their pieces are reserved in one transaction), then marks
each batch *done* only after its PDF is durable on disk. A run killed at any moment leaves
planned batches behind; the next run of the campaign finishes them before anything else,
so every letter ends up in exactly one finished batch.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import sqlite3
import sys
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from letters.errors import InputError, LedgerBusy, LedgerError

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id     TEXT PRIMARY KEY,
    campaign   TEXT NOT NULL,
    phase      INTEGER NOT NULL,
    revision   TEXT NOT NULL,
    as_of      TEXT NOT NULL,
    kind       TEXT NOT NULL,          -- 'mail' or 'remail'
    stage      TEXT NOT NULL DEFAULT 'remedy',  -- owner-letter stage mailed
    reason     TEXT NOT NULL DEFAULT '',
    folder     TEXT NOT NULL,
    settings   TEXT NOT NULL,          -- JSON: letter date, duplex, renderer, batch size
    summary    TEXT NOT NULL,          -- JSON: the reconciliation the run was planned from
    started    TEXT NOT NULL,
    finished   TEXT
);
CREATE TABLE IF NOT EXISTS batches (
    campaign   TEXT NOT NULL,
    phase      INTEGER NOT NULL,
    batch      INTEGER NOT NULL,
    run_id     TEXT NOT NULL REFERENCES runs(run_id),
    file       TEXT NOT NULL,
    status     TEXT NOT NULL,          -- 'planned' or 'done'
    sha256     TEXT,
    pages      INTEGER,
    fallbacks  TEXT NOT NULL DEFAULT '{}',  -- JSON: letters the fast renderer handed over, by reason
    finished   TEXT,
    PRIMARY KEY (campaign, phase, batch)
);
CREATE TABLE IF NOT EXISTS pieces (
    piece_id   TEXT PRIMARY KEY,
    vin        TEXT NOT NULL,
    campaign   TEXT NOT NULL,
    phase      INTEGER NOT NULL,
    revision   TEXT NOT NULL,
    run_id     TEXT NOT NULL REFERENCES runs(run_id),
    stage      TEXT NOT NULL DEFAULT 'remedy',  -- owner-letter stage: one piece per (campaign, stage, VIN)
    batch      INTEGER NOT NULL,
    seq        INTEGER NOT NULL,
    language   TEXT NOT NULL,
    zip        TEXT NOT NULL,
    address    TEXT NOT NULL,          -- envelope lines, newline-separated, as printed
    fields     TEXT NOT NULL DEFAULT '{}',  -- JSON: other per-owner fields printed (model, model year)
    remail     TEXT NOT NULL DEFAULT '',  -- reason, for remailed pieces
    first_page INTEGER,
    last_page  INTEGER,
    pages      INTEGER,
    sheets     INTEGER,
    sha256     TEXT,
    created    TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS pieces_vin ON pieces (campaign, vin);
CREATE INDEX IF NOT EXISTS pieces_batch ON pieces (campaign, phase, batch);
"""

# Columns added after the first ledgers were written. A ledger that lacks one gets it with
# its default, so its pieces keep their meaning: they were the campaign's single stage,
# "remedy", and printed no fields beyond address, VIN and piece ID.
MIGRATIONS = (
    ("runs", "stage", "TEXT NOT NULL DEFAULT 'remedy'"),
    ("pieces", "stage", "TEXT NOT NULL DEFAULT 'remedy'"),
    ("pieces", "fields", "TEXT NOT NULL DEFAULT '{}'"),
    ("pieces", "imb_tracking", "TEXT NOT NULL DEFAULT ''"),
    ("pieces", "imb_routing", "TEXT NOT NULL DEFAULT ''"),
    ("pieces", "imb", "TEXT NOT NULL DEFAULT ''"),
)
SERIALS = """
CREATE TABLE IF NOT EXISTS imb_serials (
    mailer_id  TEXT PRIMARY KEY,
    next       INTEGER NOT NULL           -- next serial number to hand out (before wrapping)
);
"""
SERIAL_DAYS = 45
"""USPS: an IMb's serial number must stay unique for at least 45 days."""
INDEXES = "CREATE INDEX IF NOT EXISTS pieces_stage ON pieces (campaign, stage, vin);"
STREETS = """
CREATE TABLE IF NOT EXISTS streets (
    street     TEXT NOT NULL,             -- delivery line as the owner file gave it
    unit       TEXT NOT NULL,             -- secondary unit as given
    rules      TEXT NOT NULL,             -- standardiser and version that produced the result
    line       TEXT NOT NULL,             -- Pub 28 delivery line
    second     TEXT NOT NULL,             -- Pub 28 secondary unit
    PRIMARY KEY (street, unit, rules)
) WITHOUT ROWID;
"""


def now() -> str:
    """UTC time stamp for ledger rows."""
    return datetime.now(UTC).isoformat(timespec="seconds")


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


class RunLock:
    """One writer per ledger: an exclusive ``flock`` on ``LEDGER.lock``, holding the holder's details.

    The operating system drops the lock when its process dies however it dies (``kill -9``
    included), so a lock left by a dead run is simply taken over; the details in the file
    only serve to name the running holder to a second run that is refused.
    """

    def __init__(self, ledger: Path) -> None:
        self.path = ledger.with_name(ledger.name + ".lock")
        try:
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise LedgerError(f"cannot open the ledger lock {self.path}: {exc.strerror}") from None
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = self._holder()
            os.close(self.fd)
            raise LedgerBusy(
                f"another letters run is using the ledger {ledger}: {holder}; "
                "wait for it to finish, then run this again (its runs are finished, never repeated)"
            ) from None
        info = {"pid": os.getpid(), "host": socket.gethostname(), "started": now(), "command": " ".join(sys.argv)}
        os.ftruncate(self.fd, 0)
        os.pwrite(self.fd, json.dumps(info).encode("utf-8"), 0)

    def _holder(self) -> str:
        try:
            info = json.loads(os.pread(self.fd, 4096, 0) or b"{}")
        except (OSError, ValueError):
            info = {}
        if not info:
            return "a process that has not yet said who it is"
        return f"pid {info.get('pid')} on {info.get('host')}, started {info.get('started')} ({info.get('command')})"

    def release(self) -> None:
        if self.fd >= 0:
            # The file stays: removing it would let a third run lock a new file while a
            # second still waits on the old one.
            os.close(self.fd)
            self.fd = -1


class Ledger:
    """One SQLite file, opened per command; ``lock=True`` for commands that plan or render runs."""

    def __init__(self, path: Path, lock: bool = False) -> None:
        path = path.resolve()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise LedgerError(f"cannot create the ledger's folder {path.parent}: {exc.strerror}") from None
        self.lock = RunLock(path) if lock else None
        try:
            self.db = sqlite3.connect(path, isolation_level=None, timeout=30)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")
            self.db.executescript(SCHEMA)
            self._migrate()
        except sqlite3.DatabaseError as exc:
            if self.lock:
                self.lock.release()
            raise InputError(f"{path}: not a usable ledger database ({exc})") from None
        self.path = path

    def _migrate(self) -> None:
        for table, column, decl in MIGRATIONS:
            have = {row[1] for row in self.db.execute(f"PRAGMA table_info({table})")}
            if column not in have:
                self.db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {decl}")
        self.db.executescript(INDEXES + SERIALS + STREETS)

    def close(self) -> None:
        self.db.close()
        if self.lock:
            self.lock.release()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """All or nothing: a crash inside leaves the ledger as it was.

        A full disk or a damaged file becomes a ``LedgerError``; nothing of the
        transaction is kept.
        """
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise LedgerError(f"cannot write the ledger {self.path}: {exc}") from None
        try:
            yield self.db
            self.db.execute("COMMIT")
        except BaseException as exc:
            with suppress(sqlite3.Error):
                self.db.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise LedgerError(
                    f"cannot write the ledger {self.path}: {exc}; nothing of this step was recorded"
                ) from None
            raise

    def reserved_vins(self, campaign: str, stage: str | None = None) -> set[str]:
        """VINs with a piece for ``campaign`` (of ``stage``, or of any), planned or done (first mailings only)."""
        if stage is None:
            rows = self.db.execute("SELECT DISTINCT vin FROM pieces WHERE campaign = ? AND remail = ''", (campaign,))
        else:
            rows = self.db.execute(
                "SELECT DISTINCT vin FROM pieces WHERE campaign = ? AND stage = ? AND remail = ''", (campaign, stage)
            )
        return {vin for (vin,) in rows}

    def mailed_on(self, campaign: str, stage: str) -> dict[str, str]:
        """VIN -> date (ISO) of its first finished ``stage`` letter, the run's mailing date."""
        rows = self.db.execute(
            "SELECT p.vin, MIN(r.as_of) FROM pieces p JOIN runs r ON p.run_id = r.run_id"
            " JOIN batches b ON (p.campaign, p.phase, p.batch) = (b.campaign, b.phase, b.batch)"
            " WHERE p.campaign = ? AND p.stage = ? AND p.remail = '' AND b.status = 'done' GROUP BY p.vin",
            (campaign, stage),
        )
        return {vin: when for vin, when in rows}

    def standard_streets(self, streets: Iterable[tuple[str, str]],
                         rules: str) -> dict[tuple[str, str], tuple[str, str]]:  # fmt: skip
        """The Pub 28 form of each (street, unit) an earlier run standardised under the same ``rules``.

        The next stage of a campaign (remedy after interim, follow-ups, remails) addresses
        the same owners again: what the parser found once is not paid for twice.
        """
        query = "SELECT line, second FROM streets WHERE street = ? AND unit = ? AND rules = ?"
        found = {}
        for street, unit in streets:
            row = self.db.execute(query, (street, unit, rules)).fetchone()
            if row is not None:
                found[(street, unit)] = (row[0], row[1])
        return found

    def remember_streets(self, standard: Mapping[tuple[str, str], tuple[str, str]], rules: str) -> None:
        """Keep what the parser made of each (street, unit), for later runs."""
        if not standard:
            return
        with self.transaction() as db:
            db.executemany(
                "INSERT OR IGNORE INTO streets (street, unit, rules, line, second) VALUES (?, ?, ?, ?, ?)",
                [(street, unit, rules, line, second) for (street, unit), (line, second) in standard.items()],
            )

    def allocate_serials(self, mailer_id: str, count: int, digits: int) -> int:
        """Reserve ``count`` consecutive IMb serial numbers for ``mailer_id``; returns the first.

        Serials wrap within ``digits`` digits; a run that would reuse a serial handed out in
        the last 45 days is refused (the Mailer ID needs more serial space or a pause).
        """
        capacity = 10**digits
        since = (datetime.now(UTC) - timedelta(days=SERIAL_DAYS)).isoformat(timespec="seconds")
        with self.transaction() as db:
            (recent,) = db.execute(
                "SELECT COUNT(*) FROM pieces WHERE imb_tracking != '' AND substr(imb_tracking, 6, ?) = ?"
                " AND created >= ?",
                (len(mailer_id), mailer_id, since),
            ).fetchone()
            if recent + count > capacity:
                raise LedgerError(
                    f"Mailer ID {mailer_id} has {recent:,} pieces in the last {SERIAL_DAYS} days; {count:,} more would "
                    f"reuse IMb serial numbers ({capacity:,} of {digits} digits) within {SERIAL_DAYS} days"
                )
            row = db.execute("SELECT next FROM imb_serials WHERE mailer_id = ?", (mailer_id,)).fetchone()
            first = int(row[0]) if row else 0
            db.execute(
                "INSERT INTO imb_serials (mailer_id, next) VALUES (?, ?)"
                " ON CONFLICT (mailer_id) DO UPDATE SET next = excluded.next",
                (mailer_id, first + count),
            )
        return int(first % capacity)

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
        """Runs not finished (planned batches left, or files not written), oldest first."""
        return [
            RunInfo.from_row(row)
            for row in self._rows("SELECT * FROM runs WHERE campaign = ? AND finished IS NULL ORDER BY started, run_id",
                                  (campaign,))
        ]  # fmt: skip

    def _rows(self, sql: str, args: tuple[object, ...]) -> list[sqlite3.Row]:
        self.db.row_factory = sqlite3.Row
        try:
            return list(self.db.execute(sql, args))
        finally:
            self.db.row_factory = None

    def run_ids(self, campaign: str) -> set[str]:
        return {r for (r,) in self.db.execute("SELECT run_id FROM runs WHERE campaign = ?", (campaign,))}

    def batches(self, run_id: str) -> list[tuple[int, str, str]]:
        """(batch, file, status) of a run, in order."""
        return list(
            self.db.execute("SELECT batch, file, status FROM batches WHERE run_id = ? ORDER BY batch", (run_id,))
        )

    def pieces(self, run_id: str, batch: int | None = None) -> list[sqlite3.Row]:
        """Pieces of a run (or one of its batches), in batch and sequence order."""
        sql = "SELECT * FROM pieces WHERE run_id = ?"
        args: tuple[object, ...] = (run_id,)
        if batch is not None:
            sql += " AND batch = ?"
            args += (batch,)
        return self._rows(sql + " ORDER BY batch, seq", args)

    def batch_files(self, run_id: str) -> list[sqlite3.Row]:
        """Finished batches of a run with checksum and pages."""
        return self._rows("SELECT * FROM batches WHERE run_id = ? ORDER BY batch", (run_id,))

    def status(self, campaign: str) -> dict[tuple[int, str], dict[str, int]]:
        """Per (phase, stage): distinct VINs mailed (done), planned, and remailed pieces."""
        out: dict[tuple[int, str], dict[str, int]] = {}
        rows = self.db.execute(
            "SELECT p.phase, p.stage, COUNT(DISTINCT CASE WHEN b.status = 'done' AND p.remail = '' THEN p.vin END),"
            " COUNT(DISTINCT CASE WHEN b.status = 'planned' AND p.remail = '' THEN p.vin END),"
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
