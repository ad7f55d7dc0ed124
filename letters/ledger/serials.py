"""IMb serial numbers: handed out per Mailer ID, never reused within 45 days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from letters.errors import LedgerError
from letters.ledger.base import LedgerBase

SERIAL_DAYS = 45
"""USPS: an IMb's serial number must stay unique for at least 45 days."""


class Serials(LedgerBase):
    """The ledger's IMb serial allocator."""

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
