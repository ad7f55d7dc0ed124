"""``sample-data --make-vin-list``: a campaign covered by a VIN list makes its list, then records for it."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from click.testing import CliRunner

from letters.cli import cli


def test_a_vin_list_campaign_without_a_list_makes_one_then_records(project: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["new", "24A99", "--kind", "safety-recall", "--from", "24A07"]).exit_code == 0
    folder = project / "templates" / "24A99"
    for listed in folder.glob("covered-vins*.csv"):
        listed.unlink()
    out = tmp_path / "lists"
    refused = runner.invoke(cli, ["sample-data", "24A99", "--vehicles", "60", "-o", str(out)])
    assert refused.exit_code != 0 and "does not exist" in refused.output
    made = runner.invoke(cli, ["sample-data", "24A99", "--vehicles", "60", "--seed", "3", "--make-vin-list",
                               "-o", str(out), "--json"])  # fmt: skip
    assert made.exit_code == 0, made.output
    data = json.loads(made.output)
    assert data["vin_list"] == str(folder / "covered-vins.csv") and data["vehicle_rows"] == 60
    with (folder / "covered-vins.csv").open() as handle:
        listed = list(csv.DictReader(handle))
    # In proportion to the models' volumes (28,900 Meridian, 12,300 Solace), each in the phase stating its volume.
    by_prefix = {(row["VIN"][:3], row["Phase"]) for row in listed}
    assert len(listed) == 60 and by_prefix == {("5AU", "1"), ("3AU", "2")}
    assert sum(row["VIN"].startswith("5AU") for row in listed) == 42
    check = runner.invoke(cli, ["check", "24A99", "--vehicles", data["vehicles"], "--owners", data["owners"],
                                "--as-of", "2024-06-01", "--json"])  # fmt: skip
    assert check.exit_code == 0, check.output
    report = json.loads(check.output)
    assert report["outcomes"]["not_covered"] == 0 and report["letters"] == 60
    again = runner.invoke(cli, ["sample-data", "24A99", "--vehicles", "5", "--make-vin-list", "-o", str(out)])
    assert again.exit_code != 0 and "already lists 60 VIN(s)" in again.output
    chart = runner.invoke(cli, ["sample-data", "23LJ01", "--vehicles", "5", "--make-vin-list", "-o", str(out)])
    assert chart.exit_code != 0 and "covered by its chart" in chart.output


def test_make_vin_list_draws_every_descriptor_of_a_model(project: Path, tmp_path: Path) -> None:
    """A model badged by two brands has a descriptor per WMI: the list holds VINs of both, not only the last's."""
    from tests.conftest import edit

    runner = CliRunner()
    assert runner.invoke(cli, ["new", "24A99", "--kind", "safety-recall", "--from", "24A07"]).exit_code == 0
    folder = project / "templates" / "24A99"
    for listed in folder.glob("covered-vins*.csv"):
        listed.unlink()
    toml = folder / "campaign.toml"
    edit(toml, 'wmis = ["5AU", "3AU"]', 'wmis = ["5AU", "3AU", "1AU"]')
    edit(toml, '[[vehicles.descriptors]]\nmodel = "Solace"',
         '[[vehicles.descriptors]]\nmodel = "Meridian"\nlocation = "Valdosta"\nwmi = "1AU"\nvds = "MS4B2"\n'
         'plant = "V"\n\n[[vehicles.descriptors]]\nmodel = "Solace"')  # fmt: skip
    made = runner.invoke(cli, ["sample-data", "24A99", "--vehicles", "60", "--seed", "3", "--make-vin-list",
                               "-o", str(tmp_path / "lists")])  # fmt: skip
    assert made.exit_code == 0, made.output
    with (folder / "covered-vins.csv").open() as handle:
        prefixes = [row["VIN"][:3] for row in csv.DictReader(handle)]
    assert prefixes.count("5AU") >= 10 and prefixes.count("1AU") >= 10 and prefixes.count("3AU") > 0, prefixes
