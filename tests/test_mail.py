"""Phase mailings as a print vendor receives them, and the ledger that keeps them exact."""

from __future__ import annotations

import csv
import hashlib
import itertools
import json
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pdfplumber
import pytest
from pypdf import PdfReader

from letters.address import usps_line
from letters.batch import envelope_lines
from letters.campaign import LoadedCampaign
from letters.mail import mail, remail, status
from letters.records import Owner, Source
from letters.sample import generate
from tests.conftest import AS_OF, options

INCH = 72


@pytest.fixture(scope="module")
def mailed(records: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Phase 1 mailed once; returns the run folder."""
    tmp = tmp_path_factory.mktemp("mail")
    with pytest.MonkeyPatch.context() as mp:  # a serial registry of its own, as each test has: serials from 0
        mp.setenv("LETTERS_SERIALS", str(tmp / "serials"))
        report = mail("23LJ01", options(tmp, records))
    (run,) = report.runs
    return run.folder


def manifest(folder: Path) -> list[dict[str, str]]:
    with (folder / "manifest.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_output_files(mailed: Path) -> None:
    names = sorted(p.name for p in mailed.iterdir())
    batches = [n for n in names if n.startswith("batch-")]
    assert batches[0] == "batch-0001.pdf"
    assert {"manifest.csv", "job.json", "rejects.csv"} <= set(names)
    assert not [n for n in names if n.endswith(".tmp")]
    assert mailed.parent.name == "phase-1" and mailed.parent.parent.name == "23LJ01"


def test_vendor_checks_on_every_batch(mailed: Path) -> None:
    for pdf in sorted(mailed.glob("batch-*.pdf")):
        subprocess.run(["qpdf", "--check", str(pdf)], check=True, capture_output=True)
        fonts = subprocess.run(["pdffonts", str(pdf)], check=True, capture_output=True, text=True).stdout
        assert all(row.split()[-5] == "yes" for row in fonts.splitlines()[2:])
        reader = PdfReader(pdf)
        assert all(
            (round(float(p.mediabox.width)), round(float(p.mediabox.height))) == (612, 792) for p in reader.pages
        )
        meta = reader.metadata or {}
        assert meta.get("/Campaign") == "23LJ01" and meta.get("/Phase") == "1"
        assert meta.get("/Batch") == pdf.stem.split("-")[1] and meta.get("/Revision") == "2024-01-31"


def test_manifest_matches_pdfs_and_bookmarks(mailed: Path) -> None:
    rows = manifest(mailed)
    assert rows and list(rows[0])[:7] == ["piece_id", "vin", "batch", "file", "first_page", "last_page", "pages"]
    by_file: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        by_file.setdefault(row["file"], []).append(row)
    for name, pieces in by_file.items():
        reader = PdfReader(mailed / name)
        assert int(pieces[-1]["last_page"]) == len(reader.pages)
        outline = reader.outline
        assert len(outline) == len(pieces)
        for row, mark in zip(pieces, outline, strict=True):
            assert mark.title == f"{row['piece_id']} {row['vin']}"
            assert reader.get_destination_page_number(mark) + 1 == int(row["first_page"])
            assert int(row["pages"]) % 2 == 0 and int(row["sheets"]) == int(row["pages"]) // 2
        starts = [int(r["first_page"]) for r in pieces]
        assert starts == sorted(starts) and starts[0] == 1


def test_each_letter_shows_its_vin_and_piece_id(mailed: Path) -> None:
    rows = manifest(mailed)
    with pdfplumber.open(mailed / "batch-0001.pdf") as pdf:
        for row in [r for r in rows if r["batch"] == "1"]:
            text = pdf.pages[int(row["first_page"]) - 1].extract_text()
            assert f"VIN: {row['vin']}" in text and row["piece_id"] in text


def test_job_ticket_totals(mailed: Path) -> None:
    job = json.loads((mailed / "job.json").read_text())
    rows = manifest(mailed)
    assert {"campaign", "phase", "revision", "as_of", "records_read", "outcomes", "letters", "pages", "sheets",
            "files", "variants"} <= set(job)  # fmt: skip
    # The preflight laid out each layout variant once: 23LJ01's letter has one per brand in phase 1.
    assert isinstance(job["variants"], int) and 1 <= job["variants"] <= job["letters"]
    assert sum(job["outcomes"].values()) == job["records_read"]
    assert job["letters"] == len(rows) == sum(f["letters"] for f in job["files"])
    assert job["pages"] == sum(int(r["pages"]) for r in rows) == sum(f["pages"] for f in job["files"])
    assert job["sheets"] == sum(int(r["sheets"]) for r in rows)
    for f in job["files"]:
        assert hashlib.sha256((mailed / f["name"]).read_bytes()).hexdigest() == f["sha256"]
    assert job["outcomes"]["mailable_phase_1"] == job["letters"]


def test_job_ticket_timings_say_cpu_or_wall(mailed: Path) -> None:
    timings = json.loads((mailed / "job.json").read_text())["timings"]
    stages = ("records", "plan", "plan_address", "plan_ledger", "queue", "stamp", "press", "save", "verify", "write",
              "ledger", "execute", "finish")  # fmt: skip
    assert {f"{s}_s" for s in stages} | {f"{s}_wall_s" for s in stages} <= set(timings)
    assert all(isinstance(v, float | int) and v >= 0 for v in timings.values())
    # The rendering phase's CPU holds the parts the renderer timed, and the queue and ledger work around them.
    inside = sum(timings[f"{s}_s"] for s in ("queue", "stamp", "press", "save", "verify", "write", "ledger"))
    assert timings["execute_s"] >= inside - 0.01


POOL_PROBE = """
import sys
from concurrent.futures import ProcessPoolExecutor

from letters.mail.pool import worker_context


def loaded() -> list[str]:
    return sorted(m for m in ("letters.mail.plan", "letters.render.fast") if m in sys.modules)


if __name__ == "__main__":
    assert "letters.render.fast" not in sys.modules
    for _ in range(2):  # planning's pool starts the fork server on a large run; rendering's comes next
        with ProcessPoolExecutor(1, mp_context=worker_context()) as pool:
            print(pool.submit(loaded).result())
"""


def test_every_pool_of_a_mailing_forks_workers_with_the_code_loaded(tmp_path: Path) -> None:
    # Whichever pool starts the fork server, it loads the planning and rendering code once, so
    # no worker spends a second of CPU importing it again.
    probe = tmp_path / "probe.py"
    probe.write_text(POOL_PROBE, encoding="utf-8")
    done = subprocess.run([sys.executable, str(probe)], capture_output=True, text=True, timeout=300, check=True)
    assert done.stdout.split("\n")[:2] == ["['letters.mail.plan', 'letters.render.fast']"] * 2


def test_presorted_by_zip(mailed: Path) -> None:
    zips = [r["zip"] for r in manifest(mailed)]
    assert zips == sorted(zips)


def test_address_inside_envelope_window_with_clearance(mailed: Path) -> None:
    """Every address line lies within 1.00-4.75in across and 2.125-3.00in down."""
    with pdfplumber.open(mailed / "batch-0001.pdf") as pdf:
        page = pdf.pages[0]
        words = page.extract_words()
        block = [w for w in words if 1.7 * INCH < w["top"] < 3.2 * INCH]
        assert block, "no address block found"
        for w in block:
            assert w["x0"] >= 1.0 * INCH - 0.5 and w["x1"] <= 4.75 * INCH
            assert w["top"] >= 2.125 * INCH - 0.5 and w["bottom"] <= 3.0 * INCH
        lines = " ".join(w["text"] for w in block)
        assert lines == lines.upper()
        assert not re.search(r"[^\w\s-]", lines)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Ana O'Neil-Smith", "ANA ONEIL SMITH"),
        ("123 Main St., Apt. #5", "123 MAIN ST APT 5"),
        ("José Núñez", "JOSE NUNEZ"),  # the address block is ASCII (Pub 28); the salutation keeps the name
    ],
)
def test_usps_line(raw: str, expected: str) -> None:
    assert usps_line(raw) == expected


def test_envelope_lines_keep_zip4_hyphen_and_urbanization() -> None:
    owner = Owner(
        "V", ("Ana Ruiz",), ("Urb. El Vedado", "12 Calle 3"), "San Juan", "PR", "00907-1234", source=Source("f", 2)
    )
    assert envelope_lines(owner) == ("ANA RUIZ", "URB EL VEDADO", "12 CALLE 3", "SAN JUAN PR 00907-1234")


def test_rerun_mails_nothing_new_then_supplement(records: tuple[Path, Path], tmp_path: Path,
                                                  loaded: LoadedCampaign) -> None:  # fmt: skip
    first = mail("23LJ01", options(tmp_path, records))
    letters = first.runs[0].job["letters"]
    again = mail("23LJ01", options(tmp_path, records))
    assert again.runs == [] and "nothing new to mail" in again.notes[0]
    # Vehicles added later (like the seed's 500 extra Phase 2 NAP vehicles): only they are mailed.
    extra = generate(loaded.campaign, tmp_path / "extra", 60, seed=99)
    vehicles, owners = tmp_path / "v.csv", tmp_path / "o.csv"
    vehicles.write_text(records[0].read_text() + "".join(extra.vehicles.read_text().splitlines(True)[1:]))
    owners.write_text(records[1].read_text() + "".join(extra.owners.read_text().splitlines(True)[1:]))
    supplement = mail("23LJ01", options(tmp_path, (vehicles, owners)))
    (run,) = supplement.runs
    new_vins = {r["vin"] for r in manifest(run.folder)}
    old_vins = {r["vin"] for r in manifest(first.runs[0].folder)}
    assert new_vins and not new_vins & old_vins
    assert run.job["files"][0]["name"] == f"batch-{-(-letters // 10) + 1:04d}.pdf"  # batch numbers continue


def test_remail_and_status(records: tuple[Path, Path], tmp_path: Path) -> None:
    first = mail("23LJ01", options(tmp_path, records))
    vin = manifest(first.runs[0].folder)[0]["vin"]
    again = remail("23LJ01", [vin], "returned by USPS, new address", options(tmp_path, records))
    (run,) = again.runs
    assert run.job["kind"] == "remail" and run.job["reason"] == "returned by USPS, new address"
    assert [r["vin"] for r in manifest(run.folder)] == [vin]
    rows = {r["phase"]: r for r in status("23LJ01", tmp_path / "ledger.sqlite", *records, AS_OF)}
    assert rows[1]["mailed"] == first.runs[0].job["letters"] and rows[1]["pending"] == 0
    assert rows[1]["remailed"] == 1 and rows[2]["mailed"] == 0 and rows[2]["pending"] == rows[2]["eligible"] > 0


def test_next_run_takes_standardised_streets_from_the_ledger(records: tuple[Path, Path], tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """A later run (a remail here; the next stage alike) addresses the same owners without the Pub 28 parser."""
    import letters.address

    first = mail("23LJ01", options(tmp_path, records))
    with sqlite3.connect(tmp_path / "ledger.sqlite") as db:
        kept = db.execute("SELECT COUNT(*) FROM streets").fetchone()[0]
        before = dict(db.execute("SELECT vin, address FROM pieces"))
    assert kept > 0  # the sample's streets are not in USPS form, so the parser ran and its results were kept

    def no_parser(street: str, unit: str) -> tuple[str, str]:
        raise AssertionError(f"parsed {street!r} again")

    letters.address.standard_delivery.cache_clear()
    monkeypatch.setattr("letters.address.pub28.standardise", no_parser)
    vins = [r["vin"] for r in manifest(first.runs[0].folder)]
    again = remail("23LJ01", vins, "returned by USPS", options(tmp_path, records))
    with sqlite3.connect(tmp_path / "ledger.sqlite") as db:
        after = db.execute("SELECT vin, address FROM pieces WHERE remail != ''").fetchall()
    assert len(after) == len(vins) == again.runs[0].job["letters"]
    assert all(before[vin] == address for vin, address in after)


def test_simplex_does_not_pad(records: tuple[Path, Path], tmp_path: Path) -> None:
    report = mail("23LJ01", options(tmp_path, records, duplex=False, batch_size=50))
    rows = manifest(report.runs[0].folder)
    assert {r["pages"] for r in rows} == {"1"} and {r["sheets"] for r in rows} == {"1"}


def test_parallel_workers_match_serial(records: tuple[Path, Path], tmp_path: Path, mailed: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    # Planning in chunks on all cores too (it starts at thousands of pieces): same pieces, addresses, barcodes.
    monkeypatch.setattr("letters.mail.plan.PARALLEL_PIECES", 1)
    seen: list[tuple[int, int]] = []
    report = mail("23LJ01", options(tmp_path, records, workers=2), lambda done, total: seen.append((done, total)))
    parallel = manifest(report.runs[0].folder)
    serial = manifest(mailed)
    assert len(parallel) >= 10  # several chunks of pieces, two batches
    assert parallel == serial
    # The workers' letter counts reach the bar: it never goes back, never past the end, and ends full.
    assert seen[0] == (0, len(parallel)) and seen[-1] == (len(parallel), len(parallel))
    assert all(a[0] <= b[0] for a, b in itertools.pairwise(seen))


@pytest.mark.parametrize("renderer", ["fast", "full"])
def test_progress_advances_per_letter_or_chunk_within_a_batch(
    records: tuple[Path, Path], tmp_path: Path, renderer: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One batch of every letter: the bar still moves per letter (fast) or per layout chunk (full)."""
    monkeypatch.setattr("letters.render.pieces.CHUNK", 5)  # the full renderer's chunk: 5 letters here, 25 in use
    seen: list[int] = []
    report = mail("23LJ01", options(tmp_path, records, batch_size=10_000, renderer=renderer),
                  lambda done, total: seen.append(done))  # fmt: skip
    letters = report.runs[0].job["letters"]
    assert len(report.runs[0].job["files"]) == 1 and letters > 10
    assert seen == sorted(seen) and seen[0] == 0 and seen[-1] == letters
    steps = [b - a for a, b in itertools.pairwise(seen) if b > a]
    if renderer == "fast":
        assert sorted(set(seen)) == list(range(letters + 1))  # every letter
    else:
        # A chunk is up to 5 letters of one language (a language change starts the next).
        assert len(steps) >= letters // 5 and max(steps) <= 5


def test_progress_bar_shows_eta_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI's bar on a real terminal (a pty): position, rate and, once a second has passed, the ETA."""
    import os
    import pty

    from letters.cli.mail import _Progress

    master, slave = pty.openpty()
    terminal = os.fdopen(slave, "w", buffering=1)
    monkeypatch.setattr(sys, "stderr", terminal)
    monkeypatch.setenv("TERM", "xterm")
    # click estimates the ETA from steps at least a second apart: its clock moves 2 s a step here,
    # so a loaded machine cannot change what the bar shows.
    import click._termui_impl as termui

    ticks = itertools.count(1_000_000, 2)
    monkeypatch.setattr(termui.time, "time", lambda: float(next(ticks)))
    bar = _Progress(quiet=False)
    assert bar.enabled
    bar(0, 100)
    bar(10, 100)
    bar(20, 100)
    bar(30, 100)
    bar.close()
    terminal.flush()
    os.set_blocking(master, False)
    shown = os.read(master, 65536).decode("utf-8", "replace")
    terminal.close()
    os.close(master)
    assert re.search(r"letters .* [123]0/100 .*\d\d:\d\d:\d\d", shown), shown


def test_unavailable_phase_is_refused(records: tuple[Path, Path], tmp_path: Path) -> None:
    from letters.errors import UsageError

    with pytest.raises(UsageError, match="not available as of 2024-02-05"):
        mail("23LJ01", options(tmp_path, records, phases=(6,)))


def _ledger_counts(ledger: Path) -> tuple[int, int]:
    """(planned, done) batches in the ledger, (0, 0) before it exists."""
    if not ledger.exists():
        return 0, 0
    try:
        with sqlite3.connect(ledger, timeout=0.1) as db:
            rows = dict(db.execute("SELECT status, COUNT(*) FROM batches GROUP BY status").fetchall())
    except sqlite3.OperationalError:
        return 0, 0
    return rows.get("planned", 0), rows.get("done", 0)


KILL_POINTS = {
    "after planning": lambda ledger, out: _ledger_counts(ledger)[0] > 0 and _ledger_counts(ledger)[1] == 0,
    "mid-run": lambda ledger, out: _ledger_counts(ledger)[0] > 0 and _ledger_counts(ledger)[1] >= 2,
    "while writing a batch": lambda ledger, out: bool(list(out.rglob(".batch-*.tmp"))),
}


def test_killed_run_resumes_to_exactly_once(records: tuple[Path, Path], tmp_path: Path) -> None:
    """kill -9 a real mailing at several moments; the next run resumes; every letter ends up once."""
    out, ledger = tmp_path / "out", tmp_path / "ledger.sqlite"
    cmd = [sys.executable, "-m", "letters", "mail", "23LJ01", "--phase", "1,2", "--vehicles", str(records[0]),
           "--owners", str(records[1]), "--as-of", AS_OF.isoformat(), "--batch-size", "3", "--workers", "1",
           "--ledger", str(ledger), "-o", str(out), "--quiet"]  # fmt: skip
    killed = []
    for name, reached in KILL_POINTS.items():
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < deadline:
            if reached(ledger, out):
                proc.send_signal(signal.SIGKILL)
                killed.append(name)
                break
            time.sleep(0.005)
        proc.wait()
        if name != "while writing a batch":
            assert name in killed, f"the run ended before {name}"
    final = subprocess.run(cmd, capture_output=True, text=True)
    assert final.returncode == 0, final.stderr
    if killed[-1] == "while writing a batch":  # otherwise the third call resumed and finished the run itself
        assert "which an earlier call did not finish" in final.stdout
    pieces = [row for f in sorted(out.rglob("manifest.csv")) for row in manifest(f.parent)]
    counts = Counter(r["vin"] for r in pieces)
    assert counts and set(counts.values()) == {1}
    assert not list(out.rglob("*.tmp"))
    for pdf in out.rglob("batch-*.pdf"):
        subprocess.run(["qpdf", "--check", str(pdf)], check=True, capture_output=True)
    expected = {r["phase"]: r["eligible"] for r in status("23LJ01", ledger, *records, AS_OF)}
    assert Counter(r["phase"] for r in pieces) == {"1": expected[1], "2": expected[2]}
    assert _ledger_counts(ledger)[0] == 0


@pytest.mark.parametrize("workers", ["1", "2"])
def test_ctrl_c_stops_cleanly_and_resumes(records: tuple[Path, Path], tmp_path: Path, workers: str) -> None:
    out, ledger = tmp_path / "out", tmp_path / "ledger.sqlite"
    # Two phases in one-letter batches: seconds of full rendering left when the first batch is done,
    # so the interrupt lands mid-run even on a loaded machine.
    cmd = [sys.executable, "-m", "letters", "mail", "23LJ01", "--phase", "1,2", "--vehicles", str(records[0]),
           "--owners", str(records[1]), "--as-of", AS_OF.isoformat(), "--batch-size", "1", "--workers", workers,
           "--renderer", "full", "--ledger", str(ledger), "-o", str(out), "--quiet"]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline and _ledger_counts(ledger)[1] < 1:
        time.sleep(0.005)
    assert proc.poll() is None, "the mailing finished before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "interrupted:" in err and "again to finish" in err and "Traceback" not in err
    planned, done = _ledger_counts(ledger)
    assert planned > 0 and done > 0
    assert not list(out.rglob("*.tmp"))
    final = subprocess.run(cmd, capture_output=True, text=True)
    assert final.returncode == 0 and "which an earlier call did not finish" in final.stdout
    assert _ledger_counts(ledger)[0] == 0
