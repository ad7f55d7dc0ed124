"""A stage's own code and a phase's own NHTSA recall number: on letters, piece IDs, job ticket, lookup, check."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pdfplumber
import pikepdf
from click.testing import CliRunner

from letters.campaign import load_campaign
from letters.cli import cli
from letters.mail import MailOptions, mail
from letters.sample import generate
from tests.conftest import approve_as_is, edit


def test_interim_code_and_second_recall_number(project: Path, tmp_path: Path) -> None:
    path = project / "templates" / "24A07" / "campaign.toml"
    edit(
        path,
        'name = "interim"\nwhen = "remedy-unavailable"',
        'name = "interim"\nwhen = "remedy-unavailable"\ncode = "24A07I"',
    )
    edit(path, 'number = 2\nestimate = "2024-05"', 'number = 2\nestimate = "2024-05"\nnhtsa_number = "24V-402"')
    approve_as_is("24A07")  # the edited campaign, approved as it now is
    campaign = load_campaign("24A07", as_of=date(2024, 3, 1)).campaign
    files = generate(campaign, tmp_path / "lists", 40, seed=5)
    options = MailOptions(phases=(1, 2), vehicles=files.vehicles, owners=files.owners, as_of=date(2024, 3, 1),
                          batch_size=50, workers=1, ledger=tmp_path / "l.sqlite", out_dir=tmp_path / "out",
                          renderer="full", proof=True)  # fmt: skip
    runs = {r.job["phase"]: r for r in mail("24A07", options).runs}
    for phase, number in ((1, "24V-317"), (2, "24V-402")):
        run = runs[phase]
        assert run.job["stage"] == "interim" and run.job["code"] == "24A07I" and run.job["nhtsa_number"] == number
        manifest = (run.folder / "manifest.csv").read_text().splitlines()[1:]
        assert manifest and all(line.startswith(f"24A07I-{phase}-") for line in manifest)
        with pdfplumber.open(run.folder / "batch-0001.pdf") as pdf:
            text = " ".join((pdf.pages[0].extract_text() or "").split())
        assert f"Aurelia Recall 24A07I / NHTSA Recall {number}" in text
        with pikepdf.open(run.folder / "batch-0001.pdf") as pdf:
            assert str(pdf.docinfo["/Code"]) == "24A07I"
    runner = CliRunner()
    vin = next(line.split(",")[1] for line in (runs[2].folder / "manifest.csv").read_text().splitlines()[1:])
    looked = runner.invoke(cli, ["lookup", "24A07", vin, "--vehicles", str(files.vehicles), "--as-of", "2024-03-01",
                                 "--json"])  # fmt: skip
    assert looked.exit_code == 0, looked.output
    assert json.loads(looked.output)[0]["nhtsa_number"] == "24V-402"
    plain = runner.invoke(cli, ["lookup", "24A07", vin, "--vehicles", str(files.vehicles), "--as-of", "2024-03-01"])
    assert "phase 2 (NHTSA 24V-402)" in plain.output
    checked = runner.invoke(cli, ["check", "24A07", "--vehicles", str(files.vehicles), "--owners", str(files.owners),
                                  "--as-of", "2024-03-01", "--json"])  # fmt: skip
    assert [p["nhtsa_number"] for p in json.loads(checked.output)["phases"]] == ["24V-317", "24V-402"]
