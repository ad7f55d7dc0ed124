"""IMb serials: unique per Mailer ID across ledgers, reserved only with their pieces, never wrapped onto live ones."""

from __future__ import annotations

import json
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from letters.cli import cli
from letters.errors import LedgerError, OutputError, UsageError
from letters.ledger import Ledger
from letters.ledger.registry import Registry, ledger_key
from letters.mail import mail
from tests.conftest import AS_OF, approve_as_is, edit, options


def tracking(ledger: Path) -> list[str]:
    """Every piece's IMb tracking code, in the order the pieces were reserved."""
    with sqlite3.connect(ledger) as db:
        return [t for (t,) in db.execute("SELECT imb_tracking FROM pieces ORDER BY rowid")]


def serials(ledger: Path) -> list[int]:
    return [int(t[11:]) for t in tracking(ledger)]  # 6-digit Mailer ID: 9-digit serials after 2 + 3 + 6 digits


def blocks(registry: Path, mailer_id: str = "123456") -> list[tuple[int, int, str, str]]:
    with sqlite3.connect(registry / f"{mailer_id}.sqlite") as db:
        return list(db.execute("SELECT first, count, run_id, state FROM blocks ORDER BY id"))


def test_two_ledgers_on_one_mailer_id_never_print_the_same_tracking_code(
    records: tuple[Path, Path], tmp_path: Path
) -> None:
    one = mail("23LJ01", options(tmp_path / "a", records, phases=(1, 2)))
    two = mail("23LJ01", options(tmp_path / "b", records, phases=(1, 2)))  # another ledger, the same owners
    first, second = tracking(tmp_path / "a" / "ledger.sqlite"), tracking(tmp_path / "b" / "ledger.sqlite")
    assert len(first) == len(second) == sum(r.job["letters"] for r in one.runs) > 0
    assert not set(first) & set(second)
    assert len(set(first + second)) == len(first) + len(second)
    manifests = [
        row for r in [*one.runs, *two.runs] for row in (r.folder / "manifest.csv").read_text().splitlines()[1:]
    ]
    assert len({row.split(",")[12] for row in manifests}) == len(manifests)  # imb_tracking, as the vendor sees it


def test_a_refused_plan_gives_its_serials_back(
    records: tuple[Path, Path], tmp_path: Path, serial_registry: Path
) -> None:
    blocked = tmp_path / "blocked"
    blocked.mkdir()
    (blocked / "23LJ01").write_text("a file where the campaign's folder would go")
    with pytest.raises(OutputError, match="cannot create the folder"):
        mail("23LJ01", options(tmp_path, records, out_dir=blocked))
    assert blocks(serial_registry) == []  # handed out for the plan, given back when it was refused
    mail("23LJ01", options(tmp_path, records, out_dir=tmp_path / "out"))
    assert serials(tmp_path / "ledger.sqlite")[0] == 0


def test_a_killed_plans_serials_are_taken_back_by_its_ledger_only(
    records: tuple[Path, Path], tmp_path: Path, serial_registry: Path
) -> None:
    ledger = tmp_path / "ledger.sqlite"
    Ledger(ledger).close()
    # What a plan killed (kill -9) between taking its serials and reserving its pieces leaves: a block in
    # the registry for a run the ledger never recorded. One from another ledger is still in use there.
    registry = Registry("123456", 10**9, serial_registry)
    registry.reserve(50, "otherhost:/elsewhere/ledger.sqlite", "20240205T000000Z-p1-remedy-live", lambda run: True)
    registry.reserve(700, ledger_key(ledger), "20240205T000001Z-p1-remedy-dead", lambda run: False)
    registry.close()
    mail("23LJ01", options(tmp_path, records))
    got = serials(ledger)
    assert got == list(range(50, 50 + len(got)))  # the dead block's serials, reused; the live one kept
    assert [(f, c, state) for f, c, _, state in blocks(serial_registry)] == [(0, 50, "reserved"),
                                                                            (50, len(got), "used")]  # fmt: skip
    mail("23LJ01", options(tmp_path, records, phases=(2,)))
    assert serials(ledger)[len(got)] == 50 + len(got)  # nothing wasted between runs


def test_a_wrap_onto_live_serials_is_refused_with_the_count(project: Path, records: tuple[Path, Path],
                                                            serial_registry: Path) -> None:  # fmt: skip
    edit(project / "templates" / "23LJ01" / "campaign.toml", 'mailer_id = "123456"', 'mailer_id = "912345678"')
    approve_as_is("23LJ01")
    registry = Registry("912345678", 10**6, serial_registry)  # 9-digit Mailer ID: 6-digit serials
    registry.reserve(999_990, "otherhost:/elsewhere/ledger.sqlite", "other-run", lambda run: True)
    registry.close()
    ledger = project / "output" / "ledger.sqlite"
    args = ["mail", "23LJ01", "--phase", "1", "--vehicles", str(records[0]), "--owners", str(records[1]),
            "--as-of", AS_OF.isoformat(), "--workers", "1", "--quiet"]  # fmt: skip
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1, result.output
    said = (r"error: IMb serials of Mailer ID 912345678 would repeat within 45 days: 999,990 of its 1,000,000 "
            r"serials were handed out since \d{4}-\d\d-\d\d \(registry .*912345678.sqlite\), 10 are left and this run "
            r"needs \d+, so \d+ of its serials would wrap onto live ones")  # fmt: skip
    assert re.search(said, result.stderr), result.stderr
    assert "Traceback" not in result.output
    assert tracking(ledger) == []  # nothing reserved
    assert not (project / "output" / "23LJ01").exists()  # and no run folder left behind
    assert len(blocks(serial_registry, "912345678")) == 1


def test_serials_wrap_once_the_old_ones_are_45_days_old(project: Path, records: tuple[Path, Path],
                                                        serial_registry: Path) -> None:  # fmt: skip
    edit(project / "templates" / "23LJ01" / "campaign.toml", 'mailer_id = "123456"', 'mailer_id = "912345678"')
    approve_as_is("23LJ01")
    registry = Registry("912345678", 10**6, serial_registry)
    old = datetime.now(UTC) - timedelta(days=46)
    registry.reserve(999_990, "otherhost:/elsewhere/ledger.sqlite", "other-run", lambda run: True, now=old)
    registry.close()
    mail("23LJ01", options(project, records))
    codes = tracking(project / "ledger.sqlite")
    assert len(codes) > 10
    assert [int(t[14:]) for t in codes] == [(999_990 + i) % 10**6 for i in range(len(codes))]


def test_an_older_ledgers_counter_starts_the_registry(records: tuple[Path, Path], tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.sqlite"
    Ledger(ledger).close()
    with sqlite3.connect(ledger) as db:  # a ledger from before the registry had handed out 0-776
        db.execute("INSERT INTO imb_serials (mailer_id, next) VALUES ('123456', 777)")
    mail("23LJ01", options(tmp_path, records))
    assert serials(ledger)[0] == 777


def test_an_older_ledgers_recent_pieces_count_against_a_wrap(project: Path, records: tuple[Path, Path],
                                                             serial_registry: Path) -> None:  # fmt: skip
    edit(project / "templates" / "23LJ01" / "campaign.toml", 'mailer_id = "123456"', 'mailer_id = "912345678"')
    approve_as_is("23LJ01")
    ledger = project / "ledger.sqlite"
    (run,) = mail("23LJ01", options(project, records)).runs
    mailed = run.job["letters"]
    # Make it a ledger from before the registry: its own counter, and no registry.
    (serial_registry / "912345678.sqlite").unlink()
    with sqlite3.connect(ledger) as db:
        db.execute("INSERT INTO imb_serials (mailer_id, next) VALUES ('912345678', ?)", (mailed,))
    other = Registry("912345678", 10**6, serial_registry)  # meanwhile another ledger took all but 2 * mailed
    other.reserve(10**6 - 2 * mailed, "otherhost:/elsewhere/ledger.sqlite", "other-run", lambda run: True,
                  legacy=(mailed, 0))  # fmt: skip
    other.close()
    with pytest.raises(LedgerError, match=rf"{10**6 - mailed:,} of its 1,000,000 serials were handed out"):
        mail("23LJ01", options(project, records, phases=(2,)))  # would need more than the `mailed` left


def test_a_campaign_without_mailing_settings_leaves_no_run_folder(project: Path, records: tuple[Path, Path]) -> None:
    toml = project / "templates" / "23LJ01" / "campaign.toml"
    edit(toml, '[mailing]\nmailer_id = "123456"\nservice_type = "300"\nbarcode_id = "00"\ntest = true\n', "")
    with pytest.raises(UsageError, match=r"has no \[mailing\] settings"):
        mail("23LJ01", options(project, records, draft=True))
    assert not (project / "out").exists() or not any((project / "out").rglob("*"))


def test_mail_warns_of_a_test_mailer_id(records: tuple[Path, Path], tmp_path: Path) -> None:
    args = ["mail", "23LJ01", "--phase", "1", "--vehicles", str(records[0]), "--owners", str(records[1]),
            "--as-of", AS_OF.isoformat(), "--workers", "1", "--ledger", str(tmp_path / "ledger.sqlite"),
            "-o", str(tmp_path / "out"), "--json"]  # fmt: skip
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    warning = ("warning: Mailer ID 123456 is a test Mailer ID ([mailing] of campaign 23LJ01: test = true): USPS does "
               "not track these barcodes; set the mailer's own Mailer ID before a real mailing")  # fmt: skip
    assert warning in data["notes"]
    assert warning[len("warning: ") :] in data["runs"][0]["warnings"]


def test_registry_folder_follows_the_environment(serial_registry: Path) -> None:
    from letters.ledger.registry import registry_dir

    assert registry_dir() == serial_registry.resolve()
    with pytest.raises(LedgerError, match="cannot open the IMb serial registry"):
        (serial_registry / "a-file").write_text("not a folder")
        Registry("123456", 10**9, serial_registry / "a-file" / "serials")


def _dead_block(registry: Path, ledger: Path) -> bool:
    """True once the registry holds a block reserved for a run the ledger has not recorded: a plan under way."""
    try:
        with sqlite3.connect(f"file:{registry}?mode=ro", uri=True, timeout=0.05) as db:
            runs = [r for (r,) in db.execute("SELECT run_id FROM blocks WHERE state = 'reserved'")]
        if not runs or not ledger.exists():
            return bool(runs)
        with sqlite3.connect(f"file:{ledger}?mode=ro", uri=True, timeout=0.05) as db:
            return any(db.execute("SELECT 1 FROM runs WHERE run_id = ?", (r,)).fetchone() is None for r in runs)
    except sqlite3.Error:
        return False


def test_plans_killed_while_planning_waste_no_serials(tmp_path: Path, serial_registry: Path) -> None:
    """kill -9 real mailings between taking their serials and reserving their pieces; the next run reuses them."""
    from letters.campaign import load_campaign
    from letters.sample import generate

    files = generate(load_campaign("23LJ01").campaign, tmp_path / "records", 1500, seed=3)
    ledger, out = tmp_path / "ledger.sqlite", tmp_path / "out"
    cmd = [sys.executable, "-m", "letters", "mail", "23LJ01", "--phase", "1,2,3,4,5", "--vehicles", str(files.vehicles),
           "--owners", str(files.owners), "--as-of", AS_OF.isoformat(), "--workers", "1", "--ledger", str(ledger),
           "-o", str(out), "--quiet"]  # fmt: skip
    registry = serial_registry / "123456.sqlite"
    killed = 0
    for _ in range(6):
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < deadline:
            if _dead_block(registry, ledger):
                proc.send_signal(signal.SIGKILL)
                break
            time.sleep(0.002)
        proc.wait()
        if proc.returncode == -signal.SIGKILL:
            killed += 1
            if killed == 3:
                break
        else:  # it got past planning first: start again from nothing
            shutil.rmtree(out, ignore_errors=True)
            for path in (ledger, registry):
                for leftover in path.parent.glob(path.name + "*"):
                    leftover.unlink()
    assert killed >= 1, "no run was caught while planning"
    assert tracking(ledger) == [] if ledger.exists() else True  # the killed plans reserved no pieces
    final = subprocess.run(cmd, capture_output=True, text=True)
    assert final.returncode == 0, final.stderr
    got = serials(ledger)
    assert sorted(got) == list(range(len(got)))  # from 0, no gap: what the killed plans took came back
