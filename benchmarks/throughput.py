"""End-to-end mailing throughput: records in -> batches, manifest, job ticket, ledger.

    python benchmarks/throughput.py --letters N [--renderer fast|full] [--compare-typst]
                                    [--workers N] [--batch-size N]

Generates a campaign whose Phase 5 holds about --letters letters (generation not timed),
runs ``letters.mail.mail`` for Phase 5 into a temporary folder (records in -> batches,
manifest, job ticket, ledger), and prints as its last line one JSON object: letters,
seconds, letters_per_s, pages_per_s, bytes_per_letter, peak_rss_mb (largest of this process
and its workers; worker_peak_rss_mb the largest worker), fallbacks; with --compare-typst also typst_letters_per_s and
ratio_vs_typst: the same owner letter (text exported from the project's template, same
font and page size) typeset by the ``typst`` package in the same run, on at most
--typst-letters letters.
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
    parser.add_argument("--renderer", choices=["fast", "full"], default="fast")
    parser.add_argument("--compare-typst", action="store_true")
    parser.add_argument("--typst-letters", type=int, default=1000)
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
        typst_rate = (
            typst_letters_per_s(folder, run.folder, min(args.typst_letters, job["letters"]))
            if (args.compare_typst)
            else None
        )
    worker_peak = job["worker_peak_rss_mb"] * 1024  # reported by the workers themselves
    peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, worker_peak)
    result = {
        "letters": job["letters"],
        "seconds": round(seconds, 2),
        "letters_per_s": round(job["letters"] / seconds, 1),
        "pages_per_s": round(job["pages"] / seconds, 1),
        "bytes_per_letter": round(size / job["letters"]),
        "peak_rss_mb": round(peak / 1024),
        "worker_peak_rss_mb": round(worker_peak / 1024),
        "fallbacks": sum(job["fallbacks"].values()),
        "renderer": args.renderer,
        "workers": args.workers,
        # Where the time went: records and plan are wall seconds in the main process; the render
        # parts (stamp, verify, press, save, write, fallback) are summed over the workers.
        "breakdown": job["timings"],
    }
    if typst_rate is not None:
        result["typst_letters_per_s"] = round(typst_rate, 1)
        result["ratio_vs_typst"] = round(result["letters_per_s"] / typst_rate, 1)
    print(f"mailed {job['letters']:,} letters ({job['pages']:,} pages) in {seconds:.1f} s")
    print(json.dumps(result))


def typst_letters_per_s(work: Path, run_folder: Path, count: int) -> float:
    """Typeset ``count`` of the mailed letters with Typst; letters per second (one core)."""
    import csv
    import shutil

    import typst

    from letters.documents import Letter, Renderer, RenderOptions, document_spec
    from letters.render.changes import html_blocks
    from letters.render.pdf import parse

    loaded = load_campaign("23LJ01", as_of=date(2024, 2, 5))
    c = loaded.campaign
    spec = document_spec(loaded.campaign, "owner-letter")
    html = Renderer(loaded).html(spec, RenderOptions(letter=Letter(date=date(2024, 2, 5))))
    body = []
    for block in html_blocks(parse(html)):
        if block.text.startswith("VIN:"):
            body.append({"kind": "vin", "text": "VIN:"})
        elif block.kind in ("p", "h3", "li"):
            body.append({"kind": block.kind, "text": block.text})
    with (run_folder / "manifest.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))[:count]
    letters = [{"piece": f"{r['piece_id']} · {r['vin']}", "vin": r["vin"], "address": ["OWNER NAME", "1 MAIN ST",
                "CITY ST 12345"]} for r in rows]  # fmt: skip
    root = work / "typst"
    root.mkdir()
    shutil.copy(Path(__file__).with_name("typst_letter.typ"), root / "letter.typ")
    (root / "letters.json").write_text(json.dumps({
        "brand": c.brand.upper(), "office": c.distributor.office, "street": c.distributor.street,
        "city": f"{c.distributor.city} {c.distributor.state} {c.distributor.zip}", "date": "February 5, 2024",
        "body": body, "letters": letters,
    }))  # fmt: skip
    fonts = str(Path(__file__).resolve().parent.parent / "templates" / "_shared" / "fonts")
    started = time.perf_counter()
    typst.compile(str(root / "letter.typ"), output=str(root / "out.pdf"), root=str(root), font_paths=[fonts],
                  ignore_system_fonts=True)  # fmt: skip
    return len(letters) / (time.perf_counter() - started)


if __name__ == "__main__":
    main()
