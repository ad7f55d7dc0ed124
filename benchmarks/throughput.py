"""End-to-end mailing throughput: records in -> batches, manifest, job ticket, ledger.

    python benchmarks/throughput.py --letters N [--renderer fast|full] [--compare-typst]
                                    [--workers N] [--batch-size N] [--distinct-addresses] [--variants N]

Generates a campaign whose Phase 5 holds about --letters letters (generation not timed; with
--distinct-addresses no two households share a street line), runs ``letters.mail.mail`` for
Phase 5 into a temporary folder (records in -> batches, manifest, job ticket, ledger), and
prints as its last line one JSON object:

- ``cpu_s`` and ``cpu_ms_per_letter``: CPU seconds (user + sys) of the mailing, summed over this
  process and every process it started (fork server, planning and rendering workers), by psutil;
- ``seconds``, ``letters_per_s``, ``pages_per_s``: wall time, which follows the machine's load;
- ``breakdown``: the job ticket's ``timings`` (CPU seconds per stage, ``*_wall_s`` wall seconds)
  plus ``other_s``, the CPU outside the ticket's stages (campaign loading, selecting, the ledger
  lock); ``cpu_ms_per_letter_by_stage``: the same per letter;
- ``peak_rss_mb``: the mailing process's own peak (counted from just before the mailing, so not
  the generator's, and read before Typst runs); ``worker_peak_rss_mb``: the largest worker's;
- ``bytes_per_letter``, ``fallbacks``, ``renderer``, ``workers``, ``variants``; ``layouts``: the
  layout variants the preflight laid out and verified (variants times languages);
- with --variants N (N > 1): the owner letter (in a scratch copy of the project) gets one of N
  paragraphs of different lengths per letter, chosen by its VIN's serial: N layout variants,
  each laid out and verified once by the preflight, every letter printed from its own;
- with --compare-typst: the same owner letter (text exported from the project's template, same
  font and page size) typeset by the ``typst`` package in the same run, on at most
  --typst-letters letters: ``typst_cpu_ms_per_letter`` and ``ratio_vs_typst_cpu`` (Typst's CPU
  per letter over ours), and ``typst_letters_per_s`` and ``ratio_vs_typst`` (wall).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from options import positive

from letters.campaign import load_campaign
from letters.campaign.load import implied_phase_volumes
from letters.mail import MailOptions, mail
from letters.sample import generate
from letters.usage import peak_rss_mb, reset_peak_rss, tree_cpu_seconds

PHASE = 5
BODY = ("records", "plan", "execute", "finish")
"""The job ticket's stages that follow each other (the others are parts of these)."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--letters", type=positive, default=2000, help="approximate letters in the phase")
    parser.add_argument("--renderer", choices=["fast", "full"], default="fast")
    parser.add_argument("--compare-typst", action="store_true")
    parser.add_argument("--typst-letters", type=positive, default=1000)
    parser.add_argument("--workers", type=positive, default=os.cpu_count() or 1)
    parser.add_argument("--batch-size", type=positive, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--distinct-addresses", action="store_true", help="no two households share a street line")
    parser.add_argument("--variants", type=positive, default=1, help="layout variants of the owner letter")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        if args.variants > 1:
            os.environ["LETTERS_HOME"] = str(variant_project(Path(scratch), args.variants))
            approve_copy("23LJ01")
        run_benchmark(args)


def variant_project(folder: Path, count: int) -> Path:
    """A copy of the project whose 23LJ01 owner letter has ``count`` layout variants (a paragraph each)."""
    import shutil

    from letters import paths

    home = paths.home()
    for name in ("templates", "locales"):
        shutil.copytree(home / name, folder / name)
    letter = folder / "templates" / "23LJ01" / "owner-letter.html"
    branches = "".join(
        f"{'{% if' if k == 0 else '{% elif'} n == {k} %}}<p>Variant {k} of this letter: "
        + " ".join(["this paragraph differs in length from one layout to the next"] * (1 + k % 5))
        + ".</p>"
        for k in range(count)
    )
    text = letter.read_text(encoding="utf-8").replace(
        "{% block letter %}\n",
        f"{{% block letter %}}\n{{% set n = (letter.vin[-4:]|int) % {count} %}}{branches}{{% endif %}}\n",
        1,
    )
    letter.write_text(text, encoding="utf-8")
    return folder


def approve_copy(code: str) -> None:
    """Approve the scratch copy's edited revisions as they now are: mail refuses an unapproved letter, and
    ``--draft`` would time DRAFT stamps that a real mailing does not print."""
    from letters.review.status import record, states

    for revision, review in states(code).items():
        if not review.approved:
            record(code, revision, "approve", "Benchmark", "the benchmark's scratch copy, approved as edited")


def run_benchmark(args: argparse.Namespace) -> None:

    campaign = load_campaign("23LJ01").campaign
    volumes = implied_phase_volumes(campaign)
    share = volumes[PHASE] / sum(m.volume for m in campaign.models)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files = generate(campaign, folder / "records", round(args.letters / share), args.seed,
                         distinct_addresses=args.distinct_addresses)  # fmt: skip
        options = MailOptions(
            phases=(PHASE,), vehicles=files.vehicles, owners=files.owners, as_of=date(2024, 2, 5),
            batch_size=args.batch_size, workers=args.workers, ledger=folder / "ledger.sqlite",
            out_dir=folder / "out", renderer=args.renderer,
        )  # fmt: skip
        reset_peak_rss()
        cpu_before, started = tree_cpu_seconds(), time.perf_counter()
        report = mail("23LJ01", options)
        seconds = time.perf_counter() - started
        cpu = tree_cpu_seconds() - cpu_before  # the fork server still runs: it has its workers' CPU
        peak = peak_rss_mb()
        if not report.runs:
            sys.exit(f"throughput.py: Phase {PHASE} holds no letter at --letters {args.letters}: ask for more")
        (run,) = report.runs
        job = run.job
        letters = job["letters"]
        size = sum((run.folder / f["name"]).stat().st_size for f in job["files"])
        typst = typst_run(folder, run.folder, min(args.typst_letters, letters)) if args.compare_typst else None
    timings = dict(job["timings"])
    timings["other_s"] = round(cpu - sum(timings.get(f"{stage}_s", 0.0) for stage in BODY), 3)
    result = {
        "letters": letters,
        "cpu_s": round(cpu, 2),
        "cpu_ms_per_letter": round(cpu * 1000 / letters, 3),
        "seconds": round(seconds, 2),
        "letters_per_s": round(letters / seconds, 1),
        "pages_per_s": round(job["pages"] / seconds, 1),
        "bytes_per_letter": round(size / letters),
        "peak_rss_mb": peak,
        "worker_peak_rss_mb": job["worker_peak_rss_mb"],
        "fallbacks": sum(job["fallbacks"].values()),
        "renderer": args.renderer,
        "workers": args.workers,
        "distinct_addresses": args.distinct_addresses,
        "variants": args.variants,
        "layouts": job["variants"],
        "breakdown": timings,
        "cpu_ms_per_letter_by_stage": {
            k.removesuffix("_s"): round(v * 1000 / letters, 3) for k, v in timings.items() if not k.endswith("_wall_s")
        },
    }
    if typst is not None:
        typst_cpu, typst_wall, typst_letters = typst
        result["typst_letters"] = typst_letters
        result["typst_cpu_ms_per_letter"] = round(typst_cpu * 1000 / typst_letters, 3)
        result["ratio_vs_typst_cpu"] = round(typst_cpu / typst_letters / (cpu / letters), 3)
        result["typst_letters_per_s"] = round(typst_letters / typst_wall, 1)
        result["ratio_vs_typst"] = round(result["letters_per_s"] / result["typst_letters_per_s"], 2)
    print(f"mailed {letters:,} letters ({job['pages']:,} pages): {cpu:.1f} s of CPU, {seconds:.1f} s of wall time")
    print(json.dumps(result))


def typst_run(work: Path, run_folder: Path, count: int) -> tuple[float, float, int]:
    """Typeset ``count`` of the mailed letters with Typst: (CPU seconds, wall seconds, letters)."""
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
    cpu_before, started = time.process_time(), time.perf_counter()  # Typst runs in this process (all its threads)
    typst.compile(str(root / "letter.typ"), output=str(root / "out.pdf"), root=str(root), font_paths=[fonts],
                  ignore_system_fonts=True)  # fmt: skip
    return time.process_time() - cpu_before, time.perf_counter() - started, len(letters)


if __name__ == "__main__":
    main()
