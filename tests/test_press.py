"""Print production as a vendor's preflight checks it: IMb, inserter marks, USPS addresses, colour, PDF/VT."""

from __future__ import annotations

import csv
import hashlib
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
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from letters.address import address_block, fold, usps_line, zip_state_problem
from letters.mail import mail
from letters.press.finish import OUTPUT_CONDITION, PROFILE
from letters.press.imb import BAR_OPS, FULL_IN, bar_ops, encode
from letters.press.marks import IMB_CLEAR_IN, IMB_LEFT_IN, IMB_TOP_IN, MARK_LEFT_IN, MARK_SIZE_IN, MARK_TOP_IN
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


@given(st.text(alphabet="FADT", min_size=65, max_size=65), st.floats(0, 600), st.floats(0, 780))
def test_imb_bars_from_the_table_are_the_rectangles_the_spec_sizes(bars: str, left: float, top: float) -> None:
    # Each bar one 0.020 in rectangle on a 1/22 in pitch; full 0.125 in (the shortest USPS-B-3200
    # allows, so the clear zone fits the window), tracker 0.048 in, centred.
    full, tracker = 0.125 * 72, 0.048 * 72
    mid = (full - tracker) / 2
    spans = {"F": (b"0", full), "A": (b"0", mid + tracker), "D": (b"%.2f" % mid, full - mid),
             "T": (b"%.2f" % mid, tracker)}  # fmt: skip
    expected = b"q 0 g %.4f 0 0 1 %.2f %.2f cm\n" % (72 / 22, left, top)
    expected += b"\n".join(b"%d %s %.2f %.2f re" % (i, spans[bar][0], 0.020 * 22, spans[bar][1])
                           for i, bar in enumerate(bars))  # fmt: skip
    assert bar_ops(bars, left, top) == expected + b"\nf Q\n"
    assert len(BAR_OPS) == 65 and all(set(ops) == set("FADT") for ops in BAR_OPS)


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
            assert intents[0].S == "/GTS_PDFX" and str(intents[0].OutputCondition) == OUTPUT_CONDITION
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
            assert [str(leaf.DPM.CIP4_Root.CIP4_Recipient.CIP4_UniqueID) for leaf in leaves] == [
                r["piece_id"] for r in rows]  # fmt: skip
            assert [str(leaf.DPM.CIP4_Root.LTRS_Vehicle.LTRS_VIN) for leaf in leaves] == [r["vin"] for r in rows]
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
        mail("23LJ01", options(tmp_path, records, draft=True))


def test_serials_never_repeat_across_runs(records: tuple[Path, Path], tmp_path: Path) -> None:
    first = mail("23LJ01", options(tmp_path, records, phases=(1,))).runs[0]
    second = mail("23LJ01", options(tmp_path, records, phases=(2,))).runs[0]
    serials = [r["imb_tracking"] for f in (first.folder, second.folder) for r in manifest(f)]
    assert len(serials) == len(set(serials))


XMP = {"x": "adobe:ns:meta/", "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
       "pdfxid": "http://www.npes.org/pdfx/ns/id/", "pdfvtid": "http://www.npes.org/pdfvt/ns/id/",
       "xmpMM": "http://ns.adobe.com/xap/1.0/mm/", "xmp": "http://ns.adobe.com/xap/1.0/",
       "pdf": "http://ns.adobe.com/pdf/1.3/", "dc": "http://purl.org/dc/elements/1.1/"}  # fmt: skip


def xmp_value(tree: object, path: str) -> str:
    """The text of one XMP property (element or attribute form)."""
    from lxml import etree

    assert isinstance(tree, etree._Element)
    prefix, name = path.split(":")
    found = tree.xpath(f"//rdf:Description/{path}//text() | //rdf:Description/@{path}", namespaces=XMP)
    texts = [str(t).strip() for t in found if str(t).strip()]
    assert texts, f"XMP has no {prefix}:{name}"
    return texts[0]


def check_pdfvt(pdf_path: Path, rows: list[dict[str, str]], vt: bool = True) -> dict[bytes, str]:
    """Every PDF/VT-1 on PDF/X-4 requirement the files claim, checked with pikepdf and lxml, qpdf and
    Ghostscript. Returns font program sha256 -> subset tag."""
    from lxml import etree

    subprocess.run(["qpdf", "--check", str(pdf_path)], check=True, capture_output=True)
    gs = subprocess.run(["gs", "-q", "-dNOPAUSE", "-dBATCH", "-dPDFSTOPONERROR", "-dPDFSTOPONWARNING",
                         "-sDEVICE=nullpage", str(pdf_path)], capture_output=True, text=True)  # fmt: skip
    assert gs.returncode == 0 and not gs.stdout.strip() and not gs.stderr.strip(), gs.stdout + gs.stderr
    assert pdf_path.read_bytes()[:8] == b"%PDF-1.6"
    tags: dict[bytes, str] = {}
    with pikepdf.open(pdf_path) as doc:
        assert str(doc.Root.Version) == "/1.6"
        # Output intent: GTS_PDFX with the embedded CMYK destination profile shipped in the repo.
        (intent,) = doc.Root.OutputIntents
        assert intent.S == "/GTS_PDFX" and str(intent.OutputCondition) == OUTPUT_CONDITION
        assert str(intent.OutputConditionIdentifier) == "FOGRA29" and "uncoated" in str(intent.Info)
        profile = intent.DestOutputProfile
        assert int(profile.N) == 4 and profile.read_bytes() == PROFILE.read_bytes()
        assert profile.read_bytes()[16:20] == b"CMYK"
        # XMP identification, IDs, dates and Trapped, consistent with the document information.
        tree = etree.fromstring(doc.Root.Metadata.read_bytes())
        assert xmp_value(tree, "pdfxid:GTS_PDFXVersion") == "PDF/X-4"
        if vt:
            assert xmp_value(tree, "pdfvtid:GTS_PDFVTVersion") == "PDF/VT-1"
        assert re.fullmatch(r"uuid:[0-9a-f-]{36}", xmp_value(tree, "xmpMM:DocumentID"))
        assert re.fullmatch(r"uuid:[0-9a-f-]{36}", xmp_value(tree, "xmpMM:InstanceID"))
        assert xmp_value(tree, "xmpMM:DocumentID") != xmp_value(tree, "xmpMM:InstanceID")
        assert xmp_value(tree, "xmpMM:RenditionClass") == "default" and xmp_value(tree, "xmpMM:VersionID")
        assert xmp_value(tree, "pdf:Trapped") == "False" and str(doc.docinfo["/Trapped"]) == "/False"
        modified = xmp_value(tree, "xmp:ModifyDate")
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT00:00:00Z", modified)
        assert str(doc.docinfo["/ModDate"]).startswith("D:" + modified[:10].replace("-", ""))
        assert xmp_value(tree, "dc:title") == str(doc.docinfo["/Title"])
        # TrimBox on every page; nothing bleeds, so it is the MediaBox.
        for page in doc.pages:
            assert [float(v) for v in page.obj.TrimBox] == [float(v) for v in page.obj.MediaBox]
        # Colour: no RGB anywhere in page content.
        for page in doc.pages:
            ops = {str(op) for _, op in pikepdf.parse_content_stream(page.obj)}
            assert not ops & {"rg", "RG"}
        # Fonts: each program once; its subset tag belongs to it alone.
        seen: dict[bytes, tuple[int, int]] = {}
        names: dict[str, bytes] = {}
        for obj in doc.objects:
            if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/FontDescriptor":
                program = obj.get("/FontFile2") or obj.get("/FontFile3") or obj.get("/FontFile")
                assert program is not None, "font not embedded"
                digest = hashlib.sha256(program.read_bytes()).digest()
                assert seen.setdefault(digest, program.objgen) == program.objgen, "a font program written twice"
                tag = str(obj.FontName)[1:7]
                assert names.setdefault(tag, digest) == digest, f"subset tag {tag} on two font programs"
                tags[digest] = tag
        # PDF/VT record metadata: one document part per piece, CIP4 style.
        if vt:
            leaves = list(doc.Root.DPartRoot.DPartRootNode.DParts[0])
            assert int(doc.Root.DPartRoot.RecordLevel) == 1
            assert [str(leaf.DPM.CIP4_Root.CIP4_Recipient.CIP4_UniqueID) for leaf in leaves] == [
                r["piece_id"] for r in rows]  # fmt: skip
            pages = {p.obj.objgen: n for n, p in enumerate(doc.pages, start=1)}
            assert [(pages[leaf.Start.objgen], pages[leaf.End.objgen]) for leaf in leaves] == [
                (int(r["first_page"]), int(r["last_page"])) for r in rows]  # fmt: skip
    return tags


def colour_problems(pdf_path: Path) -> list[str]:
    """Every colour the file paints that is not K-only black/grey or the label's named spot red: RGB or
    CMYK operators with C, M or Y ink, colour spaces other than DeviceGray and the spot, colour images."""
    from letters.press.finish import SPOT_RED, SPOT_RED_CMYK

    problems: list[str] = []

    def space_ok(space: object) -> bool:
        if isinstance(space, pikepdf.Name):
            return str(space) in ("/DeviceGray", "/Pattern")
        if isinstance(space, pikepdf.Array) and str(space[0]) == "/Separation":
            return str(space[1]) == f"/{SPOT_RED}" and str(space[2]) == "/DeviceCMYK" and [
                float(v) for v in space[3].C1] == list(SPOT_RED_CMYK)  # fmt: skip
        return False

    def walk(owner: pikepdf.Object, where: str, seen: set[tuple[int, int]]) -> None:
        resources = owner.get("/Resources", pikepdf.Dictionary())
        spaces = resources.get("/ColorSpace", pikepdf.Dictionary())
        for operands, op in pikepdf.parse_content_stream(owner):
            name = str(op)
            if name in ("rg", "RG"):
                problems.append(f"{where}: RGB {name} {[float(v) for v in operands]}")
            elif name in ("k", "K") and any(float(v) for v in operands[:3]):
                problems.append(f"{where}: CMYK {name} {[float(v) for v in operands]} (not K only)")
            elif name in ("cs", "CS") and not space_ok(spaces.get(str(operands[0]), operands[0])):
                problems.append(f"{where}: {name} {operands[0]} = {spaces.get(str(operands[0]))!r}")
        for name, xobject in resources.get("/XObject", pikepdf.Dictionary()).items():
            if xobject.objgen in seen:
                continue
            seen.add(xobject.objgen)
            if xobject.get("/Subtype") == "/Form":
                walk(xobject, f"{where} form {name}", seen)
            elif (xobject.get("/Subtype") == "/Image" and not xobject.get("/ImageMask", False)
                  and not space_ok(xobject.get("/ColorSpace"))):  # fmt: skip
                problems.append(f"{where}: image {name} in {xobject.get('/ColorSpace')!r}")

    with pikepdf.open(pdf_path) as doc:
        seen: set[tuple[int, int]] = set()
        for n, page in enumerate(doc.pages, start=1):
            walk(page.obj, f"{pdf_path.name} page {n}", seen)
    return problems


@pytest.fixture(scope="module")
def recall_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 24A07 (safety recall) proof mailing with envelopes, full renderer; returns the run folder."""
    from letters.campaign import load_campaign
    from letters.sample import generate

    tmp = tmp_path_factory.mktemp("recall-press")
    as_of = date(2024, 5, 1)
    files = generate(load_campaign("24A07", as_of=as_of).campaign, tmp, 60, seed=21)
    (run,) = mail("24A07", options(tmp, (files.vehicles, files.owners), as_of=as_of, batch_size=25, proof=True,
                                   renderer="full")).runs  # fmt: skip
    return run.folder


def test_batches_and_envelopes_are_pdfvt1_on_pdfx4(pressed: Path, recall_run: Path) -> None:
    """The vendor's checks on a 23LJ01 batch and a 24A07 batch with its envelopes."""
    tags: dict[bytes, str] = {}
    for folder in (pressed, recall_run):
        rows = manifest(folder)
        for name in sorted({r["file"] for r in rows})[:2]:
            found = check_pdfvt(folder / name, [r for r in rows if r["file"] == name])
            for digest, tag in found.items():
                assert tags.setdefault(digest, tag) == tag
        job = json.loads((folder / "job.json").read_text())
        assert job["conformance"]["pdfx"] == "PDF/X-4" and job["conformance"]["pdfvt"] == "PDF/VT-1"
        assert job["conformance"]["output_intent"]["sha256"] == hashlib.sha256(PROFILE.read_bytes()).hexdigest()
    envelopes = json.loads((recall_run / "job.json").read_text())["envelopes"]
    assert envelopes
    for name in envelopes.values():
        check_pdfvt(recall_run / name, [], vt=False)
    # K-only black and the spot red: every colour operator, colour space and image of every file.
    files = [f for folder in (pressed, recall_run) for f in sorted(folder.glob("*.pdf"))]
    assert {f.name for f in files} >= {"batch-0001.pdf", *envelopes.values()}
    assert [problem for f in files for problem in colour_problems(f)] == []
    # Across both campaigns' files a tag names one font program.
    assert len(set(tags.values())) == len(tags)


def test_shipped_profile_has_its_licence() -> None:
    """A permissively licensed profile (Zlib, from Debian's icc-profiles-free FOGRA29 data), its source data
    and licence beside it; an uncoated CMYK output profile, as the output intent says."""
    licence = (PROFILE.parent / "LICENSE").read_text(encoding="utf-8")
    assert "License: Zlib" in licence and "Permission is granted to anyone to use this software" in licence
    assert hashlib.sha256(PROFILE.read_bytes()).hexdigest() in licence and "AFFERO" not in licence.upper()
    assert sorted(p.name for p in PROFILE.parent.iterdir()) == ["FOGRA29L.ti3", "LICENSE", PROFILE.name]
    assert 'DESCRIPTOR       "FOGRA29"' in (PROFILE.parent / "FOGRA29L.ti3").read_text(encoding="utf-8")
    data = PROFILE.read_bytes()
    assert data[12:16] == b"prtr" and data[16:20] == b"CMYK" and OUTPUT_CONDITION.encode() in data
    assert int.from_bytes(data[56:64], "big") & 0b10  # device attributes: matte (uncoated stock), not glossy


@pytest.mark.parametrize("run", ["pressed", "recall_run"])
def test_imb_keeps_its_clear_zone_inside_the_window(run: str, request: pytest.FixtureRequest) -> None:
    """The bars with USPS-B-3200's clear zone lie inside the window's 1/8 in clearance and below the address,
    on a 23LJ01 batch and a 24A07 one (its Spanish and bilingual letters too)."""

    folder: Path = request.getfixturevalue(run)
    rows = manifest(folder)
    for row in [rows[0], *[r for r in rows if r["language"] != "en"][:2]]:
        check_clear_zone(folder, row)


def check_clear_zone(pressed: Path, row: dict[str, str]) -> None:
    import pdfplumber

    with pdfplumber.open(pressed / row["file"]) as pdf:
        page = pdf.pages[int(row["first_page"]) - 1]
        bars = [
            r for r in page.rects if r["width"] < 2 and r["height"] > 2 and r["top"] > 2.5 * 72 and r["top"] < 3.2 * 72
        ]
        assert len(bars) == 65
        left, right = min(b["x0"] for b in bars) / 72, max(b["x1"] for b in bars) / 72
        top, bottom = min(b["top"] for b in bars) / 72, max(b["bottom"] for b in bars) / 72
        side, above = IMB_CLEAR_IN
        assert left - side >= 1.0 - 1e-3 and right + side <= 4.75 + 1e-3  # window 0.875-4.875 in, less 1/8 in
        assert bottom + above <= 3.0 + 1e-3  # window bottom 3.125 in, less 1/8 in
        assert bottom - top == pytest.approx(FULL_IN, abs=2e-3) and 0.125 <= FULL_IN <= 0.165
        address = [c for c in page.chars if 2.0 * 72 < c["top"] < top * 72 and c["x0"] < 4.875 * 72]
        assert address and max(c["bottom"] for c in address) / 72 <= top - above + 1e-3
