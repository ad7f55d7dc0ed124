"""Planning at scale: reserve an N-piece run in a fresh ledger (addresses, barcodes, bulk inserts).

    python benchmarks/plan.py [--pieces 1000000] [--records DIR | --vehicles N] [--workers N]
                              [--distinct-addresses]

Reconciles 23LJ01 records (not timed): the files in DIR (``letters sample-data 23LJ01
--vehicles N -o DIR`` writes them) or N generated vehicles (with --distinct-addresses no two
households share a street line). Takes the first --pieces letters of Phase 5, then times
``letters.mail.plan.plan``: the preflight layout, Pub 28 address blocks, Intelligent Mail
barcodes and the ledger's inserts, in one transaction. The last line is one JSON object:
``pieces``; ``cpu_s`` and ``cpu_ms_per_letter`` (user + sys of this process and the planning
workers, by psutil); ``seconds`` and ``pieces_per_s`` (wall); ``breakdown`` (CPU seconds per
part of the plan, ``*_wall_s`` wall); ``ledger_mb``; ``peak_rss_mb`` (this process's peak
while planning, counted from just before it: not the generator's or the reconcile's).
"""

from __future__ import annotations

import argparse
import json
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
from letters.usage import peak_rss_mb, reset_peak_rss, tree_cpu_seconds

PHASE = 5
AS_OF = date(2024, 2, 5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pieces", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--records", type=Path, help="folder holding 23LJ01-vehicles.csv and 23LJ01-owners.csv")
    parser.add_argument("--vehicles", type=int, default=None, help="vehicles to generate (default: enough)")
    parser.add_argument("--workers", type=int, default=None, help="processes (default: all cores)")
    parser.add_argument("--distinct-addresses", action="store_true", help="no two households share a street line")
    args = parser.parse_args()

    campaign = load_campaign("23LJ01", as_of=AS_OF).campaign
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if args.records:
            vehicles, owners = args.records / "23LJ01-vehicles.csv", args.records / "23LJ01-owners.csv"
        else:
            # Phase 5 holds about a third of the campaign's vehicles.
            files = generate(campaign, folder / "records", args.vehicles or args.pieces * 3 + 1000, args.seed,
                             distinct_addresses=args.distinct_addresses)  # fmt: skip
            vehicles, owners = files.vehicles, files.owners
        rec = reconcile(campaign, vehicles, owners, AS_OF)
        pieces = rec.pieces_in(PHASE)[: args.pieces]
        del rec
        ledger = Ledger(folder / "ledger.sqlite")
        options = MailOptions(phases=(PHASE,), as_of=AS_OF, out_dir=folder / "out", workers=args.workers)
        stage = stage_for(campaign, PHASE, AS_OF)
        reset_peak_rss()
        cpu_before, started = tree_cpu_seconds(), time.perf_counter()
        run = plan(
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
        cpu = tree_cpu_seconds() - cpu_before
        peak = peak_rss_mb()
        ledger.close()
        size = (folder / "ledger.sqlite").stat().st_size
    result = {
        "pieces": len(pieces),
        "cpu_s": round(cpu, 2),
        "cpu_ms_per_letter": round(cpu * 1000 / len(pieces), 3),
        "seconds": round(seconds, 2),
        "pieces_per_s": round(len(pieces) / seconds),
        "breakdown": {f"{k}_s": round(v, 3) for k, v in run.settings["timings"].items()},
        "ledger_mb": round(size / 2**20),
        "peak_rss_mb": peak,
        "distinct_addresses": args.distinct_addresses,
    }
    print(f"planned {len(pieces):,} pieces: {cpu:.1f} s of CPU, {seconds:.1f} s of wall time")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
