"""The notice package as a dealer reads it: text, tables, bookmarks, form fields, pages."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pdfplumber
import pytest
from pypdf import PdfReader

from letters.campaign import LoadedCampaign
from letters.documents import RenderOptions
from letters.notice import render_one

LETTER = (612, 792)


@pytest.fixture(scope="module")
def notice_text(notice_pdf: Path) -> str:
    with pdfplumber.open(notice_pdf) as pdf:
        return "\n".join(page.extract_text() or "" for page in pdf.pages)


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_every_model_row_with_volume(notice_text: str, loaded: LoadedCampaign) -> None:
    text = _squash(notice_text)
    for m in loaded.campaign.models:
        row = f"{m.label} {m.period} {m.volume:,}"
        assert text.count(row) == 2, row  # dealer letter and FAQ A3


@pytest.mark.parametrize(
    "row",
    [
        "Phase 1 Guest Mailing July 2023",
        "Phase 2 Guest Mailing September 2023",
        "Phase 3 Guest Mailing October 2023",
        "Phase 4 Guest Mailing December 2023",
        "Phase 5 Guest Mailing February 2024",
        "Phase 1 Remedy Available ~18,000",
        "Phase 2 Remedy Available ~27,000",
        "Phase 3 Remedy Available ~32,000",
        "Phase 4 Remedy Available ~62,000",
        "Phase 5 Remedy Available ~75,500",
        "Phase 6 March 2024 TBD",
        "Phase 7 May 2024 TBD",
        "23LJ01R1 Provide Guest with Second Key 0.4",
        "04002-**** TRANSMITTER SUBASSY, ELECTRICAL KEY 1",
        "approximately 214,000 vehicles",
        "approximately 850 were distributed to Puerto Rico",
        "LIC206A - Electrical Repair 1",
        "Original Publication Date: June 15, 2023",
        "IMPORTANT UPDATE",
        "January 31, 2024 Updated Current Phase Timing and Vehicle Eligibility Chart",
        "December 21, 2023 Phase 5 vehicles added (approx. 75,500 vehicles)",
        "August 29, 2023 Phase 2 vehicles added (approx. 26,000 vehicles)",
        "GUEST CONTACT & VEHICLE DISCLOSURE FORM",
        "VIN: [VIN]",
        "Current Phase Timing and Vehicle Eligibility (Updated: 01/31/2024)",
    ],
)
def test_seed_rows_present(notice_text: str, row: str) -> None:
    assert row in _squash(notice_text)


def test_every_faq_question(notice_text: str, loaded: LoadedCampaign) -> None:
    text = _squash(notice_text)
    for item in loaded.campaign.faq:
        assert f"{item.id}: " in text and f"A{item.id[1:]}: " in text, item.id


def test_dealer_letter_sections_in_seed_order(notice_text: str) -> None:
    sections = [
        "Reason for Program",
        "Program Details",
        "Second Key Program Phase Interpretation",
        "Covered Vehicles",
        "Owner Letter Mailing Date",
        "Dealer Inventory Procedures",
        "Guest Handling, Parts Ordering, and Remedy Procedures",
        "Guest Contacts",
        "Media Contacts",
        "Parts Ordering Process",
        "Technician Training Requirements",
        "Remedy Procedures",
        "Repair Quality Confirmation",
        "Reimbursement Procedures",
        "Claim Filing Accuracy and Correction Requests",
    ]
    lines = [line.strip() for line in notice_text.splitlines()]
    positions = [lines.index(s) for s in sections]
    assert positions == sorted(positions)


def test_chart_cells_carry_phases(notice_pdf: Path) -> None:
    """The LC row of the chart: production Nov-Dec 2022, both Phase 1 (the FAQ's example)."""
    with pdfplumber.open(notice_pdf) as pdf:
        for page in pdf.pages:
            for table in page.extract_tables():
                for row in table:
                    if row and row[0] == "23MY LC":
                        cells = [c for c in row[6:] if c]
                        assert cells == ["1", "1"]
                        assert row[3:6] == ["11/7/2022", "12/28/2022", "350"]
                        return
    pytest.fail("no LC row in the eligibility chart")


def test_one_bookmark_per_document(notice_pdf: Path) -> None:
    outline = PdfReader(notice_pdf).outline
    titles = [item.title for item in outline]
    assert titles == [
        "Important Update",
        "Dealer Letter",
        "Frequently Asked Questions",
        "Guest Contact and Vehicle Disclosure Form",
        "Owner Letter",
    ]


def test_metadata(notice_pdf: Path) -> None:
    meta = PdfReader(notice_pdf).metadata
    assert meta is not None
    assert "23LJ01" in (meta.title or "")
    assert meta.get("/Campaign") == "23LJ01"
    assert meta.get("/Revision") == "2024-01-31"


def test_letter_pages_and_footer(notice_pdf: Path) -> None:
    with pdfplumber.open(notice_pdf) as pdf:
        assert all((round(p.width), round(p.height)) == LETTER for p in pdf.pages)
        footers = [p.extract_text().splitlines()[-1] for p in pdf.pages]
    assert footers[1] == "23LJ01 · Dealer Letter Page 1 of 3"
    # The sample owner letter (last page) carries the mailing's piece ID line instead.
    assert all(re.search(r"Page \d+ of \d+$", f) for f in footers[:-1])


def test_all_fonts_embedded(notice_pdf: Path) -> None:
    out = subprocess.run(["pdffonts", str(notice_pdf)], capture_output=True, text=True, check=True).stdout
    rows = out.splitlines()[2:]
    assert rows, out
    for row in rows:
        assert "Letters-Sans" in row
        assert row.split()[-5] == "yes", row  # the "emb" column


def test_real_tables(notice_pdf: Path) -> None:
    """Tables are tables (ruled cells pdfplumber finds), not tab-separated text."""
    with pdfplumber.open(notice_pdf) as pdf:
        tables = [t for p in pdf.pages for t in p.extract_tables()]
    headers = [t[0][0] for t in tables if t and t[0]]
    assert "Model / Years" in headers and "Op Code" in headers and "Part Number" in headers
    assert "Phase" in headers and "DATE" in headers


def test_disclosure_form_fields(loaded: LoadedCampaign, tmp_path: Path) -> None:
    target = tmp_path / "form.pdf"
    render_one(loaded, "disclosure-form", target, RenderOptions())
    fields = PdfReader(target).get_fields() or {}
    expected = {
        "guest_signature",
        "guest_signature_date",
        "vin",
        "program_code",
        "model",
        "model_year",
        "guest_name",
        "guest_email",
        "guest_address",
        "home_phone",
        "mobile_phone",
        "date",
        "dealer_name_address",
        "dealer_code",
        "dealer_phone",
        "dealer_staff_name",
        "dealer_staff_signature",
    }
    assert expected <= set(fields)


def test_rendering_is_deterministic(loaded: LoadedCampaign, tmp_path: Path) -> None:
    def words(target: Path) -> list[tuple[str, float, float]]:
        render_one(loaded, "faq", target, RenderOptions())
        with pdfplumber.open(target) as pdf:
            return [(w["text"], round(w["x0"], 2), round(w["top"], 2)) for p in pdf.pages for w in p.extract_words()]

    first, second = words(tmp_path / "a.pdf"), words(tmp_path / "b.pdf")
    assert first and first == second
