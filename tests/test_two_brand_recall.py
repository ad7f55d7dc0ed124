"""A safety recall of one model sold under two brands, authored as docs/campaigns.md says.

`letters new` with the safety-recall scaffold, one model built at one plant but badged by two
brands (a descriptor per WMI), `sample-data`, then each brand's owner letter.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pdfplumber
from click.testing import CliRunner

from letters.cli import cli
from tests.conftest import edit

BRANDS = """
[[brands]]
name = "kestrel"
display = "Kestrel"
office = "Kestrel Owner Relations"
street = "1 Kestrel Way"
city = "Plano"
state = "TX"
zip = "75024"
phone = "1-800-555-0111"
signature = "Kestrel Owner Relations"
wmis = ["1AA"]

[[brands]]
name = "zabra"
display = "Zabra"
office = "Zabra Customer Care"
street = "90 Zebra Plaza"
city = "Dayton"
state = "OH"
zip = "45402"
phone = "1-888-555-0222"
signature = "Zabra Customer Care\\nA brand of Kestrel Group"
wmis = ["3ZB"]
"""


def _two_brand_recall(project: Path) -> Path:
    """26S01: the scaffold's safety recall, its one model badged Kestrel (1AA) and Zabra (3ZB)."""
    result = CliRunner().invoke(cli, ["new", "26S01", "--kind", "safety-recall", "--json"])
    assert result.exit_code == 0, result.output
    folder = Path(json.loads(result.stdout)["folder"])
    toml = folder / "campaign.toml"
    edit(toml, 'wmis = ["1AA"]', 'wmis = ["1AA", "3ZB"]')
    text = re.sub(r"(?m)^published = .*$", "published = 2024-01-15", toml.read_text(encoding="utf-8"))
    toml.write_text(re.sub(r'(?m)^estimate = ".*"$', 'estimate = "2024-06"\nannounced = 2024-06-01', text))
    edit(toml, 'plant = "A"\n', 'plant = "A"\n\n[[vehicles.descriptors]]\nmodel = "TODO"\nlocation = "Plant"\n'
         'wmi = "3ZB"\nvds = "AAAAA"\nplant = "A"\n' + BRANDS)  # fmt: skip
    return folder


def test_sample_data_draws_every_descriptor_of_a_model(project: Path, tmp_path: Path) -> None:
    """Two descriptors of one model and plant (one per brand): the sample has VINs of both, not only the last's."""
    _two_brand_recall(project)
    out = tmp_path / "lists"
    result = CliRunner().invoke(cli, ["sample-data", "26S01", "--vehicles", "60", "--seed", "3", "-o", str(out)])
    assert result.exit_code == 0, result.output
    with (out / "26S01-vehicles.csv").open(encoding="utf-8") as handle:
        wmis = [row["VIN"][:3] for row in csv.DictReader(handle)]
    assert len(wmis) == 60
    assert wmis.count("1AA") >= 10 and wmis.count("3ZB") >= 10, wmis


def test_recall_closing_signs_with_the_owners_brand(project: Path, tmp_path: Path) -> None:
    """The shared recall closing signs each owner's letter with its brand's signature, not the distributor's."""
    _two_brand_recall(project)
    out = tmp_path / "lists"
    runner = CliRunner()
    result = runner.invoke(cli, ["sample-data", "26S01", "--vehicles", "40", "--seed", "3", "-o", str(out)])
    assert result.exit_code == 0, result.output
    with (out / "26S01-vehicles.csv").open(encoding="utf-8") as handle:
        vins = {row["VIN"][:3]: row["VIN"] for row in csv.DictReader(handle)}
    signed = {"1AA": ("KESTREL OWNER RELATIONS", "Dear Kestrel Owner"),
              "3ZB": ("ZABRA CUSTOMER CARE\nA BRAND OF KESTREL GROUP", "Dear Zabra Owner")}  # fmt: skip
    for wmi, (signature, greeting) in signed.items():
        target = tmp_path / f"{wmi}.pdf"
        args = ["render", "26S01", "owner-letter", "--vin", vins[wmi], "--as-of", "2024-07-01", "-o", str(target),
                "--vehicles", str(out / "26S01-vehicles.csv"), "--owners", str(out / "26S01-owners.csv"),
                "--ledger", str(tmp_path / "l.sqlite")]  # fmt: skip
        result = runner.invoke(cli, args)
        assert result.exit_code == 0, result.output
        with pdfplumber.open(target) as pdf:
            text = "\n".join(page.extract_text() or "" for page in pdf.pages)
        assert f"Sincerely,\n{signature}" in text, text
        assert greeting in text
        assert "TODO DISTRIBUTOR" not in text
