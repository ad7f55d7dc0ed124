"""Runs can be seen and ended: ``letters runs``, ``letters cancel``, and failed runs that block nothing (#19 item 3)."""

from __future__ import annotations

import contextlib
import csv
import json
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import letters.mail.execute
from letters.cli import cli
from letters.errors import TemplateError
from letters.mail import mail, status
from tests.conftest import AS_OF, options


def _rows(ledger: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(ledger) as db:
        return list(db.execute(sql))


def _manifest(folder: Path) -> list[dict[str, str]]:
    with (folder / "manifest.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _runs(ledger: Path, *extra: str) -> Any:
    result = CliRunner().invoke(cli, ["runs", "23LJ01", "--ledger", str(ledger), *extra])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout) if "--json" in extra else result.stdout


def _fail_phase(monkeypatch: pytest.MonkeyPatch, phase: int, after: int = 1) -> None:
    """The fast renderer refuses ``phase``'s batches after its first ``after`` (as it once refused a template
    it could not verify, after the pieces were reserved); the full renderer and other phases work."""
    real = letters.mail.execute.render_batch
    seen = Counter[int]()

    def render(job: Any, kind: str = "full") -> Any:
        if job.phase == phase and kind == "fast":
            seen[phase] += 1
            if seen[phase] > after:
                raise TemplateError(f"piece {job.pieces[0].piece_id}, page 1: text differs from the full render")
        return real(job, kind)

    monkeypatch.setattr(letters.mail.execute, "render_batch", render)


def test_a_failed_run_blocks_no_other_phase_and_resumes_with_another_renderer(
    records: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger = tmp_path / "ledger.sqlite"
    _fail_phase(monkeypatch, 1)
    with pytest.raises(TemplateError, match="text differs") as err:
        mail("23LJ01", options(tmp_path, records))
    assert "letters cancel" in err.value.message and "--renderer full" in err.value.message
    (failed,) = _runs(ledger, "--json")
    assert failed["state"] == "failed" and "text differs from the full render" in failed["error"]
    assert failed["batches_done"] == 1 < failed["batches_total"] and failed["renderer"] == "fast"
    plain = _runs(ledger)
    assert "failed" in plain and "last error: piece 23LJ01-1-" in plain and failed["run_id"] in plain
    in_progress = failed["pieces"] - failed["pieces_done"]
    # status prints in_progress, plain as with --json
    result = CliRunner().invoke(cli, ["status", "23LJ01", "--ledger", str(ledger), "--vehicles", str(records[0]),
                                      "--owners", str(records[1]), "--as-of", AS_OF.isoformat()])  # fmt: skip
    assert result.exit_code == 0, result.output
    header, *lines = result.stdout.splitlines()[1:]
    assert "in_progress" in header.split()
    column = header.split().index("in_progress")
    phase_one = next(line.split() for line in lines if line.split()[:2] == ["1", "remedy"])
    assert int(phase_one[column].replace(",", "")) == in_progress > 0
    # Phase 2 mails although the phase-1 run fails again first; the failure is said, not raised.
    report = mail("23LJ01", options(tmp_path, records, phases=(2,)))
    assert [r.run.phase for r in report.runs] == [2]
    assert any(f"run {failed['run_id']}" in n and "failed again" in n for n in report.notes)
    # A resume may take another renderer: the failed run finishes with the full one, exactly once.
    report = mail("23LJ01", options(tmp_path, records, renderer="full", resume_renderer="full"))
    (resumed,) = [r for r in report.runs if r.resumed]
    assert resumed.run.run_id == failed["run_id"] and resumed.job["renderer"] == "full"
    vins = [row["vin"] for row in _manifest(resumed.folder)]
    assert len(vins) == len(set(vins)) == failed["pieces"]
    assert {r["run_id"]: r["state"] for r in _runs(ledger, "--json")}[failed["run_id"]] == "finished"


def test_a_failed_run_cancelled_then_mailed_again(
    records: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger = tmp_path / "ledger.sqlite"
    _fail_phase(monkeypatch, 1)
    with pytest.raises(TemplateError):
        mail("23LJ01", options(tmp_path, records))
    (failed,) = _runs(ledger, "--json")
    result = CliRunner().invoke(cli, ["cancel", failed["run_id"], "--reason", "template fixed, mail again",
                                      "--ledger", str(ledger), "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    done = json.loads(result.stdout)
    assert done["state"] == "cancelled" and done["voided"] == failed["pieces"] - failed["pieces_done"] > 0
    assert done["job"]["cancelled"]["reason"] == "template fixed, mail again"
    assert done["job"]["letters"] == failed["pieces_done"] == len(_manifest(Path(failed["folder"])))
    again = CliRunner().invoke(cli, ["cancel", failed["run_id"], "--reason", "twice", "--ledger", str(ledger)])
    assert again.exit_code == 2 and f"run {failed['run_id']} is already cancelled" in again.stderr
    monkeypatch.undo()
    report = mail("23LJ01", options(tmp_path, records))
    (again,) = report.runs
    assert not again.resumed and again.job["letters"] == done["voided"]
    printed = [r["vin"] for f in (Path(failed["folder"]), again.folder) for r in _manifest(f)]
    assert Counter(printed).most_common(1)[0][1] == 1
    assert len(printed) == next(r["eligible"] for r in status("23LJ01", ledger, *records, AS_OF) if r["phase"] == 1)


def _counts(ledger: Path) -> tuple[int, int]:
    if not ledger.exists():
        return 0, 0
    try:
        with sqlite3.connect(ledger, timeout=0.1) as db:
            rows = dict(db.execute("SELECT status, COUNT(*) FROM batches GROUP BY status").fetchall())
    except sqlite3.OperationalError:
        return 0, 0
    return rows.get("planned", 0), rows.get("done", 0)


def test_killed_run_cancelled_then_mailed_again_never_reuses_ids_or_serials(
    records: tuple[Path, Path], tmp_path: Path
) -> None:
    """kill -9 a real mailing mid-run, cancel it, mail again: every VIN printed once, no piece ID or serial twice."""
    out, ledger = tmp_path / "out", tmp_path / "ledger.sqlite"
    cmd = [sys.executable, "-m", "letters", "mail", "23LJ01", "--phase", "1", "--vehicles", str(records[0]),
           "--owners", str(records[1]), "--as-of", AS_OF.isoformat(), "--batch-size", "2", "--workers", "1",
           "--renderer", "full", "--ledger", str(ledger), "-o", str(out), "--quiet"]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        planned, done = _counts(ledger)
        if planned > 1 and done >= 1:
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.005)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the mailing ended before it was killed mid-run"
    (killed,) = _runs(ledger, "--json")
    assert killed["state"] == "unfinished" and 1 <= killed["batches_done"] < killed["batches_total"]
    before = _rows(ledger, "SELECT piece_id, imb_tracking FROM pieces")
    runner = CliRunner()
    result = runner.invoke(cli, ["cancel", killed["run_id"], "--reason", "killed by the operator",
                                 "--ledger", str(ledger)])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert f"cancelled run {killed['run_id']}" in result.stdout and "pending again" in result.stdout
    folder = Path(killed["folder"])
    kept = _manifest(folder)
    job = json.loads((folder / "job.json").read_text())
    assert job["letters"] == len(kept) > 0 and job["cancelled"]["reason"] == "killed by the operator"
    assert {r["file"] for r in kept} == {f["name"] for f in job["files"]}
    assert all((folder / r["file"]).is_file() for r in kept) and not list(folder.glob(".*.tmp"))
    voided = _rows(ledger, "SELECT piece_id, vin, void FROM pieces WHERE void != ''")
    assert voided and {why for _, _, why in voided} == {"killed by the operator"}
    assert not {v for _, v, _ in voided} & {r["vin"] for r in kept}
    listed = _runs(ledger)
    assert "cancelled" in listed and "killed by the operator" in listed and "voided" in listed
    # The voided VINs are pending again; the next mailing sends them new pieces with new IDs and serials.
    result = runner.invoke(cli, [*cmd[3:], "--json"])
    assert result.exit_code == 0, result.output
    (run,) = json.loads(result.stdout)["runs"]
    assert not run["resumed"] and run["letters"] == len(voided)
    new = _rows(ledger, f"SELECT piece_id, imb_tracking, vin FROM pieces WHERE run_id = '{run['run_id']}'")
    assert {v for *_, v in new} == {v for _, v, _ in voided}
    assert not {p for p, *_ in new} & {p for p, _ in before}
    assert not {t for _, t, _ in new} & {t for _, t in before}
    everything = _rows(ledger, "SELECT piece_id, imb_tracking FROM pieces")
    assert len({p for p, _ in everything}) == len({t for _, t in everything}) == len(everything)
    printed = [r["vin"] for f in sorted(out.rglob("manifest.csv")) for r in _manifest(f.parent)]
    assert Counter(printed).most_common(1)[0][1] == 1
    assert len(printed) == next(r["eligible"] for r in status("23LJ01", ledger, *records, AS_OF) if r["phase"] == 1)
    (phase_one,) = [r for r in status("23LJ01", ledger, *records, AS_OF) if r["phase"] == 1]
    assert phase_one["pending"] == phase_one["in_progress"] == 0


def test_runs_and_cancel_refuse_what_they_cannot_do(records: tuple[Path, Path], tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.sqlite"
    runner = CliRunner()
    result = runner.invoke(cli, ["runs", "23LJ01", "--ledger", str(tmp_path / "typo.sqlite"), "--json"])
    assert result.exit_code == 2 and "error: no ledger at" in result.stderr
    assert "--create-ledger" not in result.stderr  # an option only status has
    result = runner.invoke(cli, ["cancel", "R", "--reason", "x", "--ledger", str(tmp_path / "typo.sqlite")])
    assert result.exit_code == 2 and "error: no ledger at" in result.stderr and "--create-ledger" not in result.stderr
    (run,) = mail("23LJ01", options(tmp_path, records)).runs
    (row,) = _runs(ledger, "--json")
    assert row["run_id"] == run.run.run_id and row["state"] == "finished"
    assert row["batches_done"] == row["batches_total"] == len(run.job["files"]) and row["pieces"] == run.job["letters"]
    assert row["kind"] == "mail" and row["phase"] == 1 and row["stage"] == "remedy" and row["error"] == ""
    assert row["folder"] == str(run.folder) and row["renderer"] == "fast"
    result = runner.invoke(cli, ["cancel", "20240101T000000Z-p1-remedy-0000", "--reason", "x", "--ledger",
                                 str(ledger), "--json"])  # fmt: skip
    assert result.exit_code == 2 and "error: no run '20240101T000000Z-p1-remedy-0000'" in result.stderr
    result = runner.invoke(cli, ["cancel", run.run.run_id, "--reason", "x", "--ledger", str(ledger)])
    assert result.exit_code == 2 and "finished on" in result.stderr and "nothing to cancel" in result.stderr
    result = runner.invoke(cli, ["cancel", run.run.run_id, "--reason", "  ", "--ledger", str(ledger)])
    assert result.exit_code == 2 and "--reason must say why" in result.stderr
    assert "Traceback" not in result.output


def test_cancel_removes_a_voided_batch_file_a_killed_run_left_in_its_folder(
    records: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch file renamed into place but never marked done (the run killed in between, or a worker that
    outlived its killed run) is voided by cancel, so it must not stay in the folder for a vendor to print."""
    ledger = tmp_path / "ledger.sqlite"
    _fail_phase(monkeypatch, 1)
    with pytest.raises(TemplateError):
        mail("23LJ01", options(tmp_path, records))
    (failed,) = _runs(ledger, "--json")
    folder = Path(failed["folder"])
    rows = _rows(ledger, f"SELECT file, status FROM batches WHERE run_id = '{failed['run_id']}' ORDER BY batch")
    done, file = next(f for f, s in rows if s == "done"), next(f for f, s in rows if s == "planned")
    (folder / file).write_bytes((folder / done).read_bytes())
    result = CliRunner().invoke(cli, ["cancel", failed["run_id"], "--reason", "killed", "--ledger", str(ledger)])
    assert result.exit_code == 0, result.output
    assert not (folder / file).exists()
    assert {p.name for p in folder.glob("batch-*.pdf")} == {r["file"] for r in _manifest(folder)}


def test_a_killed_run_takes_its_worker_processes_with_it(records: tuple[Path, Path], tmp_path: Path) -> None:
    """Workers are the fork server's children, not the run's: kill -9 the run and they must still end (they
    used to wait on its queue for ever, one finishing a batch nobody would record)."""
    import psutil

    out, ledger = tmp_path / "out", tmp_path / "ledger.sqlite"
    cmd = [sys.executable, "-m", "letters", "mail", "23LJ01", "--phase", "1", "--vehicles", str(records[0]),
           "--owners", str(records[1]), "--as-of", AS_OF.isoformat(), "--batch-size", "2", "--workers", "2",
           "--renderer", "full", "--ledger", str(ledger), "-o", str(out), "--quiet"]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    helpers: list[psutil.Process] = []
    try:
        deadline = time.monotonic() + 120
        while proc.poll() is None and time.monotonic() < deadline:
            planned, done = _counts(ledger)
            if planned > 1 and done >= 1:
                helpers = psutil.Process(proc.pid).children(recursive=True)
                proc.send_signal(signal.SIGKILL)
                break
            time.sleep(0.005)
        proc.wait()
        assert proc.returncode == -signal.SIGKILL, "the mailing ended before it was killed mid-run"
        assert len(helpers) >= 3  # the fork server and its two workers (and the resource tracker)
        _, alive = psutil.wait_procs(helpers, timeout=15)
        assert not alive, f"still running after the run was killed: {alive}"
    finally:
        for helper in helpers:
            with contextlib.suppress(psutil.Error):
                helper.kill()
