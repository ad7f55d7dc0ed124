"""Print production as a vendor's preflight checks it: IMb, inserter marks, USPS addresses, colour, PDF/VT."""

from __future__ import annotations

import csv
import json
import re
import subprocess
from datetime import date
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
import pytest
import treepoem
import zxingcpp
from PIL import Image

from letters.address import address_block, fold, usps_line, zip_state_problem
from letters.mail import mail
from letters.press.imb import encode
from letters.press.marks import IMB_LEFT_IN, IMB_TOP_IN, MARK_LEFT_IN, MARK_SIZE_IN, MARK_TOP_IN
from tests.conftest import options

# USPS-B-3200's worked example: tracking 01234567094987654321, routing 01234567891.
SPEC_VECTORS = [
    ("01234567094987654321", "", "ATTFATTDTTADTAATTDTDTATTDAFDDFADFDFTFFFFFTATFAAAATDFFTDAADFTFDTDT"),
    ("01234567094987654321", "01234", "DTTAFADDTTFTDTFTFDTDDADADAFADFATDDFTAAAFDTTADFAAATDFDTDFADDDTDFFT"),
    ("01234567094987654321", "012345678", "ADFTTAFDTTTTFATTADTAAATFTFTATDAAAFDDADATATDTDTTDFDTDATADADTDFFTFA"),
    ("01234567094987654321", "01234567891", "AADTFFDFTDADTAADAATFDTDDAAADDTDTTDAFADADDDTFFFDDTTTADFAAADFTDAADA"),
]


def read_imb(image: Image.Image) -> str:
    """The 65 bars of an IMb in ``image``, read from pixels: F, A, D or T by where each bar reaches."""
    gray = image.convert("L")
    width, height = gray.size
    px = gray.load()
    columns = []
    for x in range(width):
        dark = [y for y in range(height) if px[x, y] < 128]
        columns.append((min(dark), max(dark)) if dark else None)
    bars, x = [], 0
    while x < width:
        if columns[x] is None:
            x += 1
            continue
        top, bottom = columns[x]
        while x < width and columns[x] is not None:
            top, bottom = min(top, columns[x][0]), max(bottom, columns[x][1])
            x += 1
        bars.append((top, bottom))
    top = min(t for t, _ in bars)
    bottom = max(b for _, b in bars)
    span = bottom - top
    out = []
    for t, b in bars:
        up, down = t - top < 0.2 * span, bottom - b < 0.2 * span
        out.append("F" if up and down else "A" if up else "D" if down else "T")
    return "".join(out)


def bwipp(tracking: str, routing: str) -> str:
    """The same barcode from an independent encoder (BWIPP's onecode, through treepoem and Ghostscript)."""
    return read_imb(treepoem.generate_barcode(barcode_type="onecode", data=tracking + routing))


@pytest.mark.parametrize(("tracking", "routing", "bars"), SPEC_VECTORS)
def test_imb_matches_the_spec_and_an_independent_encoder(tracking: str, routing: str, bars: str) -> None:
    mine = encode(tracking[:2], tracking[2:5], tracking[5:14], int(tracking[14:]), routing)
    assert mine.tracking == tracking and mine.routing == routing
    assert mine.bars == bars == bwipp(tracking, routing)


@pytest.fixture(scope="module")
def pressed(records: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Phase 1 mailing (23LJ01) at batch size 40; returns its run folder."""
    tmp = tmp_path_factory.mktemp("press")
    (run,) = mail("23LJ01", options(tmp, records, batch_size=40)).runs
    return run.folder


def manifest(folder: Path) -> list[dict[str, str]]:
    with (folder / "manifest.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def render_page(pdf: Path, index: int, dpi: int = 300) -> Image.Image:
    doc = pdfium.PdfDocument(pdf)
    image = doc[index].render(scale=dpi / 72, grayscale=True).to_pil()
    doc.close()
    return image


def test_every_imb_matches_an_independent_encoder_and_reads_back_from_pixels(pressed: Path) -> None:
    rows = manifest(pressed)
    serials = [int(r["imb_tracking"][11:]) for r in rows]
    assert len(set(serials)) == len(rows)  # unique per piece
    for row in rows:
        assert re.fullmatch(r"00300123456\d{9}", row["imb_tracking"])
        assert row["imb_routing"] == row["zip"].replace("-", "")
        assert len(row["imb"]) == 65 and set(row["imb"]) <= set("FADT")
    for row in rows[::9]:  # BWIPP through Ghostscript is slow: every ninth piece
        assert bwipp(row["imb_tracking"], row["imb_routing"]) == row["imb"]
    for row in rows[:3] + rows[-2:]:
        page = render_page(pressed / row["file"], int(row["first_page"]) - 1)
        window = page.crop((int((IMB_LEFT_IN - 0.1) * 300), int((IMB_TOP_IN - 0.05) * 300),
                            int((IMB_LEFT_IN + 3.1) * 300), int((IMB_TOP_IN + 0.2) * 300)))  # fmt: skip
        assert read_imb(window) == row["imb"]


def test_every_page_datamatrix_decodes_to_its_piece_and_sheet(pressed: Path) -> None:
    rows = manifest(pressed)
    batch_file = rows[0]["file"]
    expected = {}
    for row in (r for r in rows if r["file"] == batch_file):
        sheets = int(row["sheets"])
        for page in range(int(row["first_page"]), int(row["last_page"]) + 1):
            sheet = (page - int(row["first_page"])) // 2 + 1
            expected[page] = f"{row['piece_id']}|{sheet}/{sheets}|{int(row['batch']):04d}"
    pdf = pdfium.PdfDocument(pressed / batch_file)
    assert len(pdf) == len(expected)
    for index in range(len(pdf)):
        image = pdf[index].render(scale=150 / 72, grayscale=True).to_pil()
        spot = image.crop((int((MARK_LEFT_IN - 0.15) * 150), int((MARK_TOP_IN - 0.15) * 150),
                           int((MARK_LEFT_IN + MARK_SIZE_IN + 0.15) * 150),
                           int((MARK_TOP_IN + MARK_SIZE_IN + 0.15) * 150)))  # fmt: skip
        found = [(r.format.name, r.text) for r in zxingcpp.read_barcodes(spot)]
        assert found == [("DataMatrix", expected[index + 1])], index + 1
    pdf.close()
    job = json.loads((pressed / "job.json").read_text())
    assert job["marks"]["datamatrix"]["payload"] == "{piece}|{sheet}/{sheets}|{batch}"
    assert job["imb"] == {"mailer_id": "123456", "service_type": "300", "barcode_id": "00", "test": True}


def test_vendor_preflight(pressed: Path) -> None:
    for pdf in sorted(pressed.glob("batch-*.pdf")):
        subprocess.run(["qpdf", "--check", str(pdf)], check=True, capture_output=True)
        fonts = subprocess.run(["pdffonts", str(pdf)], check=True, capture_output=True, text=True).stdout
        assert all(row.split()[-5] == "yes" for row in fonts.splitlines()[2:])
        with pikepdf.open(pdf) as doc:
            assert all((float(p.mediabox[2]), float(p.mediabox[3])) == (612, 792) for p in doc.pages)
            intents = doc.Root.OutputIntents
            assert intents[0].S == "/GTS_PDFX" and str(intents[0].OutputConditionIdentifier) == "CGATS TR 001"
            meta = str(doc.open_metadata())
            assert "letters:campaign" in meta and "23LJ01" in meta and "letters:batch" in meta
            # No RGB anywhere in page content or the shared template forms: black is DeviceGray.
            for page in doc.pages:
                streams = [page.obj] + [x for x in page.Resources.get("/XObject", {}).values()
                                        if x.get("/Subtype") == "/Form"]  # fmt: skip
                for owner in streams:
                    ops = {str(op) for _, op in pikepdf.parse_content_stream(owner)}
                    assert not ops & {"rg", "RG", "k", "K"}, ops & {"rg", "RG"}
            # PDF/VT-style document parts: one per piece, carrying its piece ID and VIN.
            root = doc.Root.DPartRoot
            leaves = list(root.DPartRootNode.DParts[0])
            rows = [r for r in manifest(pressed) if r["file"] == pdf.name]
            assert [str(leaf.DPM.PieceID) for leaf in leaves] == [r["piece_id"] for r in rows]
            assert [str(leaf.DPM.VIN) for leaf in leaves] == [r["vin"] for r in rows]
            first = leaves[0]
            assert first.Start.objgen == doc.pages[0].obj.objgen and doc.pages[0].obj.DPart.objgen == first.objgen


@pytest.mark.parametrize(
    ("street", "unit", "expected"),
    [
        ("123 North Main Street", "Suite 848", ("123 N MAIN ST STE 848",)),
        ("4500 West Elm Avenue", "Apartment 12", ("4500 W ELM AVE APT 12",)),
        ("12 Elm Street", "# 4", ("12 ELM ST # 4",)),
        ("1600 Pennsylvania Avenue Northwest", "", ("1600 PENNSYLVANIA AVE NW",)),
        # Too wide with the unit: Pub 28 puts the unit on the line above the delivery line.
        ("12345 North Martin Luther King Junior Memorial Highway", "Suite 412",
         ("STE 412", "12345 N MARTIN LUTHER KING JUNIOR MEMORIAL HWY")),
    ],
)  # fmt: skip
def test_pub28_delivery_lines(street: str, unit: str, expected: tuple[str, ...]) -> None:
    lines = address_block(("Ana Ruiz",), ("", street, unit), "Austin", "TX", "73301-1234")
    assert lines == ("ANA RUIZ", *expected, "AUSTIN TX 73301-1234")


def test_address_block_is_ascii_but_the_salutation_keeps_the_name() -> None:
    lines = address_block(("María Eugenia Montaña", "Zoë Ødegård"), ("Urb. Los Ángeles", "Calle Peña 5", ""),
                          "San Germán", "PR", "00683")  # fmt: skip
    assert lines == ("MARIA EUGENIA MONTANA", "ZOE ODEGARD", "URB LOS ANGELES", "CALLE PENA 5", "SAN GERMAN PR 00683")
    assert all(line.isascii() for line in lines)
    assert fold("Straße") == "StraSSe" and usps_line("O'Brien-Smith") == "OBRIEN SMITH"


@pytest.mark.parametrize(
    ("zip_code", "state", "problem"),
    [("73301", "TX", ""), ("10001", "CA", "belongs to NY, not CA"), ("00907", "PR", ""),
     ("00000", "NY", "not a ZIP in use")],
)  # fmt: skip
def test_zip_must_belong_to_its_state(zip_code: str, state: str, problem: str) -> None:
    found = zip_state_problem(zip_code, state)
    assert (problem in found) if problem else found == ""


def test_mismatched_zip_rejects_the_owner_record(tmp_path: Path) -> None:
    from letters.campaign import load_campaign
    from letters.records import reconcile
    from letters.sample import OWNER_HEADER, VEHICLE_HEADER
    from letters.vin import with_check_digit
    from tests.conftest import write_csv

    vin = with_check_digit("JTJGKCEZ0PJ100001")
    vehicles = write_csv(tmp_path / "v.csv", VEHICLE_HEADER, [[vin, "NX", "2023", "2023-03-15", "Japan"]])
    row = [vin, "Ana Ruiz", "", "", "12 Elm St", "", "Los Angeles", "CA", "10001", "US", "", "", ""]
    owners = write_csv(tmp_path / "o.csv", OWNER_HEADER, [row])
    rec = reconcile(load_campaign("23LJ01").campaign, vehicles, owners, date(2024, 1, 31))
    (rejected,) = [r for r in rec.reported if r.outcome == "rejected_owner"]
    assert rejected.reason == "zip: '10001' belongs to NY, not CA (ZIP prefix 100)"


def test_campaign_without_mailing_settings_cannot_mail(project: Path, records: tuple[Path, Path],
                                                       tmp_path: Path) -> None:  # fmt: skip
    from letters.errors import UsageError

    toml = project / "templates" / "23LJ01" / "campaign.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text(re.sub(r"\[mailing\]\n(.*\n){4}", "", text), encoding="utf-8")
    with pytest.raises(UsageError, match=r"no \[mailing\] settings"):
        mail("23LJ01", options(tmp_path, records))


def test_serials_never_repeat_across_runs(records: tuple[Path, Path], tmp_path: Path) -> None:
    first = mail("23LJ01", options(tmp_path, records, phases=(1,))).runs[0]
    second = mail("23LJ01", options(tmp_path, records, phases=(2,))).runs[0]
    serials = [r["imb_tracking"] for f in (first.folder, second.folder) for r in manifest(f)]
    assert len(serials) == len(set(serials))
