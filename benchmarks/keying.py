"""The preflight's keying of letters, in one process: each letter's HTML from its class, masked and hashed.

    python benchmarks/keying.py [--letters 5000] [--repeat 3]

Keys --letters owner letters of 23LJ01 (names, addresses, VIN prefixes, models and model
years that vary from letter to letter) with ``FastRenderer.key``, the work a preflight worker
does for each letter, after a first call has learned the classes (as a worker does with its
first letters). The heap is frozen first, as a mailing freezes it. The last line is one JSON
object: ``cpu_us_per_letter`` (this process's CPU, the least of --repeat runs),
``letters``, ``classes`` (symbolic renders learned) and ``filled`` (letters keyed from a class).
"""

from __future__ import annotations

import argparse
import gc
import json
import time
from datetime import date
from pathlib import Path

from options import positive

from letters.campaign import load_campaign
from letters.render.fast import FastRenderer
from letters.render.pieces import VEHICLE_DATA, BatchJob, PieceInput

BRANDS = ("JTH", "2T2", "58A", "JTJ")
MODELS = ("RX", "NX", "ES", "UX")
NAMES = ("ANA O'BRIEN & SONS", "LI WEI", "JO SMITH", "MARÍA JOSÉ NÚÑEZ", "AL", "BARTHOLOMEW VANDERSLOOT")


def pieces(count: int) -> tuple[PieceInput, ...]:
    """Letters that differ in what the owner letter branches on and prints."""
    out = []
    for n in range(count):
        lines = [NAMES[n % len(NAMES)], f"{100 + n} MAIN ST", "APT 4" if n % 3 == 0 else "", "SPRINGFIELD IL 62704"]
        data = {"production_date": date(2021 + n % 3, 1 + n % 12, 1).isoformat(), "location": "Tahara", "values": []}
        vin = f"{BRANDS[n % 4]}BA1D2{n % 10}K{500000 + n * 7919 % 99999:06d}"[:17]
        fields = (("model", MODELS[n % 4]), ("model-year", str(2021 + n % 4)), (VEHICLE_DATA, json.dumps(data)))
        out.append(PieceInput(f"23LJ01-1-1-{n + 1:05d}", vin, tuple(x for x in lines if x), "en", fields))
    return tuple(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--letters", type=positive, default=5000)
    parser.add_argument("--repeat", type=positive, default=3, help="timed runs; the least CPU is reported")
    args = parser.parse_args()
    revision = load_campaign("23LJ01").campaign.revision.date
    job = BatchJob("23LJ01", 1, 0, revision, date(2024, 2, 5), Path("/dev/null"), pieces(args.letters))
    versions = [(i, "en") for i in range(args.letters)]
    renderer = FastRenderer("23LJ01", revision.isoformat())
    renderer.key(job, versions[:200])  # the classes learned, as by a worker's first letters
    gc.freeze()
    best = float("inf")
    for _ in range(args.repeat):
        started = time.process_time()
        keyed = renderer.key(job, versions)
        best = min(best, time.process_time() - started)
    (keyer,) = renderer._keyers.values()
    result = {
        "letters": len(keyed),
        "cpu_us_per_letter": round(best * 1e6 / args.letters, 2),
        "classes": keyer.learned,
        "filled": keyer.filled,
    }
    print(f"keyed {len(keyed):,} letters: {result['cpu_us_per_letter']} us of CPU a letter")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
