"""The ledger's indexes fit its queries: none reads a whole table as the ledger grows."""

from __future__ import annotations

import csv
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from letters.ledger.base import LedgerBase
from letters.mail import mail, remail, status
from tests.conftest import options


@pytest.fixture
def statements(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every SQL statement any ledger runs while the test does (traced on the real connection)."""
    seen: list[str] = []
    opened = LedgerBase.__init__

    def traced(self: LedgerBase, *args: Any, **kwargs: Any) -> None:
        opened(self, *args, **kwargs)
        self.db.set_trace_callback(seen.append)

    monkeypatch.setattr(LedgerBase, "__init__", traced)
    return seen


def _full_scans(db: sqlite3.Connection, sql: str) -> list[str]:
    """The plan steps of ``sql`` that read a ledger table from end to end."""
    plan = [row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {sql}")]
    # "SCAN pieces" or "SCAN p" reads every row; "SEARCH ... USING INDEX" reads a range.
    return [step for step in plan if re.match(r"SCAN (pieces|batches|runs|streets|imb_serials|p|b|r)\b", step)]


def _first_vin(folder: Path) -> str:
    with (folder / "manifest.csv").open(encoding="utf-8") as handle:
        return next(csv.DictReader(handle))["vin"]


def test_hot_queries_use_indexes(records: tuple[Path, Path], tmp_path: Path, statements: list[str]) -> None:
    opts = options(tmp_path, records, batch_size=20)
    (run,) = mail("23LJ01", opts).runs  # plan (serials, streets), render (batches, pieces), finish (manifest)
    mail("23LJ01", opts)  # nothing new: the VINs already reserved
    vin = _first_vin(run.folder)
    remail("23LJ01", [vin], "returned by the post office", opts)
    status("23LJ01", opts.ledger, *records, opts.as_of)
    queries = sorted({s for s in statements if re.match(r"\s*(SELECT|UPDATE|DELETE)\b", s, re.I)})
    assert len(queries) >= 10  # the run's reads and updates were all seen
    db = sqlite3.connect(opts.ledger)  # type: ignore[arg-type]
    try:
        scans = {sql: steps for sql in queries if (steps := _full_scans(db, sql))}
    finally:
        db.close()
    assert not scans, "\n".join(f"{sql}\n    {steps}" for sql, steps in scans.items())
