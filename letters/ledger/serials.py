"""IMb serial numbers: each ledger's old per-Mailer-ID counter, read once to seed the shared registry.

Serials are handed out by the registry every ledger of a Mailer ID shares
(``letters.ledger.registry``); the ``imb_serials`` table of ledgers written before it only
tells the registry where a Mailer ID's serials had got to.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from letters.ledger.base import LedgerBase

SERIAL_DAYS = 45
"""USPS: an IMb's serial number must stay unique for at least 45 days."""


class Serials(LedgerBase):
    """The ledger's own IMb serial counter, from before the shared registry."""

    def legacy_serials(self, mailer_id: str) -> tuple[int, int]:
        """(the next serial this ledger's own counter would have handed out, how many of its pieces on
        ``mailer_id`` are under 45 days old): where the registry goes on, and what it must not wrap onto."""
        row = self.db.execute("SELECT next FROM imb_serials WHERE mailer_id = ?", (mailer_id,)).fetchone()
        if row is None:
            return 0, 0
        since = (datetime.now(UTC) - timedelta(days=SERIAL_DAYS)).isoformat(timespec="seconds")
        (recent,) = self.db.execute(
            "SELECT COUNT(*) FROM pieces WHERE imb_tracking != '' AND substr(imb_tracking, 6, ?) = ? AND created >= ?",
            (len(mailer_id), mailer_id, since),
        ).fetchone()
        return int(row[0]), int(recent)
