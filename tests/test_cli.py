"""The command line as campaign staff use it: exit codes, messages, JSON, help, README."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from letters.cli import cli

ROOT = Path(__file__).resolve().parent.parent


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def commands() -> list[str]:
    return sorted(cli.commands)


@pytest.mark.parametrize("command", commands())
def test_every_command_has_help(command: str) -> None:
    code, out, _ = invoke(command, "--help")
    assert code == 0 and "Usage:" in out


@pytest.mark.parametrize("command", commands())
def test_readme_documents_every_command(command: str) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"letters {command}" in readme


def test_readme_documents_every_option() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [
        f"{name} {opt}"
        for name, command in cli.commands.items()
        for param in command.params
        for opt in param.opts
        if opt.startswith("--") and opt != "--help" and opt not in readme
    ]
    assert missing == []


def test_invalid_vin_is_one_line_and_no_traceback() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "letters", "lookup", "23LJ01", "JTJGKCEZ0PJ10000I"], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0
    assert "Traceback" not in proc.stderr and "I, O and Q" in proc.stderr


def test_lookup_covered_vin_json() -> None:
    vin = (ROOT / "mailing_lists/23LJ01/23LJ01-vehicles.csv").read_text().splitlines()[1].split(",")[0]
    code, out, _ = invoke("lookup", "23LJ01", vin, "--json", "--as-of", "2023-06-15")
    assert code == 0
    (result,) = json.loads(out)
    assert result["vin"] == vin and result["covered"] is True
    assert set(result) >= {
        "model",
        "production_month",
        "phase",
        "remedy_available",
        "estimated_announcement",
        "owner_letter_mailing",
    }


def test_check_json_outcomes_sum_to_records_read(tmp_path: Path) -> None:
    rejects = tmp_path / "rejects.csv"
    code, out, _ = invoke("check", "23LJ01", "--json", "--rejects", str(rejects))
    assert code == 0
    data = json.loads(out)
    assert sum(data["outcomes"].values()) == data["records_read"] > 0
    lines = rejects.read_text().splitlines()
    assert lines[0] == "source_file,line,record,vin,outcome,reason"


def test_check_on_errors_exits_zero_and_reports_each(tmp_path: Path) -> None:
    code, _, _ = invoke(
        "sample-data", "23LJ01", "--vehicles", "500", "--seed", "3", "--with-errors", "-o", str(tmp_path)
    )
    assert code == 0
    rejects = tmp_path / "rejects.csv"
    code, out, _ = invoke(
        "check",
        "23LJ01",
        "--vehicles",
        str(tmp_path / "23LJ01-vehicles.csv"),
        "--owners",
        str(tmp_path / "23LJ01-owners.csv"),
        "--json",
        "--rejects",
        str(rejects),
    )
    assert code == 0
    data = json.loads(out)
    mailed = sum(
        v
        for k, v in data["outcomes"].items()
        if k.startswith(("mailable", "pending")) or k in ("addressee", "co_owner")
    )
    assert len(rejects.read_text().splitlines()) - 1 == data["records_read"] - mailed


def test_unreadable_input_exits_nonzero(tmp_path: Path) -> None:
    bad = tmp_path / "v.csv"
    bad.write_bytes(b"VIN,Model,Model Year,Production Date,Location\n\xff\n")
    code, _, err = invoke("check", "23LJ01", "--vehicles", str(bad), "--owners", str(bad))
    assert code == 2 and "line 2: not UTF-8" in err


def test_sample_data_is_reproducible(tmp_path: Path) -> None:
    for name in ("a", "b"):
        invoke("sample-data", "23LJ01", "--vehicles", "200", "--seed", "9", "-o", str(tmp_path / name))
    for kind in ("vehicles", "owners"):
        a = (tmp_path / "a" / f"23LJ01-{kind}.csv").read_bytes()
        assert a == (tmp_path / "b" / f"23LJ01-{kind}.csv").read_bytes()


def test_bundled_list_is_what_the_readme_says(tmp_path: Path) -> None:
    """mailing_lists/23LJ01 is exactly `letters sample-data 23LJ01 --vehicles 3000 --seed 23`."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "`mailing_lists/23LJ01/` holds 3,000 vehicles made with `--seed 23`" in readme
    invoke("sample-data", "23LJ01", "--vehicles", "3000", "--seed", "23", "-o", str(tmp_path))
    for kind in ("vehicles", "owners"):
        bundled = ROOT / "mailing_lists" / "23LJ01" / f"23LJ01-{kind}.csv"
        assert (tmp_path / f"23LJ01-{kind}.csv").read_bytes() == bundled.read_bytes()


def test_sample_data_has_what_staff_meet(tmp_path: Path) -> None:
    invoke("sample-data", "23LJ01", "--vehicles", "3000", "--seed", "4", "-o", str(tmp_path))
    owners = (tmp_path / "23LJ01-owners.csv").read_text(encoding="utf-8")
    assert ",PR," in owners and ",URB " in owners
    assert re.search(r"[áéíóúñ]", owners) and "'" in owners
    assert re.search(r"(Apt|Suite)\.? \d+", owners)
    assert re.search(r",Y\r?$", owners, re.M)


def test_disclosure_form_vin_prefill(tmp_path: Path) -> None:
    vin, model, year = (ROOT / "mailing_lists/23LJ01/23LJ01-vehicles.csv").read_text().splitlines()[1].split(",")[:3]
    target = tmp_path / "form.pdf"
    code, _, err = invoke("render", "23LJ01", "disclosure-form", "--vin", vin.lower(), "-o", str(target))
    assert code == 0, err
    fields = PdfReader(target).get_fields() or {}
    assert {k: fields[k].get("/V") for k in ("vin", "program_code", "model", "model_year")} == {
        "vin": vin,
        "program_code": "23LJ01",
        "model": model,
        "model_year": year,
    }


def test_notice_command_writes_pdf(tmp_path: Path) -> None:
    target = tmp_path / "n.pdf"
    code, out, _ = invoke("notice", "23LJ01", "-o", str(target), "--json")
    assert code == 0
    data = json.loads(out)
    assert data["path"] == str(target) and sum(data["pages"].values()) == len(PdfReader(target).pages)


def test_unknown_document_is_refused() -> None:
    code, _, err = invoke("render", "23LJ01", "brochure")
    assert code == 2 and "brochure" in err
