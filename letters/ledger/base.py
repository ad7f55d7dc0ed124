"""The ledger's connection: opening (with migrations), transactions, closing."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from letters.errors import InputError, LedgerError
from letters.ledger.lock import RunLock
from letters.ledger.schema import INDEXES, MIGRATIONS, SCHEMA, SERIALS, STREETS


class LedgerBase:
    """The SQLite connection the ledger's concerns share."""

    def __init__(self, path: Path, lock: bool = False, create: bool = True) -> None:
        path = path.resolve()
        if not create and not path.exists():
            raise InputError(f"no ledger at {path}: check --ledger (mail writes output/ledger.sqlite by default)")
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
        with immediate(self.db, f"the ledger {self.path}", "; nothing of this step was recorded") as db:
            yield db

    def _rows(self, sql: str, args: tuple[object, ...]) -> list[sqlite3.Row]:
        self.db.row_factory = sqlite3.Row
        try:
            return list(self.db.execute(sql, args))
        finally:
            self.db.row_factory = None


@contextmanager
def immediate(db: sqlite3.Connection, what: str, after: str = "") -> Iterator[sqlite3.Connection]:
    """One write transaction on ``db``, taken at once (``BEGIN IMMEDIATE``) so two writers queue
    rather than fail half-way; any SQLite error, on beginning or inside, becomes a ``LedgerError``
    naming ``what``, with everything of the transaction rolled back."""
    try:
        db.execute("BEGIN IMMEDIATE")
    except sqlite3.Error as exc:
        raise LedgerError(f"cannot write {what}: {exc}") from None
    try:
        yield db
        db.execute("COMMIT")
    except BaseException as exc:
        with suppress(sqlite3.Error):
            db.execute("ROLLBACK")
        if isinstance(exc, sqlite3.Error):
            raise LedgerError(f"cannot write {what}: {exc}{after}") from None
        raise
