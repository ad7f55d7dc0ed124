"""Preview = mail (#19 item 5): ``letters render CAMPAIGN owner-letter --vin VIN`` is that owner's letter as mailed,
and a letter whose last page holds only its closing lines is warned of by ``render`` and ``mail``."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pdfplumber
import pytest
from click.testing import CliRunner

from letters.cli import cli
from letters.mail import mail
from tests.conftest import AS_OF, edit, options


def _texts(pdf: Path, first: int = 1, last: int | None = None) -> list[str]:
    with pdfplumber.open(pdf) as doc:
        pages = doc.pages[first - 1 : last]
        return [page.extract_text() or "" for page in pages]


@pytest.fixture(scope="module")
def bilingual(records: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """The 23LJ01 records with the first phase-1 owner moved to Puerto Rico: a bilingual (es+en) letter."""
    from letters.campaign import load_campaign
    from letters.records import reconcile

    rec = reconcile(load_campaign("23LJ01").campaign, records[0], records[1], AS_OF, None)
    vin = next(p.vehicle.vin for p in rec.pieces if p.phase == 1 and p.available)
    folder = tmp_path_factory.mktemp("bilingual")
    with records[1].open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    header = [h.strip().lower().replace(" ", "_") for h in rows[0]]
    for row in rows[1:]:
        if row[header.index("vin")] == vin:
            row[header.index("city")], row[header.index("state")], row[header.index("zip")] = "DORADO", "PR", "00646"
    owners = folder / "owners.csv"
    with owners.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return records[0], owners, vin


def test_the_preview_is_the_mailed_letter(bilingual: tuple[Path, Path, str], tmp_path: Path) -> None:
    vehicles, owners, vin = bilingual
    (run,) = mail("23LJ01", options(tmp_path, (vehicles, owners), renderer="full", batch_size=500)).runs
    with (run.folder / "manifest.csv").open(encoding="utf-8") as handle:
        mailed = next(r for r in csv.DictReader(handle) if r["vin"] == vin)
    assert mailed["language"] == "es+en"
    target = tmp_path / "preview.pdf"
    result = CliRunner().invoke(cli, ["render", "23LJ01", "owner-letter", "--vin", vin, "--phase", "1", "--as-of",
                                      AS_OF.isoformat(), "--vehicles", str(vehicles), "--owners", str(owners),
                                      "--ledger", str(tmp_path / "ledger.sqlite"), "-o", str(target),
                                      "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    said = json.loads(result.stdout)
    assert said["vin"] == vin and said["phase"] == 1 and said["stage"] == "remedy" and said["language"] == "es+en"
    assert said["pages"] == {"owner-letter": int(mailed["pages"])} and said["sheets"] == int(mailed["sheets"])
    printed = _texts(run.folder / mailed["file"], int(mailed["first_page"]), int(mailed["last_page"]))
    shown = [t.replace(said["piece_id"], mailed["piece_id"]) for t in _texts(target)]
    assert shown == printed  # address block, language versions, stage, phase: word for word
    assert "Estimado" in printed[0] or "Estimada" in printed[0] or "Dear" not in printed[0]  # Spanish first
    plain = CliRunner().invoke(cli, ["render", "23LJ01", "owner-letter", "--vin", vin, "--as-of", AS_OF.isoformat(),
                                     "--vehicles", str(vehicles), "--owners", str(owners),
                                     "-o", str(target)])  # fmt: skip
    assert plain.exit_code == 0, plain.output
    assert said["letter_pages"] == 2  # one page in Spanish, one in English: no blank back between them
    assert f"2 page(s), printed as {said['pages']['owner-letter']}" in plain.stdout and "es+en" in plain.stdout


def test_a_stage_or_phase_that_does_not_apply_is_refused(records: tuple[Path, Path], tmp_path: Path) -> None:
    runner = CliRunner()
    files = ["--vehicles", str(records[0]), "--owners", str(records[1]), "-o", str(tmp_path / "p.pdf")]
    from letters.campaign import load_campaign
    from letters.records import reconcile

    rec = reconcile(load_campaign("23LJ01").campaign, records[0], records[1], AS_OF, None)
    late = next(p for p in rec.pieces if not p.available)  # a phase whose remedy is not available on AS_OF
    result = runner.invoke(cli, ["render", "23LJ01", "owner-letter", "--vin", late.vehicle.vin, "--as-of",
                                 AS_OF.isoformat(), *files])  # fmt: skip
    assert result.exit_code == 2 and f"phase {late.phase}'s remedy is not available as of 2024-02-05" in result.stderr
    early = next(p for p in rec.pieces if p.available)
    result = runner.invoke(cli, ["render", "23LJ01", "owner-letter", "--vin", early.vehicle.vin, "--phase",
                                 str(early.phase + 1), "--as-of", AS_OF.isoformat(), *files])  # fmt: skip
    assert (
        result.exit_code == 2 and f"is in phase {early.phase} of 23LJ01, not phase {early.phase + 1}" in result.stderr
    )
    from letters.vin import with_check_digit

    stranger = with_check_digit("JTJGKCEZ0PJ999999")  # a valid VIN no vehicle row has
    result = runner.invoke(cli, ["render", "23LJ01", "owner-letter", "--vin", stranger, *files])
    assert result.exit_code == 2 and f"VIN {stranger} gets no 23LJ01 letter" in result.stderr
    assert "not in the vehicle records" in result.stderr
    # 24A07's follow-up follows a remedy letter the (absent) ledger would have to show.
    result = runner.invoke(cli, ["render", "24A07", "owner-letter", "--vin", "5AUMS4B29PV201381", "--stage",
                                 "follow-up", "--as-of", "2024-06-20", "--ledger", str(tmp_path / "none.sqlite"),
                                 "-o", str(tmp_path / "f.pdf")])  # fmt: skip
    assert result.exit_code == 2 and "a follow-up letter follows the remedy letter" in result.stderr
    result = runner.invoke(cli, ["render", "23LJ01", "faq", "--phase", "1", "-o", str(tmp_path / "f.pdf")])
    assert result.exit_code == 2 and "--phase: only for an owner letter with --vin" in result.stderr
    assert not (tmp_path / "p.pdf").exists() and "Traceback" not in result.output


def test_a_signature_alone_on_the_last_page_is_warned_of(project: Path, records: tuple[Path, Path],
                                                          tmp_path: Path) -> None:  # fmt: skip
    # A spacer pushes the sign-off and signature, and nothing else, onto a second page.
    edit(project / "templates" / "23LJ01" / "owner-letter.html", '<p>{{ _("Sincerely,") }}</p>',
         '<div style="height: 1.5in"></div><p>{{ _("Sincerely,") }}</p>')  # fmt: skip
    from letters.campaign import load_campaign
    from letters.records import reconcile

    rec = reconcile(load_campaign("23LJ01").campaign, records[0], records[1], AS_OF, None)
    vin = next(p.vehicle.vin for p in rec.pieces if p.phase == 1 and p.available and not p.owner.puerto_rico)
    files = ["--vehicles", str(records[0]), "--owners", str(records[1]), "--as-of", AS_OF.isoformat()]
    result = CliRunner().invoke(cli, ["render", "23LJ01", "owner-letter", "--vin", vin, *files,
                                      "-o", str(tmp_path / "p.pdf")])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "warning: owner letter of VIN" in result.stderr and "carries only its closing lines" in result.stderr
    result = CliRunner().invoke(cli, ["render", "23LJ01", "owner-letter", "-o", str(tmp_path / "s.pdf"), "--json"])
    assert result.exit_code == 0, result.output
    assert any("carries only its closing lines" in w for w in json.loads(result.stdout)["warnings"])
    # The edited letter is not approved as it is now: mailed as a draft.
    args = ["mail", "23LJ01", "--phase", "1", *files, "--workers", "1", "--ledger", str(tmp_path / "l.sqlite"),
            "-o", str(tmp_path / "out"), "--quiet", "--draft"]  # fmt: skip
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "warning: owner letter (remedy, en" in result.stderr and "carries only its closing lines" in result.stderr
    (folder,) = (tmp_path / "out" / "23LJ01" / "phase-1").iterdir()
    job = json.loads((folder / "job.json").read_text())
    assert any("carries only its closing lines" in w for w in job["warnings"])


def test_a_letter_that_fits_is_not_warned_of(records: tuple[Path, Path], tmp_path: Path) -> None:
    (run,) = mail("23LJ01", options(tmp_path, records)).runs
    assert not any("closing lines" in w for w in run.job["warnings"])
