"""Planning at scale: reserve an N-piece run in a fresh ledger (addresses, barcodes, bulk inserts).

    python benchmarks/plan.py [--pieces 1000000] [--records DIR | --vehicles N] [--workers N]

Reconciles 23LJ01 records (not timed): the files in DIR (``letters sample-data 23LJ01
--vehicles N -o DIR`` writes them) or N generated vehicles. Takes the first --pieces
letters of Phase 5, then times ``letters.mail.plan.plan``: the preflight layout, Pub 28
address blocks, Intelligent Mail barcodes and the ledger's inserts, in one transaction.
The last line is one JSON object with ``pieces``,
``seconds``, ``pieces_per_s``, ``ledger_mb`` and ``peak_rss_mb``.
"""

from __future__ import annotations

import argparse
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
from letters.records import Reconciliation, reconcile
from letters.sample import generate

PHASE = 5
AS_OF = date(2024, 2, 5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pieces", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--records", type=Path, help="folder holding 23LJ01-vehicles.csv and 23LJ01-owners.csv")
    parser.add_argument("--vehicles", type=int, default=None, help="vehicles to generate (default: enough)")
    parser.add_argument("--workers", type=int, default=None, help="processes (default: all cores)")
    args = parser.parse_args()

    campaign = load_campaign("23LJ01", as_of=AS_OF).campaign
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if args.records:
            vehicles, owners = args.records / "23LJ01-vehicles.csv", args.records / "23LJ01-owners.csv"
        else:
            # Phase 5 holds about a third of the campaign's vehicles.
            files = generate(campaign, folder / "records", args.vehicles or args.pieces * 3 + 1000, args.seed)
            vehicles, owners = files.vehicles, files.owners
        rec = reconcile(campaign, vehicles, owners, AS_OF)
        pieces = rec.pieces_in(PHASE)[: args.pieces]
        del rec
        ledger = Ledger(folder / "ledger.sqlite")
        options = MailOptions(phases=(PHASE,), as_of=AS_OF, out_dir=folder / "out", workers=args.workers)
        stage = stage_for(campaign, PHASE, AS_OF)
        started = time.perf_counter()
        plan(
            ledger,
            campaign,
            PHASE,
            pieces,
            Reconciliation(AS_OF, (str(vehicles), str(owners))),
            AS_OF,
            options,
            folder / "out",
            "mail",
            "",
            stage,
        )
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
