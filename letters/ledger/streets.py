"""Standardised streets kept across runs, keyed by the parser's version."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from letters.ledger.base import LedgerBase


class Streets(LedgerBase):
    """The ledger's cache of what the Pub 28 parser made of each street."""

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
