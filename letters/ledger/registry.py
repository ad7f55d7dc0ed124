"""IMb serial numbers, unique per Mailer ID across every ledger: one shared registry file per Mailer ID.

USPS wants a piece's Intelligent Mail barcode unique for at least 45 days, and the
serial number is the only part that changes between pieces of a Mailer ID. A ledger only
knows its own pieces, so two ledgers on one Mailer ID (two offices, a test ledger beside
the real one) would hand out the same serials. Every ledger therefore takes its serials
from one registry file per Mailer ID, ``SERIALS/<MAILER_ID>.sqlite``, where ``SERIALS`` is
``$LETTERS_SERIALS`` or ``output/serials`` of the project. The registry records each block
of serials handed out (first serial, count, when, to which ledger and run), so:

- the 45-day check counts every serial handed out by any ledger, not only pieces a ledger
  recorded, and a run that would wrap onto a serial handed out within 45 days is refused
  with the counts;
- a block is handed out just before the run's pieces are reserved; a plan that is refused
  gives its block back at once, and a plan killed before its pieces were reserved leaves a
  block the same ledger takes back on its next plan (no other ledger can be using it).

The alternative, a fixed serial range per ledger in the campaign file, needs someone to
split the serial space by hand and cannot see a range declared twice in another campaign's
file; one registry sees every serial handed out.
"""

from __future__ import annotations

import os
import socket
import sqlite3
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from letters import paths
from letters.errors import LedgerError
from letters.ledger.base import immediate
from letters.ledger.serials import SERIAL_DAYS

REGISTRY_ENV = "LETTERS_SERIALS"
"""Environment variable naming the folder of the serial registries (one file per Mailer ID)."""
SCHEMA = """
CREATE TABLE IF NOT EXISTS blocks (
    id        INTEGER PRIMARY KEY,
    first     INTEGER NOT NULL,      -- first serial of the block (serials wrap at the capacity)
    count     INTEGER NOT NULL,      -- serials in the block
    handed    TEXT NOT NULL,         -- when it was handed out (UTC, ISO)
    ledger    TEXT NOT NULL,         -- host:path of the ledger it went to
    run_id    TEXT NOT NULL,         -- the run whose pieces carry it
    state     TEXT NOT NULL          -- 'reserved' (its pieces not yet recorded) or 'used'
);
"""


def registry_dir() -> Path:
    """Folder of the serial registries: ``$LETTERS_SERIALS``, else the project's ``output/serials``."""
    env = os.environ.get(REGISTRY_ENV)
    return Path(env).resolve() if env else paths.output_dir() / "serials"


def ledger_key(ledger: Path) -> str:
    """How the registry names a ledger: host and resolved path."""
    return f"{socket.gethostname()}:{ledger.resolve()}"


@dataclass(frozen=True)
class Block:
    """Consecutive serials handed to one run."""

    id: int
    """Row in the registry."""
    mailer_id: str
    """The Mailer ID."""
    first: int
    """First serial; the run's n-th piece gets ``(first + n) % capacity``."""
    count: int
    """Serials in the block."""
    capacity: int
    """Serials of the Mailer ID (10 ** serial digits): they wrap here."""


@dataclass(frozen=True)
class Usage:
    """How much of a Mailer ID's serial space the last 45 days hold."""

    mailer_id: str
    """The Mailer ID."""
    live: int
    """Serials handed out in the last 45 days, by every ledger."""
    capacity: int
    """Serials of the Mailer ID."""
    path: Path
    """The registry file."""

    @property
    def left(self) -> int:
        """Serials a run could take now without reusing one within 45 days."""
        return max(0, self.capacity - self.live)


class Registry:
    """One Mailer ID's registry file; every ledger on that Mailer ID shares it."""

    def __init__(self, mailer_id: str, capacity: int, folder: Path | None = None) -> None:
        self.mailer_id, self.capacity = mailer_id, capacity
        folder = folder or registry_dir()
        self.path = folder / f"{mailer_id}.sqlite"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(self.path, isolation_level=None, timeout=60)
            self.db.execute("PRAGMA synchronous=FULL")
            self.db.executescript(SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise LedgerError(f"cannot open the IMb serial registry {self.path}: {exc}") from None

    def close(self) -> None:
        self.db.close()

    def _transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        return immediate(self.db, f"the IMb serial registry {self.path}")

    def usage(self, now: datetime | None = None) -> Usage:
        """Serials handed out in the last 45 days, against the Mailer ID's capacity."""
        since = _since(now)
        (live,) = self.db.execute("SELECT COALESCE(SUM(count), 0) FROM blocks WHERE handed >= ?", (since,)).fetchone()
        return Usage(self.mailer_id, int(live), self.capacity, self.path)

    def reserve(self, count: int, ledger: str, run_id: str, known_run: Callable[[str], bool],
                legacy: tuple[int, int] = (0, 0), now: datetime | None = None) -> Block:  # fmt: skip
        """Hand ``count`` consecutive serials to ``run_id`` of ``ledger``; refused if any was handed out within 45 days.

        Blocks this ledger reserved for runs it never recorded (``known_run`` says which it
        did) are taken back first: their plans were killed before reserving their pieces,
        and this ledger's lock says nobody else is planning with it. ``legacy`` is what the
        ledger's own counter (from before the registry) says: (next serial, pieces under 45 days
        old); the first time the ledger meets the registry those pieces are recorded as a block,
        so no run wraps onto them.
        """
        stamp = (now or datetime.now(UTC)).isoformat(timespec="seconds")
        since = _since(now)
        with self._transaction() as db:
            mine = db.execute("SELECT id, run_id FROM blocks WHERE ledger = ? AND state = 'reserved'", (ledger,))
            orphans = [bid for bid, rid in mine.fetchall() if not known_run(rid)]
            db.executemany("DELETE FROM blocks WHERE id = ?", [(bid,) for bid in orphans])
            db.execute("UPDATE blocks SET state = 'used' WHERE ledger = ? AND state = 'reserved'", (ledger,))
            (met,) = db.execute("SELECT COUNT(*) FROM blocks WHERE ledger = ?", (ledger,)).fetchone()
            following, recent = legacy
            recent = min(recent, following, self.capacity)
            if not met and recent:
                db.execute(
                    "INSERT INTO blocks (first, count, handed, ledger, run_id, state) VALUES (?, ?, ?, ?, '', 'used')",
                    ((following - recent) % self.capacity, recent, stamp, ledger),
                )
            last = db.execute("SELECT first, count FROM blocks ORDER BY id DESC LIMIT 1").fetchone()
            first = (int(last[0]) + int(last[1])) % self.capacity if last else following % self.capacity
            live = list(db.execute("SELECT first, count, handed FROM blocks WHERE handed >= ?", (since,)))
            handed = sum(int(c) for _, c, _ in live)
            clash = sum(_overlap(first, count, int(f), int(c), self.capacity) for f, c, _ in live)
            if clash or handed + count > self.capacity:
                oldest = min((h for _, _, h in live), default=stamp)[:10]
                raise LedgerError(
                    f"IMb serials of Mailer ID {self.mailer_id} would repeat within {SERIAL_DAYS} days: "
                    f"{handed:,} of its {self.capacity:,} serials were handed out since {since[:10]} (registry "
                    f"{self.path}), {max(0, self.capacity - handed):,} are left and this run needs {count:,}"
                    + (f", so {clash:,} of its serials would wrap onto live ones" if clash else "")
                    + f". Nothing was reserved. Mail it in smaller runs, wait until the serials handed out on "
                    f"{oldest} are {SERIAL_DAYS} days old, or use a 6-digit Mailer ID (a billion serials)"
                )
            cursor = db.execute(
                "INSERT INTO blocks (first, count, handed, ledger, run_id, state) VALUES (?, ?, ?, ?, ?, 'reserved')",
                (first, count, stamp, ledger, run_id),
            )
            block_id = int(cursor.lastrowid or 0)
        return Block(block_id, self.mailer_id, first, count, self.capacity)

    def release(self, block: Block) -> None:
        """Give back the block of a plan that was refused before its pieces were reserved."""
        with self._transaction() as db:
            db.execute("DELETE FROM blocks WHERE id = ? AND state = 'reserved'", (block.id,))

    def confirm(self, block: Block) -> None:
        """The block's pieces are in the ledger: it stays handed out."""
        with self._transaction() as db:
            db.execute("UPDATE blocks SET state = 'used' WHERE id = ?", (block.id,))


def _since(now: datetime | None) -> str:
    return ((now or datetime.now(UTC)) - timedelta(days=SERIAL_DAYS)).isoformat(timespec="seconds")


def _overlap(first: int, count: int, other: int, other_count: int, capacity: int) -> int:
    """Serials two blocks on a circle of ``capacity`` serials share."""
    total = 0
    for a, b in _arcs(first, count, capacity):
        for c, d in _arcs(other, other_count, capacity):
            total += max(0, min(b, d) - max(a, c))
    return total


def _arcs(first: int, count: int, capacity: int) -> list[tuple[int, int]]:
    """A block as half-open ranges within [0, capacity)."""
    count = min(count, capacity)
    end = first + count
    return [(first, end)] if end <= capacity else [(first, capacity), (0, end - capacity)]
