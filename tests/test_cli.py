"""The command line as campaign staff use it: exit codes, messages, JSON, help, README."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import click
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
    # One section per command (a merge once left a second `letters mail` heading mid-sentence).
    headings = [line for line in readme.splitlines() if line.startswith(f"### `letters {command} ")]
    assert len(headings) <= 1, headings


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


def test_readme_and_guide_say_how_to_work_on_a_scratch_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``LETTERS_HOME`` is documented, and the README's recipe works: the scratch copy is used, the checkout is not."""
    import shutil

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    guide = (ROOT / "docs" / "campaigns.md").read_text(encoding="utf-8")
    recipe = "cp -r templates mailing_lists locales /tmp/scratch/"
    assert "`LETTERS_HOME`" in readme and recipe in readme and "`LETTERS_HOME`" in guide and recipe in guide
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    for folder in recipe.split()[2:-1]:
        shutil.copytree(ROOT / folder, scratch / folder)
    monkeypatch.setenv("LETTERS_HOME", str(scratch))
    code, out, err = invoke("new", "ZZ901", "--kind", "service-campaign")
    assert code == 0, err
    assert (scratch / "templates" / "ZZ901" / "campaign.toml").is_file()
    assert not (ROOT / "templates" / "ZZ901").exists()
    code, out, _ = invoke("campaigns", "--json")
    assert code == 0 and "ZZ901" in [c["code"] for c in json.loads(out)]
    code, out, err = invoke("notice", "23LJ01")
    assert code == 0, err
    assert "`LETTERS_HOME=/tmp/scratch letters notice 23LJ01` writes `/tmp/scratch/output/23LJ01-notice.pdf`" in readme
    assert len(PdfReader(scratch / "output" / "23LJ01-notice.pdf").pages) > 1


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


README = (ROOT / "README.md").read_text(encoding="utf-8")


def _readme_invocations() -> list[tuple[str, list[str]]]:
    """Each ``letters ...`` the README shows (code spans and shell blocks): (command, its options)."""
    found = []
    spans = re.findall(r"`(letters [^`]+)`", README)
    spans += [line.split("letters ", 1)[1] for line in re.findall(r"^.*\bletters [a-z].*$", README, re.M)
              if line.startswith(("apt-get", "pip", "letters", "python"))]  # fmt: skip
    for span in spans:
        words = span.removeprefix("letters ").split("&&")[0].split()
        command, rest = words[0], words[1:]
        group = isinstance(cli.commands.get(command), click.Group) and rest
        options = [o for w in rest[1:] if group for o in re.findall(r"--[a-z][a-z0-9-]*", w)] or [
            o for w in rest for o in re.findall(r"--[a-z][a-z0-9-]*", w)
        ]
        names = [f"{command} {sub}" for sub in rest[0].split("|")] if group else [command]
        found += [(name, options) for name in names]
    return found


def _command(path: str) -> click.Command | None:
    group: click.Command = cli
    for name in path.split():
        if not isinstance(group, click.Group) or name not in group.commands:
            return None
        group = group.commands[name]
    return group


def test_readme_names_only_commands_and_options_that_exist() -> None:
    invocations = _readme_invocations()
    assert len(invocations) > 20  # the parser sees the README's commands at all
    wrong = []
    for path, options in invocations:
        command = _command(path)
        if command is None:
            wrong.append(f"letters {path}: no such command")
            continue
        known = {opt for param in command.params for opt in param.opts}
        wrong += [f"letters {path} {opt}: no such option" for opt in options if opt not in known]
    assert wrong == []


@pytest.fixture(scope="module")
def mailed_ledger(records: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A small Phase 1 mailing, so remail and status have something to work on."""
    tmp = tmp_path_factory.mktemp("cli-mail")
    paths = {"vehicles": str(records[0]), "owners": str(records[1]), "ledger": str(tmp / "ledger.sqlite"),
             "out": str(tmp / "out"), "tmp": str(tmp)}  # fmt: skip
    code, out, err = invoke("mail", "23LJ01", "--phase", "1", "--vehicles", paths["vehicles"], "--owners",
                            paths["owners"], "--as-of", "2024-02-05", "--ledger", paths["ledger"], "-o", paths["out"],
                            "--workers", "1", "--quiet", "--json")  # fmt: skip
    assert code == 0, err
    paths["vin"] = json.loads(out)["runs"][0]["folder"]
    with (Path(paths["vin"]) / "manifest.csv").open() as handle:
        paths["vin"] = handle.read().splitlines()[1].split(",")[1]
    return paths


def _json_and_error_runs(p: dict[str, str], project: Path) -> dict[str, tuple[list[str], list[str]]]:
    """Per README command: an invocation with --json (or its plain form), and one with a mistake."""
    files = ["--vehicles", p["vehicles"], "--owners", p["owners"]]
    mail_opts = [*files, "--as-of", "2024-02-05", "--ledger", p["ledger"], "-o", p["out"], "--workers", "1", "-q"]
    tmp = p["tmp"]
    return {
        "approve": (["approve", "23LJ01", "2024-01-31", "--by", "Test Reviewer", "--json"],
                    ["approve", "23LJ01", "2031-01-01", "--by", "x"]),
        "reviewers add": (["reviewers", "add", "Test Reviewer", "--file", f"{tmp}/reviewers.toml", "--password-stdin",
                           "--json"], ["reviewers", "add", "Bell\aName", "--password-stdin"]),
        "mail": (["mail", "23LJ01", "--phase", "1", *mail_opts, "--json"],
                 ["mail", "23LJ01", "--phase", "9", *mail_opts]),
        "remail": (["remail", "23LJ01", p["vin"], "--reason", "returned", *mail_opts, "--json"],
                   ["remail", "23LJ01", "JTJGKCEZ0PJ10000I", "--reason", "x", *mail_opts]),
        "status": (["status", "23LJ01", "--ledger", p["ledger"], *files, "--as-of", "2024-02-05", "--json"],
                   ["status", "23LJ01", "--ledger", p["ledger"], "--vehicles", f"{tmp}/none.csv", "--owners",
                    p["owners"]]),
        "runs": (["runs", "23LJ01", "--ledger", p["ledger"], "--json"],
                 ["runs", "23LJ01", "--ledger", f"{tmp}/none.sqlite"]),
        # The fixture's runs are all finished: tests/test_runs.py cancels unfinished ones, with --json.
        "cancel": (["cancel", "--help"], ["cancel", "20240101T000000Z-p1-remedy-0000", "--reason", "x",
                                          "--ledger", p["ledger"]]),
        "notice": (["notice", "23LJ01", "-o", f"{tmp}/n.pdf", "--json"],
                   ["notice", "23LJ01", "--revision", "1999-01-01"]),
        "render": (["render", "23LJ01", "faq", "-o", f"{tmp}/f.pdf", "--json"], ["render", "NOPE", "faq"]),
        "revisions": (["revisions", "23LJ01", "--json"], ["revisions", "23LJ01/../x y"]),
        "diff": (["diff", "23LJ01", "faq", "--from", "2023-11-21", "--to", "2024-01-31", "--json"],
                 ["diff", "23LJ01", "faq", "--from", "2023-11-21"]),
        "check": (["check", "23LJ01", *files, "--json"], ["check", "23LJ01", "--vehicles", f"{tmp}/none.csv"]),
        "lookup": (["lookup", "23LJ01", p["vin"], "--vehicles", p["vehicles"], "--json"], ["lookup", "23LJ01", "XYZ"]),
        "sample-data": (["sample-data", "23LJ01", "--vehicles", "20", "-o", f"{tmp}/s", "--json"],
                        ["sample-data", "23LJ01", "--vehicles", "0"]),
        "campaigns": (["campaigns", "--json"], ["campaigns", "--bogus"]),
        # It serves until stopped: tests/review/test_web.py runs it for real, in a browser.
        "review": (["review", "--help"], ["review", "--port", "0"]),
        "schema": (["schema", "-o", f"{tmp}/schema.json"], ["schema", "-o", "/proc/no-such/schema.json"]),
        "i18n extract": (["i18n", "extract"], ["i18n", "extract", "--bogus"]),
        "i18n update": (["i18n", "update"], ["i18n", "update", "xx"]),
        "i18n compile": (["i18n", "compile"], ["i18n", "compile", "xx"]),
        "i18n check": (["i18n", "check"], ["i18n", "check", "xx"]),
        # Last: a new campaign has no Spanish prose yet, which `i18n check` rightly reports.
        "new": (["new", "25T001", "--kind", "safety-recall", "--json"], ["new", "25T002", "--kind", "nope"]),
    }  # fmt: skip


def test_every_readme_command_runs_with_json_and_fails_cleanly(mailed_ledger: dict[str, str], project: Path) -> None:
    """Run in a scratch project: approve and i18n write into templates/ and locales/."""
    import shutil

    shutil.copytree(ROOT / "locales", project / "locales", dirs_exist_ok=True)
    approvals = project / "templates" / "23LJ01" / "approvals.toml"
    text = approvals.read_text(encoding="utf-8")
    approvals.write_text(text[: text.rindex("[[approval]]")], encoding="utf-8")  # 2024-01-31 awaits approval
    runs = _json_and_error_runs(mailed_ledger, project)
    assert (
        {path for path, _ in _readme_invocations()}
        >= set(runs)
        >= {path for path, _ in _readme_invocations() if path != "i18n"}
    )
    for path, (good, bad) in runs.items():
        result = CliRunner().invoke(cli, good, input="correct horse battery\n")  # reviewers add reads a password
        assert result.exit_code == 0, (path, result.output)
        if "--json" in good:
            json.loads(result.stdout)
        result = CliRunner().invoke(cli, bad, input="correct horse battery\n")
        assert result.exit_code != 0 and isinstance(result.exception, (SystemExit, type(None))), path
        assert result.stderr.lower().startswith(("error:", "usage:")) and "Traceback" not in result.output, (
            path,
            result.output,
        )


def test_status_refuses_a_ledger_that_does_not_exist(records: tuple[Path, Path], tmp_path: Path) -> None:
    typo = tmp_path / "nope" / "ledger.sqlite"
    files = ["--vehicles", str(records[0]), "--owners", str(records[1]), "--as-of", "2024-02-05"]
    code, out, err = invoke("status", "23LJ01", "--ledger", str(typo), *files)
    assert code == 2 and err.startswith(f"error: no ledger at {typo}") and "--create-ledger" in err
    assert out == "" and not typo.parent.exists()  # no folder, no empty ledger
    code, out, err = invoke("status", "23LJ01", "--ledger", str(typo), "--create-ledger", *files)
    assert code == 0, err
    assert out.splitlines()[0] == "23LJ01 as of 2024-02-05" and typo.exists()


@pytest.mark.parametrize(
    "args",
    [
        ["notice", "23LJ01", "--draft", "-o", "PDF"],
        ["render", "23LJ01", "faq", "-o", "PDF"],
        ["check", "23LJ01", "--json"],
        ["lookup", "23LJ01", "VIN", "--json"],
    ],
)
def test_as_of_and_revision_together_are_refused(args: list[str], tmp_path: Path) -> None:
    target = tmp_path / "x.pdf"
    vin = (ROOT / "mailing_lists/23LJ01/23LJ01-vehicles.csv").read_text().splitlines()[1].split(",")[0]
    args = [str(target) if a == "PDF" else vin if a == "VIN" else a for a in args]
    code, out, err = invoke(*args, "--as-of", "2024-02-05", "--revision", "2023-06-15")
    assert code == 2 and "--as-of and --revision are alternatives: give one of them" in err
    assert not target.exists() and out == ""
    code, _, err = invoke(*args, "--revision", "2023-06-15")  # either alone is fine
    assert code == 0, err


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("2024-02-30", "'2024-02-30': no such day (February 2024 has 29 days)"),
        ("2023-02-29", "'2023-02-29': no such day (February 2023 has 28 days)"),
        ("2024-13-01", "'2024-13-01': no such day (there is no month 13)"),
        ("2024-04-31", "'2024-04-31': no such day (April 2024 has 30 days)"),
        ("24-02-05", "'24-02-05' is not a date as YYYY-MM-DD"),
    ],
)
def test_an_impossible_date_is_no_such_day(value: str, said: str) -> None:
    code, _, err = invoke("lookup", "23LJ01", "JTJGKCEZ0PJ100001", "--as-of", value)
    assert code == 2 and said in err
    code, _, err = invoke("diff", "23LJ01", "faq", "--from", value, "--to", "2024-01-31")
    assert code == 2 and said.replace("a date", "a revision date") in err


def test_lookup_reports_every_vin_and_exits_2_for_bad_ones() -> None:
    good = (ROOT / "mailing_lists/23LJ01/23LJ01-vehicles.csv").read_text().splitlines()[1].split(",")[0]
    code, out, err = invoke("lookup", "23LJ01", "XYZ", good, "JTJGKCEZ0PJ10000I")
    assert code == 2
    assert out.splitlines()[0] == "23LJ01 as of 2024-01-31:"  # the latest revision's date, said
    assert out.splitlines()[1].startswith(f"{good}: covered:")
    assert err.startswith("error: 2 of 3 given are not valid VINs:")
    assert "VIN 'XYZ' has 3 characters, not 17" in err and "'JTJGKCEZ0PJ10000I' contains 'I'" in err
    code, out, err = invoke("lookup", "23LJ01", "XYZ", good, "--json", "--as-of", "2023-06-15")
    assert code == 2 and "error: VIN 'XYZ' has 3 characters" in err
    rows = json.loads(out)
    assert [(r["vin"], r["valid"], r["as_of"]) for r in rows] == [("XYZ", False, "2023-06-15"),
                                                                  (good, True, "2023-06-15")]  # fmt: skip
    assert rows[0]["reason"] == "VIN 'XYZ' has 3 characters, not 17" and rows[1]["covered"] is True


def test_every_date_taking_command_prints_the_date_it_used(mailed_ledger: dict[str, str], tmp_path: Path) -> None:
    p = mailed_ledger
    files = ["--vehicles", p["vehicles"], "--owners", p["owners"]]
    code, out, _ = invoke("check", "23LJ01", *files)
    assert code == 0 and out.startswith("23LJ01 as of 2024-01-31:")
    code, out, _ = invoke("status", "23LJ01", "--ledger", p["ledger"], *files, "--as-of", "2024-02-05")
    assert code == 0 and out.startswith("23LJ01 as of 2024-02-05\n")
    code, out, _ = invoke("lookup", "23LJ01", p["vin"], "--vehicles", p["vehicles"], "--as-of", "2024-02-05")
    assert code == 0 and out.startswith("23LJ01 as of 2024-02-05:\n")
    code, out, _ = invoke("mail", "23LJ01", "--phase", "1", *files, "--as-of", "2024-02-05", "--ledger", p["ledger"],
                          "-o", p["out"], "--workers", "1", "-q")  # fmt: skip
    assert code == 0 and out.startswith("as of 2024-02-05\n") and "nothing new to mail" in out
    target = tmp_path / "f.pdf"
    code, out, _ = invoke("render", "23LJ01", "faq", "-o", str(target), "--as-of", "2023-09-01")
    assert code == 0 and out.rstrip().endswith("revision 2023-08-29, as of 2023-09-01")
    code, out, _ = invoke("render", "23LJ01", "faq", "-o", str(target), "--json")
    assert code == 0 and json.loads(out)["as_of"] == json.loads(out)["revision"] == "2024-01-31"
