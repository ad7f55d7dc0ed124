"""Records stage throughput: load, validate, merge and phase a full-size campaign.

    python benchmarks/records.py [--vehicles 214000] [--seed 1] [--with-errors] [--repeat N]
                                 [--records DIR] [--distinct-addresses]

Generates the files first (not timed; with --distinct-addresses no two households share a
street line), or takes them from DIR (``letters sample-data 23LJ01 --vehicles N -o DIR``
writes them), then times ``letters.records.reconcile`` on them, each run in a fresh child
process. The last line is one JSON object: ``cpu_s`` and ``cpu_us_per_record`` (user + sys of
the reconcile, all its threads, by psutil; the run that took least CPU), ``seconds`` and
``records_per_s`` (wall; the fastest run), ``reconcile_peak_rss_mb`` (the reconcile's own
peak: its process holds nothing else) and ``generate_peak_rss_mb``. ``import_cpu_s`` is the part of
``cpu_s`` spent importing the merge (Polars, Arrow) on first use, a fixed cost of each run, and
``steady_cpu_us_per_record`` the rest per record.
"""

from __future__ import annotations

import argparse
import importlib
import json
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from multiprocessing import get_context
from pathlib import Path

from letters.campaign import load_campaign
from letters.records import reconcile
from letters.sample import SampleFiles, generate
from letters.usage import peak_rss_mb, tree_cpu_seconds


def timed_reconcile(vehicles: Path, owners: Path) -> tuple[float, float, int, int, int, float]:
    """(wall seconds, CPU seconds, records read, letters, peak RSS in MB, CPU seconds of the merge's imports)
    of one reconcile in this process."""
    campaign = load_campaign("23LJ01").campaign
    cpu_before, started = tree_cpu_seconds(), time.perf_counter()
    importlib.import_module("letters.records.merge")  # what reconcile imports on first use, timed apart
    imports = tree_cpu_seconds() - cpu_before
    rec = reconcile(campaign, vehicles, owners, date(2024, 1, 31))
    seconds, cpu = time.perf_counter() - started, tree_cpu_seconds() - cpu_before
    return seconds, cpu, rec.records_read, rec.letter_count, peak_rss_mb(), imports


def existing(folder: Path) -> SampleFiles:
    """Files written earlier by ``letters sample-data 23LJ01 -o folder``."""
    vehicles, owners = folder / "23LJ01-vehicles.csv", folder / "23LJ01-owners.csv"

    def rows(path: Path) -> int:
        with path.open("rb") as handle:
            return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 24), b"")) - 1

    return SampleFiles(vehicles, owners, rows(vehicles), rows(owners), {})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vehicles", type=int, default=214_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--with-errors", action="store_true")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs; the best is reported")
    parser.add_argument("--records", type=Path, help="folder holding 23LJ01-vehicles.csv and 23LJ01-owners.csv")
    parser.add_argument("--distinct-addresses", action="store_true", help="no two households share a street line")
    args = parser.parse_args()

    campaign = load_campaign("23LJ01").campaign
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        if args.records:
            files = existing(args.records)
        else:
            files = generate(campaign, Path(tmp), args.vehicles, args.seed, args.with_errors, args.distinct_addresses)
        generated = time.perf_counter() - started
        # Each timed run in a fresh child process: its peak RSS is the reconcile's own, not the
        # generator's, and no run warms the next.
        context = get_context("spawn")
        runs = []
        for _ in range(args.repeat):
            with ProcessPoolExecutor(1, mp_context=context) as pool:
                runs.append(pool.submit(timed_reconcile, files.vehicles, files.owners).result())
    seconds, _, records_read, letters, _, _ = min(runs)
    best = min(runs, key=lambda r: r[1])
    cpu, imports = best[1], best[5]
    result = {
        "vehicles": files.vehicle_rows,
        "owners": files.owner_rows,
        "records_read": records_read,
        "cpu_s": round(cpu, 3),
        "cpu_us_per_record": round(cpu * 1e6 / records_read, 3),
        "import_cpu_s": round(imports, 3),
        "steady_cpu_us_per_record": round((cpu - imports) * 1e6 / records_read, 3),
        "seconds": round(seconds, 3),
        "records_per_s": round(records_read / seconds),
        "letters": letters,
        "generate_seconds": round(generated, 1),
        "reconcile_peak_rss_mb": max(r[4] for r in runs),
        "generate_peak_rss_mb": peak_rss_mb(),
    }
    print(
        f"reconciled {records_read:,} records: {cpu:.2f} s of CPU, {seconds:.2f} s of wall time (best of {args.repeat})"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
