"""The ledger's hot reads on a large ledger, without and with the indexes that fit them.

    python benchmarks/ledger.py [--pieces 700000] [--batch-size 1000] [--runs 70]

Fills a fresh ledger with --pieces synthetic pieces in --runs finished runs (not timed),
then times, in CPU milliseconds of this process: a batch's pieces read back
(``Ledger.pieces(run, batch)``, what the renderer's queue does once per batch), a run's
batches (``Ledger.batches``) and the 45-day IMb serial count the shared registry is seeded
from (``Ledger.legacy_serials``),
first with the ledger's indexes for those queries dropped (as ledgers had them before),
then after reopening the ledger, which makes them. The last line is one JSON object:
``pieces``, ``before`` and ``after`` (each ``batch_ms``, ``batches_ms``, ``serials_ms``) and
``index_build_s`` (CPU seconds to make them on opening).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from letters.ledger import Ledger
from letters.ledger.schema import now

ADDED = ("pieces_run", "pieces_serials", "batches_run", "runs_campaign")
"""The indexes these queries use."""


def fill(ledger: Ledger, pieces: int, runs: int, size: int) -> list[tuple[str, int]]:
    """Synthetic finished runs; returns (run, batch) of every batch."""
    stamp, per = now(), -(-pieces // runs)
    batches: list[tuple[str, int]] = []
    with ledger.transaction() as db:
        for r in range(runs):
            run_id = f"run-{r:04d}"
            db.execute(
                "INSERT INTO runs (run_id, campaign, phase, revision, as_of, kind, folder, settings, summary, started,"
                " finished) VALUES (?, '23LJ01', 5, '2024-01-01', '2024-02-05', 'mail', '/x', '{}', '{}', ?, ?)",
                (run_id, stamp, stamp),
            )
            rows = []
            for i in range(r * per, min(pieces, (r + 1) * per)):
                batch, seq = len(batches) + (i - r * per) // size + 1, (i - r * per) % size + 1
                rows.append((f"23LJ01-5-{batch:04d}-{seq:06d}", f"VIN{i:014d}", run_id, batch, seq, stamp,
                             f"00040123456{i % 10**9:09d}"))  # fmt: skip
            db.executemany(
                "INSERT INTO pieces (piece_id, vin, campaign, phase, revision, run_id, batch, seq, language, zip,"
                " address, created, imb_tracking, imb_routing, imb)"
                " VALUES (?, ?, '23LJ01', 5, '2024-01-01', ?, ?, ?, 'en', '12345', 'NAME\nSTREET\nCITY ST 12345', ?, ?,"
                " '12345', '')",
                rows,
            )
            for batch in sorted({row[3] for row in rows}):
                db.execute(
                    "INSERT INTO batches (campaign, phase, batch, run_id, file, status)"
                    " VALUES ('23LJ01', 5, ?, ?, ?, 'done')",
                    (batch, run_id, f"batch-{batch:04d}.pdf"),
                )
                batches.append((run_id, batch))
        # A ledger from before the shared registry: its own counter, which the registry is seeded from.
        db.execute("INSERT INTO imb_serials (mailer_id, next) VALUES ('123456', ?)", (pieces,))
    return batches


def timed(ledger: Ledger, batches: list[tuple[str, int]]) -> dict[str, float]:
    sample = batches[:: max(1, len(batches) // 20)]
    started = time.process_time()
    for run_id, batch in sample:
        ledger.pieces(run_id, batch)
    batch_ms = (time.process_time() - started) * 1000 / len(sample)
    started = time.process_time()
    for run_id, _ in sample:
        ledger.batches(run_id)
    batches_ms = (time.process_time() - started) * 1000 / len(sample)
    started = time.process_time()
    ledger.legacy_serials("123456")
    serials_ms = (time.process_time() - started) * 1000
    return {"batch_ms": round(batch_ms, 2), "batches_ms": round(batches_ms, 3), "serials_ms": round(serials_ms, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pieces", type=int, default=700_000)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=70)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ledger.sqlite"
        ledger = Ledger(path)
        batches = fill(ledger, args.pieces, args.runs, args.batch_size)
        for name in ADDED:
            ledger.db.execute(f"DROP INDEX {name}")
        before = timed(ledger, batches)
        ledger.close()
        started = time.process_time()
        ledger = Ledger(path)
        built = time.process_time() - started
        after = timed(ledger, batches)
        ledger.close()
    result = {"pieces": args.pieces, "before": before, "after": after, "index_build_s": round(built, 2)}
    print(f"a batch's pieces read back: {before['batch_ms']} ms of CPU without the indexes, {after['batch_ms']} with")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
