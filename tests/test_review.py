"""Reviewers: the history table, diffs between revisions and between PDFs, approval and drafts."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pdfplumber
import pytest
from click.testing import CliRunner

from letters.campaign import load_campaign
from letters.cli import cli
from letters.documents import RenderOptions
from letters.notice import baseline_for, render_notice
from letters.review import diff_documents, diff_pdfs, html_report, revisions, text_report


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_revisions_table() -> None:
    rows = revisions("23LJ01")
    assert [r.id for r in rows] == ["2023-06-15", "2023-08-29", "2023-10-12", "2023-11-21", "2023-12-21", "2024-01-31"]
    assert rows[-1].documents == ("faq",)
    # 2023-12-21 ends the reconstructed revisions: their note leaves the form too.
    assert rows[4].documents == ("dealer-letter", "faq", "disclosure-form")
    assert rows[3].topics == ("Phase 4 vehicles added (approx. 62,000 vehicles)",
                              "Additional Phase 2 NAP vehicles added (approx. 500 vehicles)")  # fmt: skip
    assert all(r.approved_by for r in rows)


def test_revisions_command_json() -> None:
    code, out, _ = run("revisions", "23LJ01", "--json")
    assert code == 0
    data = json.loads(out)
    assert data[-1]["revision"] == "2024-01-31" and data[-1]["documents"] == ["faq"]


def test_faq_diff_names_the_phase_table_change() -> None:
    result = diff_documents("23LJ01", "faq", "2023-12-21", "2024-01-31")
    assert [c.new[0].kind for c in result.changes] == ["phase-timing", "chart"]
    text = "\n".join("".join(t for _, t in line) for line in text_report(result))
    assert "[-~26,500-] {+~27,000+}" in text and "[-February-] {+March+} 2024" in text
    assert "@@ phase timing table, row “Phase 6”, Announcement Timing: changed" in text


def test_diff_command_text_is_plain_when_piped() -> None:
    code, out, _ = run("diff", "23LJ01", "faq", "--from", "2023-12-21", "--to", "2024-01-31")
    assert code == 0 and "phase timing table, row “Phase 2”, # of Vehicles: changed" in out and "\x1b[" not in out


@pytest.mark.parametrize("fmt", ["html", "pdf"])
def test_redline_formats(fmt: str, tmp_path: Path) -> None:
    target = tmp_path / f"redline.{fmt}"
    code, _out, err = run("diff", "23LJ01", "dealer-letter", "--from", "2023-11-21", "--to", "2023-12-21",
                         "--format", fmt, "-o", str(target))  # fmt: skip
    assert code == 0, err
    if fmt == "html":
        html = target.read_text()
        assert "<ins>214,000</ins>" in html and "<del>137,500</del>" in html and "Summary: 3 change(s)" in html
    else:
        with pdfplumber.open(target) as pdf:
            text = pdf.pages[0].extract_text()
        assert "Redline" in text and "214,000" in text


def test_redline_collapses_unchanged_context() -> None:
    result = diff_documents("23LJ01", "dealer-letter", "2023-11-21", "2023-12-21")
    html = html_report(result)
    assert "Reason for Program" not in html  # unchanged blocks are not repeated
    assert f"{result.unchanged} unchanged block(s) (collapsed)" in html


def test_pdf_vs_pdf_diff_is_page_aware(tmp_path: Path) -> None:
    paths = []
    for revision in ("2023-12-21", "2024-01-31"):
        loaded = load_campaign("23LJ01", revision=revision)
        target = tmp_path / f"{revision}.pdf"
        render_notice(loaded, target, RenderOptions(as_of=loaded.campaign.revision.date), baseline_for(loaded))
        paths.append(target)
    result = diff_pdfs(*paths)
    lines = result.summary()
    assert any("~27,000" in " ".join(b.text for b in c.new) for c in result.changes)
    assert any(line.startswith("page 1, line: added:") for line in lines)  # the new cover row
    assert all(b.page for c in result.changes for b in (*c.old, *c.new))
    code, out, _ = run("diff", str(paths[0]), str(paths[1]))
    assert code == 0 and "{+01/31/2024)+}" in out


def test_diff_of_unreadable_pdf(tmp_path: Path) -> None:
    bad = tmp_path / "x.pdf"
    bad.write_text("not a pdf")
    code, _, err = run("diff", str(bad), str(bad))
    assert code == 2 and "not a readable PDF" in err


def test_unapproved_revision_needs_draft_and_is_stamped(project: Path, tmp_path: Path) -> None:
    rev = project / "templates" / "23LJ01" / "revisions" / "2024-03-01.toml"
    rev.write_text(
        'date = 2024-03-01\ntopics = ["Phase 6 timing"]\n\n[[changes.phases]]\nnumber = 6\nestimate = "2024-04"\n'
    )
    target = tmp_path / "n.pdf"
    code, _, err = run("notice", "23LJ01", "-o", str(target))
    assert code == 2 and "not approved" in err and "--draft" in err
    code, _, err = run("notice", "23LJ01", "-o", str(target), "--draft")
    assert code == 0, err
    with pdfplumber.open(target) as pdf:
        for page in pdf.pages:
            stamp = [c["text"] for c in page.chars if c["size"] > 60]
            assert "".join(stamp) == "DRAFT"
    code, _, err = run("approve", "23LJ01", "2024-03-01", "--by", "Campaign Manager", "--at", "2024-02-28")
    assert code == 2 and "before its own date" in err  # an approval cannot predate the revision
    code, out, _ = run("approve", "23LJ01", "2024-03-01", "--by", "Campaign Manager", "--at", "2024-03-01")
    assert code == 0 and "approved by Campaign Manager" in out
    code, _, err = run("notice", "23LJ01", "-o", str(target))
    assert code == 0, err
    assert json.loads(run("revisions", "23LJ01", "--json")[1])[-1]["approved_by"] == "Campaign Manager"
    code, _, err = run("approve", "23LJ01", "2024-03-01", "--by", "Someone Else")
    assert code == 2 and "already approved" in err


def test_chart_diff_names_every_changed_row_by_model_location_and_month() -> None:
    """The reviewer's complaint: rows unnamed, NX shown under ES, no location, no month."""
    result = diff_documents("23LJ01", "faq", "2023-12-21", "2024-01-31")
    chart = [item for item in result.items if item.where.startswith("eligibility chart")]
    assert {(item.where, item.old, item.new) for item in chart} == {
        (f"eligibility chart, {years} {model} built in {where}, February 2024 production", "Phase 6", "Phase 7")
        for years, model, where in [("22MY - 24MY", "NX", "Japan"), ("23MY - 24MY", "RX", "Japan"),
                                    ("23MY - 24MY", "LX", "Japan"), ("23MY - 24MY", "RZ", "Japan"),
                                    ("23MY - 24MY", "NX", "North America"), ("23MY - 24MY", "RX", "North America")]
    }  # fmt: skip
    assert not any("ES" in item.where for item in chart)
    rows = [item for item in result.items if item.where.startswith("phase timing table")]
    assert ("phase timing table, row “Phase 6”, Announcement Timing", "February 2024", "March 2024") in {
        (i.where, i.old, i.new) for i in rows
    }


def test_redline_summary_is_whole_words_and_the_pdf_footer_reads(tmp_path: Path) -> None:
    from letters.review import pdf_report

    result = diff_documents("23LJ01", "dealer-letter", "2023-06-15", "2023-08-29")
    for line in result.summary():
        assert not re.search(r"\w…", line)  # cut only at a word boundary
        assert "changed p" not in line and "added tr" not in line
    target = tmp_path / "redline.pdf"
    pdf_report(result, target)
    with pdfplumber.open(target) as pdf:
        footer = pdf.pages[0].extract_text().splitlines()[-1]
    assert footer.startswith("Redline: 23LJ01 dealer-letter") and footer.endswith("Page 1 of 1")


def test_reconstructed_revisions_say_so_and_hold_together(tmp_path: Path) -> None:
    from letters.campaign import load_campaign
    from letters.documents import RenderOptions
    from letters.notice import render_notice

    for revision, note, puerto_rico in (("2023-06-15", True, False), ("2023-12-21", False, True)):
        target = tmp_path / f"{revision}.pdf"
        loaded = load_campaign("23LJ01", revision=revision)
        render_notice(loaded, target, RenderOptions(as_of=loaded.campaign.revision.date))
        with pdfplumber.open(target) as pdf:
            dealer = pdf.pages[1 if loaded.campaign.updates else 0].extract_text()
        assert ("Reconstructed revision" in dealer) is note
        assert ("distributed to Puerto Rico" in dealer) is puerto_rico
    warned = load_campaign("23LJ01", revision="2023-12-21").warnings
    assert any("214,000 but the models table adds up to 221,370" in w for w in warned)


def test_an_approval_cannot_predate_its_revision(project: Path) -> None:
    approvals = project / "templates" / "23LJ01" / "approvals.toml"
    text = approvals.read_text(encoding="utf-8")
    approvals.write_text(text[: text.rindex("[[approval]]")], encoding="utf-8")  # 2024-01-31 unapproved
    code, _, err = run("approve", "23LJ01", "2024-01-31", "--by", "Early Bird", "--at", "2020-01-01")
    assert code == 2 and "revision 2024-01-31 cannot be approved on 2020-01-01: that is before its own date" in err
    assert "Early Bird" not in approvals.read_text(encoding="utf-8")
    code, out, err = run("approve", "23LJ01", "2024-01-31", "--by", "On Time", "--at", "2024-01-31", "--json")
    assert code == 0, err
    assert json.loads(out)["at"] == "2024-01-31"


def test_pdf_vs_pdf_ignores_draft_stamps_and_names_chart_months(tmp_path: Path) -> None:
    paths = []
    for revision, draft in (("2023-12-21", True), ("2024-01-31", True)):
        loaded = load_campaign("23LJ01", revision=revision)
        target = tmp_path / f"{revision}.pdf"
        options = RenderOptions(as_of=loaded.campaign.revision.date, draft=draft, boxes=False)
        render_notice(loaded, target, options)
        paths.append(target)
    result = diff_pdfs(*paths)
    said = " ".join(f"{i.old} {i.new}" for i in result.items)
    assert "DRAFT" not in said and "DRemedy" not in said
    assert "~27,000" in said
    chart = [line for line in result.summary() if "chart row" in line]
    assert len(chart) == 6 and all(line.endswith("February 2024 production: changed: Phase 6 → Phase 7")
                                   for line in chart)  # fmt: skip
    assert any("“23MY - 24MY RX Japan 11/15/2022 Ongoing TBD”" in line for line in chart)
    assert len(result.items) == 12  # the cover row, the heading, four table rows, six chart rows: nothing spurious


def test_full_redline_shows_the_whole_document_and_counts_agree(tmp_path: Path) -> None:
    result = diff_documents("23LJ01", "dealer-letter", "2023-11-21", "2023-12-21")
    html = html_report(result, full=True)
    assert "Reason for Program" in html  # unchanged text stays, in place
    assert "<del>137,500</del>" in html and "<ins>214,000</ins>" in html
    assert f"Summary: {len(result.items)} change(s)" in html
    for fmt in ("html", "pdf"):
        target = tmp_path / f"full.{fmt}"
        code, out, err = run("diff", "23LJ01", "dealer-letter", "--from", "2023-11-21", "--to", "2023-12-21",
                             "--format", fmt, "--full", "-o", str(target))  # fmt: skip
        assert code == 0, err
        assert f"({len(result.items)} change(s))" in out
    with pdfplumber.open(tmp_path / "full.pdf") as pdf:
        text = " ".join(page.extract_text() or "" for page in pdf.pages)
    assert "Reason for Program" in text and "214,000" in text and "137,500" in text
