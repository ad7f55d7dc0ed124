"""Records stage throughput: load, validate, merge and phase a full-size campaign.

    python benchmarks/records.py [--vehicles 214000] [--seed 1] [--with-errors]

Generates the files first (not timed), then times ``letters.records.reconcile`` on them
and prints the rate and the outcome counts. The last line is one JSON object.
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
from letters.records import reconcile
from letters.sample import generate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vehicles", type=int, default=214_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--with-errors", action="store_true")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs; the best is reported")
    args = parser.parse_args()

    campaign = load_campaign("23LJ01").campaign
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        files = generate(campaign, Path(tmp), args.vehicles, args.seed, args.with_errors)
        generated = time.perf_counter() - started
        timings = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            rec = reconcile(campaign, files.vehicles, files.owners, date(2024, 1, 31))
            timings.append(time.perf_counter() - started)
    best = min(timings)
    result = {
        "vehicles": files.vehicle_rows,
        "owners": files.owner_rows,
        "records_read": rec.records_read,
        "seconds": round(best, 3),
        "records_per_s": round(rec.records_read / best),
        "letters": len(rec.pieces),
        "generate_seconds": round(generated, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    print(f"reconciled {rec.records_read:,} records in {best:.2f} s (best of {args.repeat})")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
