"""Declared vehicle columns through the records stage, check, mail and the letters' templates."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pdfplumber
from click.testing import CliRunner

from letters import vin as vins
from letters.campaign import load_campaign
from letters.cli import cli
from letters.mail import MailOptions, mail
from letters.records import reconcile
from tests.conftest import approve_as_is, edit, write_csv

COLUMNS = """
[vehicles.columns.trim]
type = "enum"
values = ["Base", "Sport"]
aliases = ["Trim Level"]

[vehicles.columns.odometer]
type = "integer"

[vehicles.columns.fleet]
type = "boolean"

[vehicles.columns.dealer]
type = "text"

[vehicles.columns.in_service]"""
HEADER = ["VIN", "Model", "Model Year", "Production Date", "Location", "In-Service Date", "Trim Level", "Odometer",
          "Fleet", "Dealer", "Colour"]  # fmt: skip


def corvo(year: int, serial: int) -> str:
    return vins.with_check_digit(f"1TSCV4T20{vins.year_code(year)}F{100000 + serial:06d}")


ROWS = [
    [corvo(2020, 1), "Corvo", "2020", "2020-01-20", "Fairhaven", "2020-02-29", "sport", "41,200", "no", "D 12", "red"],
    [corvo(2019, 2), "Corvo", "2019", "2018-10-01", "Fairhaven", "2019-01-15", "", "", "", "", "blue"],
    [corvo(2019, 3), "Corvo", "2019", "2018-10-01", "Fairhaven", "2019-02-30", "Luxe", "12.5", "maybe", "", "red"],
    [corvo(2019, 4), "Corvo", "2019", "2018-10-01", "Fairhaven", "", "Base", "10", "yes", "", "red"],
]


def files(folder: Path, rows: list[list[str]] = ROWS) -> tuple[Path, Path]:
    vehicles = write_csv(folder / "vehicles.csv", HEADER, rows)
    owners = write_csv(folder / "owners.csv", ["VIN", "Name", "Address", "City", "State", "ZIP"],
                       [[r[0], f"OWNER {i}", f"{10 + i} ELM ST", "LANSING", "MI", "48933"]
                        for i, r in enumerate(rows)])  # fmt: skip
    return vehicles, owners


def test_declared_columns_are_typed_validated_and_reach_the_letters(project: Path, tmp_path: Path) -> None:
    edit(project / "templates" / "25X09" / "campaign.toml", "\n[vehicles.columns.in_service]", COLUMNS)
    edit(project / "templates" / "25X09" / "owner-letter.html", "<h3>{{ _(\"What should you do?\") }}</h3>",
         '{% if letter.model_year == 2020 %}<p>A 2020 MODEL.</p>{% endif %}'
         "<p>TRIM {{ letter.vehicle.trim or 'none' }}, ODO {{ letter.vehicle.odometer + 1 }}, "
         "FLEET {{ letter.vehicle.fleet }}, DEALER {{ letter.vehicle.dealer }}, "
         "BUILT {{ letter.vehicle.production_date|date }} IN {{ letter.vehicle.location }}.</p>"
         "<h3>{{ _(\"What should you do?\") }}</h3>")  # fmt: skip
    vehicles, owners = files(tmp_path)
    campaign = load_campaign("25X09", as_of=load_campaign("25X09").campaign.published).campaign
    rec = reconcile(campaign, vehicles, owners, campaign.published)
    reasons = {r.vin: r.reason for r in rec.reported if r.kind == "vehicle"}
    assert reasons == {
        ROWS[2][0]: "trim: 'Luxe' is not one of Base, Sport; odometer: '12.5' is not a whole number; fleet: 'maybe' "
                    "is not yes or no; in_service: '2019-02-30' is not a date (YYYY-MM-DD or M/D/YYYY)",
        ROWS[3][0]: "in_service: empty (a required column)",
    }  # fmt: skip
    values = {p.vehicle.vin: dict(p.vehicle.values) for p in rec.pieces}
    assert values[ROWS[0][0]]["trim"] == "Sport" and values[ROWS[0][0]]["odometer"] == 41200
    assert values[ROWS[0][0]]["fleet"] is False and values[ROWS[0][0]]["dealer"] == "D 12"
    assert values[ROWS[1][0]] == {**{k: None for k in ("trim", "odometer", "fleet", "dealer")},
                                  "in_service": values[ROWS[1][0]]["in_service"],
                                  "coverage_ends": values[ROWS[1][0]]["coverage_ends"]}  # fmt: skip
    assert rec.warnings == (f"{vehicles}: column 'Colour' is not one the campaign reads (declare it in "
                            "[vehicles.columns] to use it); ignored",)  # fmt: skip

    result = CliRunner().invoke(cli, ["check", "25X09", "--vehicles", str(vehicles), "--owners", str(owners),
                                      "--as-of", "2025-07-01"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "warning: " in result.stderr and "'Colour'" in result.stderr

    # Only the first row makes a letter the template can print (ODO of a None is refused), so mail it alone.
    vehicles, owners = files(tmp_path, ROWS[:1])
    options = MailOptions(phases=(1,), vehicles=vehicles, owners=owners, as_of=campaign.published, batch_size=5,
                          workers=1, ledger=tmp_path / "l.sqlite", out_dir=tmp_path / "out",
                          renderer="full")  # fmt: skip
    approve_as_is("25X09")  # the edited campaign, approved as it now is
    (run,) = mail("25X09", options).runs
    job = json.loads((run.folder / "job.json").read_text())
    assert any("'Colour'" in w for w in job["warnings"])
    with (run.folder / "manifest.csv").open() as handle:
        (row,) = list(csv.DictReader(handle))
    with pdfplumber.open(run.folder / row["file"]) as pdf:
        text = " ".join((pdf.pages[0].extract_text() or "").split())
    assert "A 2020 MODEL." in text
    assert "TRIM Sport, ODO 41201, FLEET False, DEALER D 12, BUILT January 20, 2020 IN Fairhaven." in text


def test_table_and_row_paths_agree_on_declared_values(project: Path, tmp_path: Path) -> None:
    edit(project / "templates" / "25X09" / "campaign.toml", "\n[vehicles.columns.in_service]", COLUMNS)
    campaign = load_campaign("25X09").campaign
    vehicles, owners = files(tmp_path)
    fast = reconcile(campaign, vehicles, owners, campaign.published)
    # A quoted line break sends the whole file to the exact, row-by-row reader.
    broken = [list(r) for r in ROWS]
    broken[1][9] = "D\n7"
    slow_v, slow_o = files(tmp_path / "x" if (tmp_path / "x").mkdir() is None else tmp_path, broken)
    slow = reconcile(campaign, slow_v, slow_o, campaign.published)

    def values(rec):  # type: ignore[no-untyped-def]
        return {p.vehicle.vin: {k: v for k, v in p.vehicle.values if k != "dealer"} for p in rec.pieces}

    assert values(fast) == values(slow) and len(values(fast)) == 2
    assert [r.reason for r in fast.reported] == [r.reason for r in slow.reported]
