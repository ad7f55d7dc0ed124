"""Planning at scale: reserve an N-piece run in a fresh ledger (addresses, barcodes, bulk inserts).

    python benchmarks/plan.py [--pieces 1000000] [--seed 1]

Reconciles a generated 23LJ01 sample (not timed), repeats its Phase 5 letters under new
VINs until there are --pieces of them, then times ``letters.mail.plan.plan``: the
preflight layout, Pub 28 address blocks, Intelligent Mail barcodes and the ledger's
inserts, in one transaction. The last line is one JSON object with ``pieces``,
``seconds``, ``pieces_per_s``, ``ledger_mb`` and ``peak_rss_mb``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import resource
import tempfile
import time
from datetime import date
from pathlib import Path

from letters.campaign import load_campaign
from letters.ledger import Ledger
from letters.mail import MailOptions
from letters.mail.plan import plan, stage_for
from letters.records import reconcile
from letters.sample import generate
from letters.vin import with_check_digit

PHASE = 5
AS_OF = date(2024, 2, 5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pieces", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sample", type=int, default=20_000, help="vehicles generated, then repeated")
    parser.add_argument("--workers", type=int, default=None, help="processes for address blocks (default: all cores)")
    args = parser.parse_args()

    campaign = load_campaign("23LJ01", as_of=AS_OF).campaign
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files = generate(campaign, folder / "records", args.sample, args.seed)
        rec = reconcile(campaign, files.vehicles, files.owners, AS_OF)
        base = rec.pieces_in(PHASE)
        pieces = []
        for n, piece in zip(range(args.pieces), itertools.cycle(base), strict=False):
            # A fresh, valid VIN per copy: the ledger holds one piece per VIN and stage.
            vin = with_check_digit(f"{piece.vehicle.vin[:11]}{n:06d}")
            pieces.append(piece._replace(vehicle=piece.vehicle._replace(vin=vin), owner=piece.owner._replace(vin=vin)))
        ledger = Ledger(folder / "ledger.sqlite")
        options = MailOptions(phases=(PHASE,), as_of=AS_OF, out_dir=folder / "out", workers=args.workers)
        stage = stage_for(campaign, PHASE, AS_OF)
        started = time.perf_counter()
        plan(ledger, campaign, PHASE, pieces, rec, AS_OF, options, folder / "out", "mail", "", stage)
        seconds = time.perf_counter() - started
        ledger.close()
        size = (folder / "ledger.sqlite").stat().st_size
    result = {
        "pieces": len(pieces),
        "seconds": round(seconds, 2),
        "pieces_per_s": round(len(pieces) / seconds),
        "ledger_mb": round(size / 2**20),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    print(f"planned {len(pieces):,} pieces in {seconds:.1f} s")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
