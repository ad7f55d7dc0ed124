"""Mailings under attack and accident: odd spellings, two runs at once, full and read-only disks.

Each test is a way a careless or hostile user once got a letter mailed twice, misplaced,
or a traceback; the promise checked is always the same: every letter exactly once, and a
clear ``error:`` line when a run cannot go on.
"""

from __future__ import annotations

import errno
import json
import os
import re
import sqlite3
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from click.testing import CliRunner

import letters.write
from letters.cli import cli
from letters.errors import LedgerBusy, OutputError
from letters.mail import mail, status
from tests.conftest import AS_OF, edit, options


def _pieces(ledger: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(ledger) as db:
        return list(db.execute("SELECT campaign, vin FROM pieces WHERE remail = ''"))


def _eligible(records: tuple[Path, Path], ledger: Path, phase: int = 1) -> int:
    return next(r["eligible"] for r in status("23LJ01", ledger, *records, AS_OF) if r["phase"] == phase)


@pytest.mark.parametrize("spelling", ["23LJ01/", "./23LJ01", "templates/23LJ01/", "23lj01", " 23LJ01 "])
def test_a_code_spelled_otherwise_mails_nothing_twice(records: tuple[Path, Path], tmp_path: Path,
                                                      spelling: str) -> None:  # fmt: skip
    first = mail("23LJ01", options(tmp_path, records))
    assert first.runs
    again = mail(spelling, options(tmp_path, records))
    assert again.runs == [] and "nothing new to mail" in again.notes[0]
    rows = _pieces(tmp_path / "ledger.sqlite")
    assert {c for c, _ in rows} == {"23LJ01"}
    assert len(rows) == len({v for _, v in rows}) == _eligible(records, tmp_path / "ledger.sqlite")


def test_cli_takes_a_path_spelling_and_refuses_a_bad_code(records: tuple[Path, Path], tmp_path: Path) -> None:
    runner = CliRunner()
    args = ["--ledger", str(tmp_path / "l.sqlite"), "--create-ledger", "--vehicles", str(records[0]), "--owners",
            str(records[1]), "--as-of", AS_OF.isoformat(), "--json"]  # fmt: skip
    result = runner.invoke(cli, ["status", "./23LJ01/", *args])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)[0]["phase"] == 1
    result = runner.invoke(cli, ["status", "../etc", *args])
    assert result.exit_code == 1 and "error: '../etc' is not a campaign code" in result.stderr
    result = runner.invoke(cli, ["status", "../24Z999", *args])
    assert result.exit_code == 1 and "error: no campaign '../24Z999'" in result.stderr
    result = runner.invoke(cli, ["status", "23 LJ01", *args])
    assert result.exit_code == 1 and "is not a campaign code" in result.stderr


def _hold_lock(ledger: Path) -> subprocess.Popen[str]:
    code = (
        "import sys, time; from pathlib import Path; from letters.ledger import RunLock; "
        f"lock = RunLock(Path({str(ledger)!r})); print('locked', flush=True); time.sleep(60)"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    return proc


def test_a_second_run_is_refused_naming_the_first(records: tuple[Path, Path], tmp_path: Path) -> None:
    ledger = (tmp_path / "ledger.sqlite").resolve()
    holder = _hold_lock(ledger)
    try:
        with pytest.raises(LedgerBusy) as err:
            mail("23LJ01", options(tmp_path, records))
        assert f"pid {holder.pid}" in err.value.message and str(ledger) in err.value.message
        result = CliRunner().invoke(cli, ["mail", "23LJ01", "--phase", "1", "--ledger", str(ledger), "--quiet",
                                          "--vehicles", str(records[0]), "--owners", str(records[1])])  # fmt: skip
        assert result.exit_code == 75 and result.stderr.startswith("error: another letters run")
        assert not ledger.exists()  # refused before touching the ledger
    finally:
        holder.kill()
        holder.wait()
    # The holder died without a word: its lock is gone with it, and the next run takes over.
    assert mail("23LJ01", options(tmp_path, records)).runs


def test_two_runs_at_once_mail_each_letter_once(records: tuple[Path, Path], tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.sqlite"
    cmd = [sys.executable, "-m", "letters", "mail", "23LJ01", "--phase", "1", "--vehicles", str(records[0]),
           "--owners", str(records[1]), "--as-of", AS_OF.isoformat(), "--batch-size", "5", "--workers", "1",
           "--ledger", str(ledger), "-o", str(tmp_path / "out"), "--quiet"]  # fmt: skip
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [(p.wait(), *p.communicate()) for p in procs]
    assert sorted(code for code, _, _ in results) in ([0, 0], [0, 75]), results
    assert not any("Traceback" in err for _, _, err in results)
    rows = _pieces(ledger)
    assert Counter(v for _, v in rows).most_common(1)[0][1] == 1
    assert len(rows) == _eligible(records, ledger)
    manifests = list((tmp_path / "out").rglob("manifest.csv"))
    assert sum(len(m.read_text().splitlines()) - 1 for m in manifests) == len(rows)


class _FailingOs(ModuleType):
    """``os`` as ``letters.write`` sees it, with fsync failing for files ``when`` picks."""

    def __init__(self, error: int, when: Callable[[str], bool]) -> None:
        super().__init__("os")
        self.error, self.when, self.failures = error, when, 0

    def __getattr__(self, name: str) -> Any:
        return getattr(os, name)

    def fsync(self, fd: int) -> None:
        path = os.readlink(f"/proc/self/fd/{fd}")
        if self.when(path):
            self.failures += 1
            raise OSError(self.error, os.strerror(self.error))
        os.fsync(fd)


def test_full_disk_stops_with_an_error_and_the_next_run_finishes(
    records: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    failing = _FailingOs(errno.ENOSPC, lambda path: "batch-0003" in path)
    monkeypatch.setattr(letters.write, "os", failing)
    args = ["mail", "23LJ01", "--phase", "1", "--vehicles", str(records[0]), "--owners", str(records[1]),
            "--as-of", AS_OF.isoformat(), "--batch-size", "5", "--workers", "1", "--ledger",
            str(tmp_path / "ledger.sqlite"), "-o", str(tmp_path / "out"), "--quiet"]  # fmt: skip
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1 and failing.failures == 1
    assert "error: cannot write" in result.stderr and "No space left on device (errno 28)" in result.stderr
    assert "run 'letters mail 23LJ01 --phase 1'" in result.stderr and "Traceback" not in result.output
    (folder,) = (tmp_path / "out" / "23LJ01" / "phase-1").iterdir()
    assert not list(folder.glob(".*.tmp")) and not (folder / "batch-0003.pdf").exists()
    monkeypatch.setattr(letters.write, "os", os)  # the disk has room again
    result = CliRunner().invoke(cli, [*args, "--json"])
    assert result.exit_code == 0, result.output
    (run,) = json.loads(result.stdout)["runs"]
    assert run["resumed"] and run["folder"] == str(folder)
    rows = _pieces(tmp_path / "ledger.sqlite")
    assert run["letters"] == len(rows) == len({v for _, v in rows}) == _eligible(records, tmp_path / "ledger.sqlite")


def test_read_only_output_plans_nothing_and_another_folder_works(
    records: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    readonly = tmp_path / "readonly"
    monkeypatch.setattr(letters.write, "os", _FailingOs(errno.EROFS, lambda path: str(readonly) in path))
    with pytest.raises(OutputError, match=r"Read-only file system \(errno 30\)"):
        mail("23LJ01", options(tmp_path, records, out_dir=readonly))
    assert _pieces(tmp_path / "ledger.sqlite") == []  # nothing reserved, so nothing blocks the next run
    report = mail("23LJ01", options(tmp_path, records, out_dir=tmp_path / "writable"))
    assert [r.folder.parent.parent.parent for r in report.runs] == [(tmp_path / "writable").resolve()]


def test_resume_from_another_directory_finishes_in_the_first(
    records: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import letters.mail.execute

    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir(), second.mkdir()
    real = letters.mail.execute.render_batch
    calls = Counter[str]()

    def stop_at_second_batch(job: Any, kind: str = "full") -> Any:
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return real(job, kind)

    monkeypatch.setattr(letters.mail.execute, "render_batch", stop_at_second_batch)
    monkeypatch.chdir(first)
    with pytest.raises(letters.mail.execute.Interrupted):
        mail("23LJ01", options(tmp_path, records, out_dir=Path("out"), batch_size=5))
    monkeypatch.setattr(letters.mail.execute, "render_batch", real)
    monkeypatch.chdir(second)
    report = mail("23LJ01", options(tmp_path, records, out_dir=Path("out"), batch_size=5))
    (run,) = report.runs
    assert run.resumed and run.folder.is_relative_to(first / "out")
    listed = {line.split(",")[3] for line in (run.folder / "manifest.csv").read_text().splitlines()[1:]}
    assert listed and all((run.folder / name).is_file() for name in listed)
    assert not (second / "out").exists()


def test_run_folder_is_stored_resolved(records: tuple[Path, Path], tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.chdir(tmp_path)
    mail("23LJ01", options(tmp_path, records, out_dir=Path("out")))
    with sqlite3.connect(tmp_path / "ledger.sqlite") as db:
        (folder,) = next(iter(db.execute("SELECT folder FROM runs")))
    assert Path(folder).is_absolute() and Path(folder).is_relative_to(tmp_path.resolve())


def test_lock_is_not_left_by_a_finished_run(records: tuple[Path, Path], tmp_path: Path) -> None:
    mail("23LJ01", options(tmp_path, records))
    assert mail("23LJ01", options(tmp_path, records)).runs == []  # not refused: the first let go


def test_refused_template_resource_is_reported_by_mail(project: Path, records: tuple[Path, Path],
                                                       tmp_path: Path) -> None:  # fmt: skip
    edit(project / "templates" / "23LJ01" / "owner-letter.html", "{% block letter %}",
         '{% block letter %}<img src="file:///etc/hostname">')  # fmt: skip
    args = ["mail", "23LJ01", "--phase", "1", "--vehicles", str(records[0]), "--owners", str(records[1]),
            "--as-of", AS_OF.isoformat(), "--workers", "1", "--json", "--draft"]  # fmt: skip
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert any("refused resource file:///etc/hostname" in note for note in data["notes"])
    (run,) = data["runs"]
    assert run["warnings"] == [w.removeprefix("warning: ") for w in data["notes"] if w.startswith("warning:")]
    assert json.loads((Path(run["folder"]) / "job.json").read_text())["warnings"] == run["warnings"]


def test_template_failing_at_run_time_reserves_nothing(project: Path, records: tuple[Path, Path],
                                                       tmp_path: Path) -> None:  # fmt: skip
    edit(project / "templates" / "23LJ01" / "owner-letter.html", "{% block letter %}",
         "{% block letter %}{{ [1].index(2) }}")  # fmt: skip
    result = CliRunner().invoke(cli, ["mail", "23LJ01", "--phase", "1", "--vehicles", str(records[0]), "--owners",
                                      str(records[1]), "--as-of", AS_OF.isoformat(), "--workers", "1",
                                      "--draft"])  # fmt: skip
    assert result.exit_code == 1 and re.search(r"error: .*owner-letter\.html, line \d+: ValueError", result.stderr)
    assert _pieces(project / "output" / "ledger.sqlite") == []
