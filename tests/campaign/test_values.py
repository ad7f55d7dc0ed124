"""Declared vehicle columns and computed values: parsing, date arithmetic, the sandbox, campaign validation."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from letters.campaign import load_campaign
from letters.campaign.values import (
    Calculator,
    Column,
    Computed,
    ValueError_,
    add_days,
    add_months,
    add_years,
    earlier_of,
    excerpt,
    later_of,
    parse_value,
    years_between,
)
from letters.errors import ValidationError
from tests.conftest import edit


@pytest.mark.parametrize(("start", "years", "expected"), [
    (date(2020, 2, 29), 10, date(2030, 2, 28)),  # no 29 February in 2030: its last day
    (date(2020, 2, 29), 4, date(2024, 2, 29)),  # a leap year keeps it
    (date(2019, 3, 1), 1, date(2020, 3, 1)),
    (date(2021, 12, 31), -1, date(2020, 12, 31)),
])  # fmt: skip
def test_add_years_keeps_the_day_or_takes_the_months_last(start: date, years: int, expected: date) -> None:
    assert add_years(start, years) == expected


def test_add_months_days_later_earlier_and_years_between() -> None:
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2025, 11, 15), 3) == date(2026, 2, 15)
    assert add_months(date(2025, 3, 31), -1) == date(2025, 2, 28)
    assert add_days(date(2024, 2, 28), 1) == date(2024, 2, 29)
    assert later_of(date(2026, 6, 30), date(2026, 5, 2)) == date(2026, 6, 30)
    assert earlier_of(date(2026, 6, 30), date(2026, 5, 2), date(2027, 1, 1)) == date(2026, 5, 2)
    assert years_between(date(2020, 2, 29), date(2030, 2, 27)) == 9
    assert years_between(date(2020, 2, 29), date(2030, 2, 28)) == 10
    with pytest.raises(ValueError_, match="add_years needs a date, got 'None'"):
        add_years(None, 1)
    with pytest.raises(ValueError_, match="later_of needs a date"):
        later_of(date(2020, 1, 1), "2020-01-01")


@pytest.mark.parametrize(("column", "raw", "value", "problem"), [
    (Column(type="date"), "2019-02-28", date(2019, 2, 28), ""),
    (Column(type="date"), "2/29/2020", date(2020, 2, 29), ""),
    (Column(type="date"), "2019-02-29", None, "x: '2019-02-29' is not a date (YYYY-MM-DD or M/D/YYYY)"),
    (Column(type="integer"), "12,500", 12500, ""),
    (Column(type="integer"), "12.5", None, "x: '12.5' is not a whole number"),
    (Column(type="boolean"), "Yes", True, ""),
    (Column(type="boolean"), "maybe", None, "x: 'maybe' is not yes or no"),
    (Column(type="enum", values=["Base", "Sport"]), " sport ", "Sport", ""),
    (Column(type="enum", values=["Base", "Sport"]), "Luxe", None, "x: 'Luxe' is not one of Base, Sport"),
    (Column(type="text"), "  two   words ", "two words", ""),
    (Column(type="text"), "", None, ""),
    (Column(type="text", required=True), " ", None, "x: empty (a required column)"),
])  # fmt: skip
def test_cell_values_by_type(column: Column, raw: str, value: object, problem: str) -> None:
    assert parse_value("x", column, raw) == (value, problem)


def test_errors_quote_a_short_excerpt() -> None:
    assert excerpt("a" * 5000).startswith("'" + "a" * 40 + "'... (5000 characters)")
    _, problem = parse_value("x", Column(type="integer"), "9" * 30 + "z" * 3000)
    assert len(problem) < 120


def test_expressions_are_sandboxed_typed_and_ordered() -> None:
    computed = {
        "ends": Computed(type="date", expr="later_of(add_years(in_service, facts.years), facts.floor)"),
        "long": Computed(type="boolean", expr="years_between(in_service, ends) > facts.years"),
    }
    calc = Calculator(computed, {"years": 10, "floor": date(2026, 6, 30)})
    assert calc.values({"in_service": date(2016, 5, 2)}) == {"ends": date(2026, 6, 30), "long": False}
    assert calc.values({"in_service": date(2020, 2, 29)}) == {"ends": date(2030, 2, 28), "long": False}
    escape = Calculator({"x": Computed(type="text", expr="in_service.__class__.__mro__")}, {})
    with pytest.raises(ValueError_, match="x: not allowed in an expression"):
        escape.values({"in_service": date(2020, 1, 1)})
    wrong = Calculator({"x": Computed(type="date", expr="model_year + 1")}, {})
    with pytest.raises(ValueError_, match="x: the expression gives '2021', not a date"):
        wrong.values({"model_year": 2020})
    with pytest.raises(ValueError_, match="is undefined"):
        Calculator({"x": Computed(type="date", expr="open('/etc/passwd')")}, {}).values({})
    with pytest.raises(ValueError_, match=r"vehicles\.computed\.x\.expr"):
        Calculator({"x": Computed(type="date", expr="later_of(")}, {})


def test_a_campaign_with_bad_columns_or_expressions_lists_every_problem(project: Path) -> None:
    path = project / "templates" / "25X09" / "campaign.toml"
    edit(path, 'expr = "later_of(add_years(in_service, facts.coverage_years), facts.coverage_floor)"',
         'expr = "later_of(add_years(in_servce, facts.coverage_years), facts.coverage_floor)"')  # fmt: skip
    edit(path, "[vehicles.columns.in_service]", '[vehicles.columns.model_year]\ntype = "integer"\n\n'
         '[vehicles.columns.trim]\ntype = "enum"\n\n[vehicles.columns.in_service]')  # fmt: skip
    with pytest.raises(ValidationError) as caught:
        load_campaign("25X09")
    text = str(caught.value)
    assert "vehicles.columns.model_year: 'model_year' is a built-in vehicle field" in text
    assert "vehicles.columns.trim: an enum column lists its values" in text
    edit(path, '[vehicles.columns.model_year]\ntype = "integer"\n\n[vehicles.columns.trim]\ntype = "enum"\n\n', "")
    with pytest.raises(ValidationError, match=r"vehicles\.computed\.coverage_ends: 'in_servce' is undefined") as caught:
        load_campaign("25X09")
    assert len(str(caught.value)) < 1000  # the message, not the whole merged campaign


def test_brands_must_cover_every_wmi_once(project: Path) -> None:
    path = project / "templates" / "25X09" / "campaign.toml"
    edit(path, 'wmis = ["2VR"]', 'wmis = ["1TS"]')
    with pytest.raises(ValidationError) as caught:
        load_campaign("25X09")
    text = str(caught.value)
    assert "WMI 1TS (vehicles.wmis) belongs to 2 brands (tessaro, virel)" in text
    assert "WMI 2VR (vehicles.wmis) belongs to 0 brands (none)" in text


def test_history_precedes_the_original_and_languages_need_translations(project: Path) -> None:
    path = project / "templates" / "25X09" / "campaign.toml"
    edit(path, "date = 2021-03-15", "date = 2025-07-01")
    edit(path, 'languages = ["en"]', 'languages = ["en", "es"]')
    with pytest.raises(ValidationError) as caught:
        load_campaign("25X09")
    assert "history[0].date 2025-07-01 is not before the original publication 2025-06-16" in str(caught.value)
    assert "languages: 'es' has no [translations.es]" in str(caught.value)


def test_every_record_error_quotes_a_short_excerpt_of_its_value(tmp_path: Path) -> None:
    """A 5,000-character cell in any field of the vehicle, owner, repairs or VIN argument is quoted shortly."""
    import csv
    import json

    from click.testing import CliRunner

    from letters.cli import cli
    from tests.conftest import ROOT, write_csv

    long = "9" * 2500 + "Z" * 2500
    vehicle_rows = list(csv.reader((ROOT / "mailing_lists/24A07/24A07-vehicles.csv").open(encoding="utf-8")))
    owner_rows = list(csv.reader((ROOT / "mailing_lists/24A07/24A07-owners.csv").open(encoding="utf-8")))
    vehicles_out, owners_out = [vehicle_rows[0]], [owner_rows[0]]
    for field in range(len(vehicle_rows[0])):  # one row per field: only that cell is long
        vehicles_out.append([long if i == field else v for i, v in enumerate(vehicle_rows[1 + field])])
    by_vin = {row[0]: row for row in owner_rows[1:]}
    for n, vehicle in enumerate(vehicles_out[1:]):
        owner = by_vin.get(vehicle[0]) or by_vin[vehicle_rows[1 + n][0]]
        owners_out.append(owner)
    fields = range(1, len(owner_rows[0]))
    for field, row in zip(fields, owner_rows[100:], strict=False):
        owners_out.append([long if i == field else v for i, v in enumerate(row)])
        vehicles_out.append(next(v for v in vehicle_rows[1:] if v[0] == row[0]))
    vehicles = write_csv(tmp_path / "v.csv", vehicles_out[0], vehicles_out[1:])
    owners = write_csv(tmp_path / "o.csv", owners_out[0], owners_out[1:])
    rejects = tmp_path / "rejects.csv"
    runner = CliRunner()
    result = runner.invoke(cli, ["check", "24A07", "--vehicles", str(vehicles), "--owners", str(owners),
                                 "--as-of", "2024-03-20", "--rejects", str(rejects), "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    with rejects.open(encoding="utf-8") as handle:
        reasons = [row["reason"] for row in csv.DictReader(handle)]
    assert len([r for r in reasons if "(5000 characters)" in r]) >= 8, reasons
    assert all(len(reason) < 400 for reason in reasons), max(reasons, key=len)[:500]
    result = runner.invoke(cli, ["lookup", "24A07", long, "--json"])
    assert len(json.loads(result.stdout)[0]["reason"]) < 200
    repairs = write_csv(tmp_path / "r.csv", ["VIN", "Repair Date"], [[vehicle_rows[1][0], long]])
    result = runner.invoke(cli, ["status", "24A07", "--vehicles", str(vehicles), "--owners", str(owners),
                                 "--completed", str(repairs), "--ledger", str(tmp_path / "l.sqlite"),
                                 "--create-ledger"])  # fmt: skip
    assert long not in result.output and "(5000 characters)" in result.output, result.output[:2000]
