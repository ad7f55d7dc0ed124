"""End-to-end mailing throughput: records in -> batches, manifest, job ticket, ledger.

    python benchmarks/throughput.py --letters 2000 [--renderer full] [--workers N] [--batch-size N]

Generates a campaign whose Phase 5 holds about --letters letters (generation not timed),
runs ``letters.mail.mail`` for Phase 5 into a temporary folder, and prints as its last line
one JSON object: letters, seconds, letters_per_s, pages_per_s, bytes_per_letter,
peak_rss_mb (largest of this process and its workers), fallbacks.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import tempfile
import time
from datetime import date
from pathlib import Path

from letters.campaign import load_campaign
from letters.campaign.load import implied_phase_volumes
from letters.mail import MailOptions, mail
from letters.sample import generate

PHASE = 5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--letters", type=int, default=2000, help="approximate letters in the phase")
    parser.add_argument("--renderer", choices=["full"], default="full")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    campaign = load_campaign("23LJ01").campaign
    volumes = implied_phase_volumes(campaign)
    share = volumes[PHASE] / sum(m.volume for m in campaign.models)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files = generate(campaign, folder / "records", round(args.letters / share), args.seed)
        options = MailOptions(
            phases=(PHASE,), vehicles=files.vehicles, owners=files.owners, as_of=date(2024, 2, 5),
            batch_size=args.batch_size, workers=args.workers, ledger=folder / "ledger.sqlite",
            out_dir=folder / "out", renderer=args.renderer,
        )  # fmt: skip
        started = time.perf_counter()
        report = mail("23LJ01", options)
        seconds = time.perf_counter() - started
        (run,) = report.runs
        job = run.job
        size = sum((run.folder / f["name"]).stat().st_size for f in job["files"])
    peak = max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    result = {
        "letters": job["letters"],
        "seconds": round(seconds, 2),
        "letters_per_s": round(job["letters"] / seconds, 1),
        "pages_per_s": round(job["pages"] / seconds, 1),
        "bytes_per_letter": round(size / job["letters"]),
        "peak_rss_mb": round(peak / 1024),
        "fallbacks": 0,
        "renderer": args.renderer,
        "workers": args.workers,
    }
    print(f"mailed {job['letters']:,} letters ({job['pages']:,} pages) in {seconds:.1f} s")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
