"""Authoring campaigns: the list, the scaffold, the schema, and the engine staying campaign-agnostic."""

from __future__ import annotations

import json
import re
import subprocess
import tomllib
from datetime import date
from pathlib import Path

import jsonschema
import pdfplumber
import pytest
from click.testing import CliRunner

from letters.campaign import load_campaign
from letters.campaign.author import campaigns, schema
from letters.campaign.model import Kind
from letters.cli import cli
from letters.documents import Renderer, RenderOptions, document_spec
from letters.errors import CampaignError, LettersError, UsageError
from letters.notice import notice_documents, render_notice
from letters.sample import generate
from tests.conftest import edit

ROOT = Path(__file__).resolve().parent.parent.parent


def test_no_campaign_words_in_the_engine() -> None:
    """Anything true of one campaign lives in its files, never in letters/."""
    found = subprocess.run(
        # Whole words (-w): "NAP" (23LJ01's vehicle group) is a campaign word, "unapproved" is not.
        ["grep", "-rniwE", "smart ?key|15CY|19CY|one-key|CBU|NAP", str(ROOT / "letters")],
        capture_output=True,
        text=True,
    ).stdout
    assert found == ""


def test_campaigns_lists_both_bundled_campaigns() -> None:
    rows = {row["code"]: row for row in campaigns()}
    assert {"23LJ01", "24A07"} <= set(rows)
    recall = rows["24A07"]
    assert set(recall) >= {"code", "kind", "title", "published", "latest_revision", "phases", "stages", "words"}
    assert recall["words"]["available"] == "remedy available"
    assert recall["kind"] == "safety-recall" and recall["latest_revision"] == "2024-05-20"
    assert recall["phases"] == [
        {"phase": 1, "remedy_available": "2024-03-18", "estimate": "2024-03"},
        {"phase": 2, "remedy_available": "2024-05-20", "estimate": "2024-05"},
    ]


def test_campaigns_json_and_a_broken_campaign_listed_not_fatal(project: Path) -> None:
    edit(project / "templates" / "24A07" / "campaign.toml", 'kind = "safety-recall"', 'kind = "recall-ish"')
    result = CliRunner().invoke(cli, ["campaigns", "--json"])
    assert result.exit_code == 0
    rows = {row["code"]: row for row in json.loads(result.stdout)}
    assert "kind" in rows["24A07"]["error"] and rows["23LJ01"]["stages"] == ["remedy"]


@pytest.mark.parametrize("kind", ["safety-recall", "emissions-recall", "customer-satisfaction-program",
                                  "warranty-extension"])  # fmt: skip
def test_new_scaffold_renders_at_once_as_a_draft(project: Path, kind: str, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["new", "25X001", "--kind", kind, "--json"])
    assert result.exit_code == 0, result.output
    folder = Path(json.loads(result.stdout)["folder"])
    assert (folder / "campaign.toml").read_text().count("TODO") > 5
    target = tmp_path / "n.pdf"
    result = runner.invoke(cli, ["notice", "25X001", "--draft", "-o", str(target)])
    assert result.exit_code == 0, result.output
    with pdfplumber.open(target) as pdf:
        assert all("".join(c["text"] for c in page.chars if c["size"] > 60) == "DRAFT" for page in pdf.pages)
        assert "25X001" in (pdf.pages[0].extract_text() or "")
    result = runner.invoke(cli, ["notice", "25X001", "-o", str(target)])
    assert result.exit_code == 2 and "not approved" in result.stderr


def test_new_from_another_campaign_and_its_errors(project: Path) -> None:
    runner = CliRunner()
    args = ["new", "23LJ02", "--kind", "customer-satisfaction-program", "--from", "23lj01"]
    assert runner.invoke(cli, args).exit_code == 0
    copy = load_campaign("23LJ02")
    assert copy.campaign.code == "23LJ02" and len(copy.history) == 1 and copy.campaign.facts["pairing_minutes"] == 45
    for args, said in [
        (["new", "23LJ02", "--kind", "safety-recall"], "already exists"),
        (["new", "x", "--kind", "safety-recall"], "is not a campaign code"),
        (["new", "25X002", "--kind", "recall"], "is not a campaign kind"),
    ]:
        result = runner.invoke(cli, args)
        assert result.exit_code == 2 and said in result.stderr


def _as_editor_sees(code: str) -> dict[str, object]:
    """campaign.toml as an editor validates it: TOML dates as ISO strings."""
    data = tomllib.loads((ROOT / "templates" / code / "campaign.toml").read_text(encoding="utf-8"))
    return json.loads(json.dumps(data, default=str))  # type: ignore[no-any-return]


@pytest.mark.parametrize("code", ["23LJ01", "24A07"])
def test_schema_validates_the_bundled_campaign_files(code: str) -> None:
    jsonschema.validate(_as_editor_sees(code), schema())


def test_schema_catches_what_the_loader_catches() -> None:
    data = _as_editor_sees("24A07")
    data["kind"] = "recall-ish"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema())
    result = CliRunner().invoke(cli, ["schema"])
    assert result.exit_code == 0 and json.loads(result.stdout)["title"].startswith("letters campaign file")


def test_vin_list_campaign_covers_exactly_the_listed_vins(tmp_path: Path) -> None:
    from letters.records import reconcile

    loaded = load_campaign("24A07", as_of=date(2024, 3, 20))
    listed = (ROOT / "templates/24A07/covered-vins.csv").read_text().splitlines()[1:]
    files = generate(loaded.campaign, tmp_path, 400, seed=3)
    rec = reconcile(loaded.campaign, files.vehicles, files.owners, date(2024, 3, 20))
    phases = dict(line.split(",") for line in listed)
    assert rec.pieces and all(phases[p.vehicle.vin] == str(p.phase) for p in rec.pieces)
    assert {p.available for p in rec.pieces if p.phase == 2} == {False}


def test_population_change_in_a_revision_covers_the_new_vins(tmp_path: Path) -> None:
    from letters.records import reconcile

    latest = load_campaign("24A07")
    files = generate(latest.campaign, tmp_path, 2300, seed=5)
    before = reconcile(load_campaign("24A07", as_of=date(2024, 4, 1)).campaign, files.vehicles, files.owners,
                       date(2024, 4, 1))  # fmt: skip
    after = reconcile(latest.campaign, files.vehicles, files.owners, date(2024, 4, 16))
    added = {p.vehicle.vin for p in after.pieces} - {p.vehicle.vin for p in before.pieces}
    assert len(added) == 300 and before.outcomes["not_covered"] >= 300
    reasons = {r.reason for r in before.reported if r.vin in added and r.outcome == "not_covered"}
    assert reasons == {"VIN is not on the campaign's covered-VIN list (covered-vins.csv)"}


def test_a_topic_quoting_a_figure_prints_its_own_revisions_figure(tmp_path: Path) -> None:
    loaded = load_campaign("24A07")
    assert loaded.campaign.phase(1).vehicles == 35_700  # the latest figure
    target = tmp_path / "notice.pdf"
    render_notice(loaded, target, RenderOptions())
    with pdfplumber.open(target) as pdf:
        cover = pdf.pages[0].extract_text()
    assert "Phase 1 remedy available: Meridian (approx. 28,900 vehicles)" in cover
    assert "Covered population expanded to approx. 48,000 vehicles" in cover


def test_notice_packages_the_declared_documents_in_order() -> None:
    assert notice_documents(load_campaign("24A07").campaign) == ["update-cover", "dealer-letter", "owner-letter"]
    assert notice_documents(load_campaign("24A07", revision="2024-02-12").campaign) == ["dealer-letter", "owner-letter"]
    with pytest.raises(UsageError, match="has no document 'faq'; its documents: update-cover, dealer-letter"):
        Renderer(load_campaign("24A07")).render("faq")


def _dealer_letter_html() -> str:
    loaded = load_campaign("24A07")
    return Renderer(loaded).html(document_spec(loaded.campaign, "dealer-letter"), RenderOptions())


def test_stop_sale_banner_is_driven_by_the_models(project: Path) -> None:
    html = _dealer_letter_html()
    assert "STOP SALE" in html and "2023 - 2024 Meridian" in html.split("STOP SALE")[1].split("</div>")[0]
    edit(project / "templates" / "24A07" / "campaign.toml", "stop_sale = true", "stop_sale = false")
    assert "STOP SALE" not in _dealer_letter_html()


def test_sample_data_refuses_records_its_campaign_rejects(project: Path) -> None:
    edit(project / "templates" / "24A07" / "campaign.toml", 'wmis = ["5AU", "3AU"]', 'wmis = ["5AU"]')
    result = CliRunner().invoke(cli, ["sample-data", "24A07", "--vehicles", "200", "-o", str(project / "s")])
    assert result.exit_code == 1
    assert "would write" in result.stderr and "manufacturer code '3AU' is not one of this campaign's" in result.stderr
    assert not (project / "s").exists()


def test_sample_data_names_a_missing_descriptor(project: Path) -> None:
    text = (project / "templates" / "23LJ01" / "campaign.toml").read_text(encoding="utf-8")
    text = re.sub(r'\[\[vehicles\.descriptors\]\]\nmodel = "LC"\n(.*\n){4}', "", text)
    (project / "templates" / "23LJ01" / "campaign.toml").write_text(text, encoding="utf-8")
    with pytest.raises(CampaignError, match=r"needs a \[\[vehicles.descriptors\]\] entry .* for: LC built in Japan"):
        generate(load_campaign("23LJ01").campaign, project / "s", 100)


def test_sample_zips_belong_to_their_states(tmp_path: Path) -> None:
    import csv

    from letters.address import zip_state_problem

    files = generate(load_campaign("23LJ01").campaign, tmp_path, 300, seed=2)
    with files.owners.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert {zip_state_problem(row["ZIP"][:5], row["State"]) for row in rows} == {""}
    assert len({row["State"] for row in rows}) > 20


@pytest.mark.parametrize("code", ["x", "MY_CAMP", "25-X01", "ABCDEFGHIJK", "25X 01"])
def test_one_campaign_code_rule_everywhere(project: Path, code: str) -> None:
    """`letters new`, every command and campaign.toml apply the rule the README states."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "A campaign code is 4 to 10\ncapital letters and digits" in readme
    result = CliRunner().invoke(cli, ["new", code, "--kind", "safety-recall"])
    assert result.exit_code == 2
    assert (
        result.stderr
        == f"error: {code.upper()!r} is not a campaign code: 4 to 10 capital letters and digits, e.g. 24V117\n"
    )
    result = CliRunner().invoke(cli, ["revisions", code])
    assert result.exit_code == 1
    assert result.stderr == f"error: {code!r} is not a campaign code: 4 to 10 capital letters and digits, e.g. 24V117\n"
    # A folder of that name is refused as a campaign too, by its own campaign.toml's code.
    edit(project / "templates" / "23LJ01" / "campaign.toml", 'code = "23LJ01"', f'code = "{code}"')
    result = CliRunner().invoke(cli, ["revisions", "23LJ01"])
    assert result.exit_code != 0 and "code" in result.stderr


RECALL_WORDS = re.compile(r"recall|remedy|safety|nhtsa|577\.", re.IGNORECASE)


@pytest.mark.parametrize("kind", [k.value for k in Kind])
def test_a_new_campaign_of_every_kind_checks_mails_and_speaks_its_kind(project: Path, tmp_path: Path,
                                                                       kind: str) -> None:  # fmt: skip
    """``new``, ``sample-data``, ``check``, ``lookup``, ``status``, ``mail --renderer full`` as a new user runs them;
    a customer-satisfaction program, a warranty extension and a service campaign print and say no recall word."""
    runner = CliRunner()
    assert runner.invoke(cli, ["new", "26K01", "--kind", kind]).exit_code == 0
    # The author's first edit: phase 1's fix can be had (the scaffold only estimates it).
    edit(project / "templates" / "26K01" / "campaign.toml", "number = 1\n", "number = 1\nannounced = 2026-01-05\n")
    files = tmp_path / "records"
    result = runner.invoke(cli, ["sample-data", "26K01", "--vehicles", "12", "-o", str(files)])
    assert result.exit_code == 0, result.output
    records = ["--vehicles", str(files / "26K01-vehicles.csv"), "--owners", str(files / "26K01-owners.csv")]
    ledger = ["--ledger", str(tmp_path / "l.sqlite")]
    vin = (files / "26K01-vehicles.csv").read_text().splitlines()[1].split(",")[0]
    said = []
    for args in (["check", "26K01", *records], ["lookup", "26K01", vin, *records[:2]], ["campaigns"],
                 ["mail", "26K01", "--phase", "1", *records, *ledger, "--renderer", "full", "-o", str(tmp_path / "o"),
                  "--draft", *(["--proof"] if kind == "safety-recall" else [])],  # a new campaign: not approved
                 ["status", "26K01", *records, *ledger]):  # fmt: skip
        result = runner.invoke(cli, args)
        assert result.exit_code == 0, (args, result.output)
        said.append(result.output if args[0] != "campaigns" else result.output.split("26K01", 1)[1])
    (run,) = (tmp_path / "o" / "26K01" / "phase-1").iterdir()
    texts = []
    for pdf_file in sorted(run.glob("*.pdf")):
        with pdfplumber.open(pdf_file) as pdf:
            texts += [page.extract_text() or "" for page in pdf.pages]
    manifest = (run / "manifest.csv").read_text()
    assert manifest.count("\n26K01-1-") == 12
    assert runner.invoke(cli, ["notice", "26K01", "--draft", "-o", str(tmp_path / "n.pdf")]).exit_code == 0
    with pdfplumber.open(tmp_path / "n.pdf") as pdf:
        texts += [page.extract_text() or "" for page in pdf.pages]
    job = json.loads((run / "job.json").read_text())
    values = [str(v) for v in job.values() if not isinstance(v, dict | list)]  # its keys are the file's contract
    everything = "\n".join([*said, *texts, manifest, run.name, *values])
    if kind in ("customer-satisfaction-program", "warranty-extension", "service-campaign"):
        assert RECALL_WORDS.findall(everything) == [], everything
        assert ",notice," in manifest and "-p1-notice-" in run.name
    else:
        assert "remedy available" in said[1] and ",remedy," in manifest


def test_a_campaign_says_its_kinds_words_otherwise_and_only_known_ones(project: Path) -> None:
    campaign = load_campaign("23LJ01").campaign  # a customer-satisfaction program quoting Lexus's own words
    assert campaign.spoken_words().available == "remedy available" and [s.name for s in campaign.stages] == ["remedy"]
    edit(project / "templates" / "23LJ01" / "campaign.toml", 'estimated = "remedy estimated"', 'fixed = "x"')
    with pytest.raises(LettersError, match=r"words\.fixed is not one of the kind's words"):
        load_campaign("23LJ01")
