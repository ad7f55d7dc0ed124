"""A print vendor's preflight of real ``letters mail`` batch files, both renderers, from the CLI."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pdfplumber
import pikepdf
import pypdf
import pytest
import zxingcpp
from lxml import etree
from PIL import Image

LETTERS = [sys.executable, "-m", "letters"]
AS_OF = "2026-12-01"
PDFX, PDFVT, PDF = "http://www.npes.org/pdfx/ns/id/", "http://www.npes.org/pdfvt/ns/id/", "http://ns.adobe.com/pdf/1.3/"
BARS = {(205.0, 214.0): "F", (205.0, 211.2): "A", (207.8, 214.0): "D", (207.8, 211.2): "T"}


def _cli(*args: str) -> str:
    return subprocess.run([*LETTERS, *args], check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Phase 5 of 40 generated vehicles (some owners in Puerto Rico: bilingual letters), mailed fast and full."""
    tmp = tmp_path_factory.mktemp("vendor")
    _cli("sample-data", "23LJ01", "--vehicles", "40", "--seed", "3", "-o", str(tmp))
    owners = tmp / "23LJ01-owners.csv"
    rows = list(csv.DictReader(owners.open(encoding="utf-8")))
    for row in rows[::3]:
        row.update({"City": "Aguadilla", "State": "PR", "ZIP": "00603"})
    with owners.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    out = {}
    for renderer in ("fast", "full"):
        ticket = json.loads(_cli(
            "mail", "23LJ01", "--phase", "5", "--vehicles", str(tmp / "23LJ01-vehicles.csv"), "--owners", str(owners),
            "--as-of", AS_OF, "--batch-size", "4", "--workers", "1", "--renderer", renderer, "--quiet", "--json",
            "--ledger", str(tmp / f"{renderer}.sqlite"), "-o", str(tmp / renderer),
        ))  # fmt: skip
        (run,) = ticket["runs"]
        out[renderer] = Path(run["folder"])
        out[f"{renderer}-ledger"] = tmp / f"{renderer}.sqlite"
    return out


def _manifest(run: Path) -> list[dict[str, str]]:
    return list(csv.DictReader((run / "manifest.csv").open(encoding="utf-8")))


def _batches(run: Path) -> list[Path]:
    return sorted(run.glob("batch-*.pdf"))


@pytest.mark.parametrize("renderer", ["fast", "full"])
def test_qpdf_ghostscript_pypdf_and_pikepdf_take_every_batch(runs: dict[str, Path], renderer: str) -> None:
    for pdf in _batches(runs[renderer]):
        qpdf = subprocess.run(["qpdf", "--check", str(pdf)], capture_output=True, text=True)
        assert qpdf.returncode == 0 and "WARNING" not in qpdf.stdout + qpdf.stderr, qpdf.stdout
        gs = subprocess.run(["gs", "-q", "-dNOPAUSE", "-dBATCH", "-sDEVICE=nullpage", "-dPDFSTOPONERROR",
                             "-dPDFSTOPONWARNING", str(pdf)], capture_output=True, text=True)  # fmt: skip
        assert (gs.returncode, gs.stdout + gs.stderr) == (0, ""), pdf
        assert len(pypdf.PdfReader(pdf, strict=True).pages) == len(pikepdf.open(pdf).pages)


@pytest.mark.parametrize("renderer", ["fast", "full"])
def test_identification_intent_and_boxes(runs: dict[str, Path], renderer: str) -> None:
    for pdf_path in _batches(runs[renderer]):
        with pikepdf.open(pdf_path) as pdf:
            trapped = pdf.docinfo["/Trapped"]
            assert isinstance(trapped, pikepdf.Name) and str(trapped) == "/False"
            assert pdf.pdf_version == "1.6"
            xmp = etree.fromstring(pdf.Root.Metadata.read_bytes())
            for ns, name, value in ((PDFX, "GTS_PDFXVersion", "PDF/X-4"), (PDFVT, "GTS_PDFVTVersion", "PDF/VT-1"),
                                    (PDF, "Trapped", "False")):  # fmt: skip
                read = xmp.xpath(f"//@n:{name}|//n:{name}/text()", namespaces={"n": ns})
                assert [str(v) for v in read] == [value], name
            (intent,) = pdf.Root.OutputIntents
            assert intent.S == "/GTS_PDFX" and str(intent.OutputConditionIdentifier) == "FOGRA29"
            assert int(intent.DestOutputProfile.N) == 4
            for page in pdf.pages:
                assert list(page.obj.TrimBox) == list(page.obj.MediaBox) == [0, 0, 612, 792]


@pytest.mark.parametrize("renderer", ["fast", "full"])
def test_no_bleedbox_since_nothing_bleeds(runs: dict[str, Path], renderer: str) -> None:
    """README: "a TrimBox on every page (the MediaBox: nothing bleeds, so no BleedBox)"."""
    for pdf_path in _batches(runs[renderer]):
        with pikepdf.open(pdf_path) as pdf:
            assert [n for n, p in enumerate(pdf.pages, 1) if "/BleedBox" in p.obj] == [], pdf_path.name


@pytest.mark.parametrize("renderer", ["fast", "full"])
def test_document_parts_cover_the_manifest_page_ranges(runs: dict[str, Path], renderer: str) -> None:
    rows = _manifest(runs[renderer])
    for pdf_path in _batches(runs[renderer]):
        mine = [r for r in rows if r["file"] == pdf_path.name]
        with pikepdf.open(pdf_path) as pdf:
            number = {p.obj.objgen: n for n, p in enumerate(pdf.pages, 1)}
            node = pdf.Root.DPartRoot.DPartRootNode
            (leaves,) = node.DParts
            got = [(number[leaf.Start.objgen], number[leaf.End.objgen],
                    str(leaf.DPM.CIP4_Root.CIP4_Recipient.CIP4_UniqueID), str(leaf.DPM.CIP4_Root.LTRS_Vehicle.LTRS_VIN))
                   for leaf in leaves]  # fmt: skip
            assert got == [(int(r["first_page"]), int(r["last_page"]), r["piece_id"], r["vin"]) for r in mine]
            for n, page in enumerate(pdf.pages, 1):
                leaf = page.obj.DPart
                assert number[leaf.Start.objgen] <= n <= number[leaf.End.objgen]


@pytest.mark.parametrize("renderer", ["fast", "full"])
def test_document_part_root_node_has_its_parent(runs: dict[str, Path], renderer: str) -> None:
    """ISO 32000-2 Table 409 (Arlington DPart.tsv): Parent is required of every DPart, the root node's the DPartRoot."""
    for pdf_path in _batches(runs[renderer]):
        with pikepdf.open(pdf_path) as pdf:
            root = pdf.Root.DPartRoot
            assert "/Parent" in root.DPartRootNode, pdf_path.name
            assert root.DPartRootNode.Parent.objgen == root.objgen != (0, 0)


@pytest.mark.parametrize("renderer", ["fast", "full"])
def test_one_bookmark_per_letter(runs: dict[str, Path], renderer: str) -> None:
    """README: "one bookmark per letter (`piece ID VIN`)", at the letter's first page (a bilingual one too)."""
    rows = _manifest(runs[renderer])
    assert any(r["language"] == "es+en" for r in rows)
    for pdf_path in _batches(runs[renderer]):
        mine = [r for r in rows if r["file"] == pdf_path.name]
        with pikepdf.open(pdf_path) as pdf, pdf.open_outline() as outline:
            number = {p.obj.objgen: n for n, p in enumerate(pdf.pages, 1)}
            got = [(str(i.title), number[i.destination[0].objgen]) for i in outline.root]
        assert got == [(f"{r['piece_id']} {r['vin']}", int(r["first_page"])) for r in mine], pdf_path.name


@pytest.mark.parametrize("renderer", ["fast", "full"])
def test_fonts_embedded_once_with_subset_tags_and_no_rgb(runs: dict[str, Path], renderer: str) -> None:
    for pdf_path in _batches(runs[renderer]):
        with pikepdf.open(pdf_path) as pdf:
            programs: dict[str, set[tuple[int, int]]] = {}
            for obj in pdf.objects:
                if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/FontDescriptor":
                    (key,) = [k for k in ("/FontFile", "/FontFile2", "/FontFile3") if k in obj]
                    assert re.fullmatch(r"/[A-Z]{6}\+.+", str(obj.FontName))
                    programs.setdefault(str(obj.FontName), set()).add(obj[key].objgen)
                if isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
                    assert str(obj.get("/ColorSpace", "")) not in ("/DeviceRGB", "/CalRGB")
                if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") in (None, "/Form"):
                    data = obj.read_bytes()
                    assert not re.search(rb"[\d.]+\s+[\d.]+\s+[\d.]+\s+(rg|RG)\b", data), obj.objgen
            assert programs and all(len(v) == 1 for v in programs.values())
            digests = Counter(pdf.get_object(og).read_bytes() for v in programs.values() for og in v)
            assert max(digests.values()) == 1  # one program under one tag


@pytest.mark.parametrize("renderer", ["fast", "full"])
def test_datamatrix_and_imb_read_back_as_the_manifest_says(runs: dict[str, Path], renderer: str,
                                                           tmp_path: Path) -> None:  # fmt: skip
    run = runs[renderer]
    rows = _manifest(run)
    job = json.loads((run / "job.json").read_text())
    for pdf_path in _batches(run):
        stem = tmp_path / pdf_path.stem
        subprocess.run(["pdftoppm", "-png", "-r", "200", "-x", "30", "-y", "2030", "-W", "130", "-H", "130",
                        str(pdf_path), str(stem)], check=True)  # fmt: skip
        pngs = sorted(tmp_path.glob(f"{pdf_path.stem}-*.png"))
        with pdfplumber.open(pdf_path) as pdf:
            assert len(pngs) == len(pdf.pages)
            for r in (r for r in rows if r["file"] == pdf_path.name):
                first, last = int(r["first_page"]), int(r["last_page"])
                for n in range(first, last + 1):
                    sheet = (n - first) // 2 + 1 if job["duplex"] else n - first + 1
                    read = [b.text for b in zxingcpp.read_barcodes(Image.open(pngs[n - 1]))]
                    assert read == [f"{r['piece_id']}|{sheet}/{r['sheets']}|{int(r['batch']):04d}"]
                    bars = sorted((x for x in pdf.pages[n - 1].rects if 150 < x["top"] < 230 and x["width"] < 2),
                                  key=lambda x: x["x0"])  # fmt: skip
                    word = "".join(BARS[(round(x["top"], 1), round(x["bottom"], 1))] for x in bars)
                    assert word == (r["imb"] if n == first else "")


def test_manifest_ticket_and_ledger_reconcile(runs: dict[str, Path]) -> None:
    run = runs["fast"]
    rows = _manifest(run)
    job = json.loads((run / "job.json").read_text())
    assert len({r["piece_id"] for r in rows}) == len({r["vin"] for r in rows}) == len(rows) == job["letters"]
    assert sum(int(r["pages"]) for r in rows) == job["pages"]
    assert sum(int(r["sheets"]) for r in rows) == job["sheets"]
    assert all(int(r["pages"]) % 2 == 0 and int(r["sheets"]) * 2 == int(r["pages"]) for r in rows)
    for f in job["files"]:
        assert len(pypdf.PdfReader(run / f["name"]).pages) == f["pages"]
        assert f["letters"] == sum(1 for r in rows if r["file"] == f["name"])
    ledger = str(runs["fast-ledger"])
    (status,) = [s for s in json.loads(_cli("status", "23LJ01", "--ledger", ledger, "--as-of", AS_OF, "--json"))
                 if s["phase"] == 5]  # fmt: skip
    assert status["mailed"] == job["letters"] and status["in_progress"] == 0
    (listed,) = json.loads(_cli("runs", "23LJ01", "--ledger", ledger, "--json"))
    assert (listed["state"], listed["pieces"], listed["pieces_done"]) == ("finished", job["letters"], job["letters"])
    assert listed["batches_done"] == listed["batches_total"] == len(job["files"])


def test_fast_and_full_batches_print_the_same_words_in_the_same_places(runs: dict[str, Path]) -> None:
    fast, full = _manifest(runs["fast"]), _manifest(runs["full"])
    key = ["piece_id", "vin", "file", "first_page", "last_page", "language"]
    assert [[r[k] for k in key] for r in fast] == [[r[k] for k in key] for r in full]
    for a_path, b_path in zip(_batches(runs["fast"]), _batches(runs["full"]), strict=True):
        with pdfplumber.open(a_path) as a, pdfplumber.open(b_path) as b:
            assert len(a.pages) == len(b.pages)
            for n, (pa, pb) in enumerate(zip(a.pages, b.pages, strict=True), 1):
                wa = [(w["text"], round(w["x0"], 1), round(w["top"], 1)) for w in pa.extract_words()]
                wb = [(w["text"], round(w["x0"], 1), round(w["top"], 1)) for w in pb.extract_words()]
                assert wa == wb, f"{a_path.name} page {n}"


def test_fast_renderer_fallback_pages_have_no_bleedbox(tmp_path: Path) -> None:
    """Letters the fast renderer hands to the full one keep their TrimBox but not WeasyPrint's BleedBox."""
    from tests.render.test_writer import batch, renderer

    data, _, _, reasons, fallen = renderer().render_pdf(batch(tmp_path))
    assert "glyph outside the embedded font" in reasons and fallen
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert [n for n, p in enumerate(pdf.pages, 1) if "/BleedBox" in p.obj] == []
        assert all(list(p.obj.TrimBox) == list(p.obj.MediaBox) for p in pdf.pages)


def test_recall_proof_envelopes_and_batches_pass_the_preflight(tmp_path: Path) -> None:
    """24A07 as a proof (placeholder logos): envelopes and batches pass qpdf and gs, claim PDF/X-4, no BleedBox."""
    _cli("sample-data", "24A07", "--vehicles", "30", "--seed", "2", "-o", str(tmp_path))
    ticket = json.loads(_cli(
        "mail", "24A07", "--phase", "1", "--proof", "--vehicles", str(tmp_path / "24A07-vehicles.csv"),
        "--owners", str(tmp_path / "24A07-owners.csv"), "--workers", "1", "--quiet", "--json",
        "--ledger", str(tmp_path / "ledger.sqlite"), "-o", str(tmp_path / "out"),
    ))  # fmt: skip
    (run,) = ticket["runs"]
    folder = Path(run["folder"])
    assert run["proof"] is True and set(run["envelopes"].values()) == {p.name for p in folder.glob("envelope-*.pdf")}
    for pdf_path in sorted(folder.glob("*.pdf")):
        assert subprocess.run(["qpdf", "--check", str(pdf_path)], capture_output=True).returncode == 0
        gs = subprocess.run(["gs", "-q", "-dNOPAUSE", "-dBATCH", "-sDEVICE=nullpage", "-dPDFSTOPONERROR",
                             "-dPDFSTOPONWARNING", str(pdf_path)], capture_output=True, text=True)  # fmt: skip
        assert (gs.returncode, gs.stdout + gs.stderr) == (0, ""), pdf_path.name
        with pikepdf.open(pdf_path) as pdf:
            assert str(pdf.docinfo["/Trapped"]) == "/False" and pdf.pdf_version == "1.6"
            xmp = etree.fromstring(pdf.Root.Metadata.read_bytes())
            assert [str(v) for v in xmp.xpath("//@n:GTS_PDFXVersion|//n:GTS_PDFXVersion/text()",
                                              namespaces={"n": PDFX})] == ["PDF/X-4"]  # fmt: skip
            for page in pdf.pages:
                assert "/BleedBox" not in page.obj and list(page.obj.TrimBox) == list(page.obj.MediaBox)
