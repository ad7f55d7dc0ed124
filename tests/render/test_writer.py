"""The batch writer: a whole batch written as bytes, checked against full renders and vendors' needs."""

from __future__ import annotations

import dataclasses
import hashlib
import io
from datetime import date
from pathlib import Path

import pikepdf
import pytest
from pypdf import PdfReader

from letters.press import pdfbytes
from letters.press.finish import proof_ops, subset_tag
from letters.press.imb import bar_ops
from letters.press.marks import IMB_LEFT_IN, IMB_TOP_IN, PAYLOAD, datamatrix_ops
from letters.render import fast
from letters.render.pieces import BatchJob, PieceInput
from letters.render.workers import renderer_for
from tests.test_press import check_pdfvt, colour_problems

REVISION = date(2024, 1, 31)
BARS = "FADT" * 16 + "F"
ADDRESSES = [
    (("AVA WYATT TOWNE", "TO VAY AWRY 12"), "en"),
    (("LUIS ÁVILA OÑATE", "URB EL VEDADO"), "es"),
    (("A VERY LONG NAME " * 6, "1 MAIN ST"), "en"),  # wider than its box: the full renderer's
    (("RENÉE O'TOOLE-WÜST", "D'ARCY LÆTITIA ŒUVRE"), "es+en"),
    (("李小龍", "2 MAIN ST"), "en"),  # a glyph outside the subset: the full renderer's
    (("FIFI OFFICE AFFLUENT", "fine affluent office"), "en"),
]


def batch(tmp_path: Path, proof: bool = False, draft: bool = False, duplex: bool = True) -> BatchJob:
    pieces = tuple(
        PieceInput(
            f"23LJ01-5-0007-{i:06d}",
            f"JTJGKCEZ1RJ10{i:04d}",
            (*lines, "SAN JUAN PR 00907-1234"),
            lang,
            bars=BARS if i % 2 else "",
        )
        for i, (lines, lang) in enumerate(ADDRESSES, start=1)
    )
    return BatchJob("23LJ01", 5, 7, REVISION, date(2024, 2, 5), tmp_path / "batch-0007.pdf", pieces, duplex=duplex,
                    proof=proof, draft=draft)  # fmt: skip


def renderer() -> fast.FastRenderer:
    made = renderer_for("23LJ01", REVISION.isoformat(), "fast")
    assert isinstance(made, fast.FastRenderer)
    return made


@pytest.mark.parametrize(("proof", "draft", "duplex"), [(False, False, True), (True, False, True),
                                                         (False, True, False)])  # fmt: skip
def test_every_letter_matches_its_full_render_and_the_file_is_what_vendors_check(
    tmp_path: Path, proof: bool, draft: bool, duplex: bool
) -> None:
    job = batch(tmp_path, proof, draft, duplex)
    # verify_all: every letter's pages against its full render, text and pixels (raises on a difference)
    data, pages, placed, reasons, fallen = renderer().render_pdf(job, verify_all=True)
    assert sorted(reasons) == ["addr wider than its box", "glyph outside the embedded font"] and fallen == [2, 4]
    target = tmp_path / "batch.pdf"
    target.write_bytes(data)
    rows = [{"piece_id": p.piece_id, "first_page": str(p.first_page), "last_page": str(p.last_page)} for p in placed]
    check_pdfvt(target, rows)  # qpdf, Ghostscript, PDF/X-4 + PDF/VT-1, TrimBox, fonts once, DParts
    assert colour_problems(target) == []  # K-only black, no RGB, fallback pages included
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == pages == placed[-1].last_page
    assert [p.first_page for p in placed] == ([1, 3, 5, 7, 9, 11] if duplex else [1, 2, 3, 4, 6, 7])
    assert [(o.title, reader.get_destination_page_number(o) + 1) for o in reader.outline] == [
        (f"{p.piece_id} {piece.vin}", p.first_page) for p, piece in zip(placed, job.pieces, strict=True)]  # fmt: skip
    info = reader.metadata
    assert info is not None and info["/Title"] == "23LJ01 phase 5 batch 0007" and info["/Batch"] == "0007"
    assert info["/Subject"] == "Owner letters, 6 pieces" and info["/Campaign"] == "23LJ01" and info["/Phase"] == "5"
    assert info["/Revision"] == info["/Keywords"][-10:] == "2024-01-31" and info["/Producer"] == "letters"
    word = b"DRAFT" if draft else b"PROOF" if proof else None
    with pikepdf.open(io.BytesIO(data)) as pdf:
        for n, page in enumerate(pdf.pages):
            content = page.obj.Contents.read_bytes()
            piece = next(p for p in placed if p.first_page <= n + 1 <= p.last_page)
            sheets = (
                -(-(piece.last_page - piece.first_page + 1) // 2) if duplex else piece.last_page - piece.first_page + 1
            )
            sheet = (n + 1 - piece.first_page) // 2 + 1 if duplex else n + 2 - piece.first_page
            assert datamatrix_ops(PAYLOAD.format(piece=piece.piece_id, sheet=sheet, sheets=sheets, batch=7)) in content
            imb = bar_ops(BARS, IMB_LEFT_IN * 72, IMB_TOP_IN * 72)
            assert (imb in content) == (n + 1 == piece.first_page and placed.index(piece) % 2 == 0)
            if word is not None:
                assert content.endswith(proof_ops(612, 792, word.decode()))
            else:
                assert proof_ops(612, 792) not in content and proof_ops(612, 792, "DRAFT") not in content
        forms = [o for o in pdf.objects if isinstance(o, pikepdf.Stream) and o.get("/Subtype") == "/Form"]
        # one Form XObject per template page used (the en and es templates), whatever the letters
        assert len(forms) == 2


def test_same_batch_twice_gives_the_same_bytes(tmp_path: Path) -> None:
    job = batch(tmp_path)
    first = renderer().render_pdf(job)[0]
    again = renderer().render_pdf(job)[0]  # the process's templates now have their resources read
    assert hashlib.sha256(first).hexdigest() == hashlib.sha256(again).hexdigest()
    other = renderer().render_pdf(dataclasses.replace(job, batch=8))[0]
    assert other != first


def test_another_process_writes_the_same_bytes(tmp_path: Path) -> None:
    import subprocess
    import sys

    script = (
        "import hashlib, sys; from pathlib import Path; from tests.render.test_writer import batch, renderer; "
        "sys.stdout.write(hashlib.sha256(renderer().render_pdf(batch(Path(sys.argv[1])))[0]).hexdigest())"
    )
    here = hashlib.sha256(renderer().render_pdf(batch(tmp_path))[0]).hexdigest()
    there = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True, check=True,
                           cwd=Path(__file__).resolve().parents[2])  # fmt: skip
    assert there.stdout == here


def test_reader_writes_identical_objects_once_and_relocates_them() -> None:
    src = pikepdf.new()
    program = src.make_stream(b"font program bytes")
    descriptors = [
        src.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.FontDescriptor, FontName=pikepdf.Name("/ABCDEF+Sans"),
                                             FontFile2=src.make_stream(b"font program bytes")))
        for _ in range(2)
    ]  # fmt: skip
    other = src.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.FontDescriptor, FontName=pikepdf.Name("/Sans"),
                                                 FontFile2=program, Flags=4))  # fmt: skip
    reader = pdfbytes.Reader()
    a, b, c = (reader.unit(d) for d in (*descriptors, other))
    assert a.key == b.key != c.key  # identical objects, one key; their programs one object
    tag = pikepdf.Name("/ABCDEF+Sans")
    assert tag.unparse() not in a.body.parts[0]  # retagged from the program's bytes, as finish() tags it
    out = pdfbytes.PdfFile()
    root, pages = out.number(), out.number()
    numbers = [out.unit(u) for u in (a, b, c)]
    assert numbers[0] == numbers[1] != numbers[2]
    out.put(root, b"<</Type/Catalog/Pages %d 0 R/Fonts[%d 0 R %d 0 R]>>" % (pages, *numbers[1:]))
    out.put(pages, b"<</Type/Pages/Kids[]/Count 0>>")
    info = out.number()
    out.put(info, b"<</Title %s>>" % pdfbytes.literal("a (tricky) \\ title é"))
    data = out.finish(root, info)
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert str(pdf.docinfo.Title) == "a (tricky) \\ title é"
        first, second = pdf.Root.Fonts
        assert first.FontFile2.objgen == second.FontFile2.objgen  # one program stream
        assert str(first.FontName) == f"/{subset_tag(b'font program bytes')}+Sans" == str(second.FontName)
        assert first.FontFile2.read_bytes() == b"font program bytes" and int(second.Flags) == 4


def test_pages_every_piece_does_not_cover_are_refused() -> None:
    from letters.press.marks import PieceMarks
    from letters.press.writer import BLANK, BatchFile, write_batch

    meta = BatchFile("t", "23LJ01", 5, 1, REVISION, ())
    assert write_batch(meta, [BLANK, BLANK], [PieceMarks("p1", "v1", 1, 1), PieceMarks("p2", "v2", 2, 2)])
    for pieces in ([PieceMarks("p1", "v1", 1, 1)], [PieceMarks("p1", "v1", 1, 1), PieceMarks("p2", "v2", 3, 3)], []):
        with pytest.raises(ValueError, match="do not cover"):
            write_batch(meta, [BLANK, BLANK], pieces)


def test_a_number_never_written_is_refused() -> None:
    out = pdfbytes.PdfFile()
    root, _ = out.number(), out.number()
    out.put(root, b"<</Type/Catalog>>")
    with pytest.raises(ValueError, match="object 2 was numbered but never written"):
        out.finish(root, root)


def test_reader_refuses_a_document_dragged_in() -> None:
    src = pikepdf.new()
    src.add_blank_page()
    with pytest.raises(ValueError, match="cannot be copied"):
        pdfbytes.Reader().unit(src.make_indirect(pikepdf.Dictionary(P=src.pages[0].obj)))
