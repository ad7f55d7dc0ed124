"""Finishing a batch file for the press: K-only black, an output intent, XMP, document parts.

- Black and greys are written in DeviceGray (``0 g``), never as RGB black, which a
  colour-managed press would print in four inks.
- An output intent names the printing condition (a registered characterization, so no
  profile needs embedding).
- XMP metadata repeats title, campaign, phase, batch and revision for tools that read XMP
  rather than the document information dictionary.
- PDF/VT-style document parts: a ``/DPartRoot`` whose record level holds one part per
  piece, with its page range and its piece ID and VIN as record metadata (``/DPM``), so a
  vendor's workflow can split and reconcile the file by recipient without the manifest.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import pikepdf
from pikepdf.models.metadata import PdfMetadata

from letters.press.marks import PieceMarks

XMP_NS = "https://github.com/letters/ns/mailing/1.0/"
"""Namespace of the mailing's own XMP properties."""
OUTPUT_CONDITION = "CGATS TR 001"
"""Registered characterization (SWOP) named by the output intent."""

PdfMetadata.register_xml_namespace(XMP_NS, "letters")


def gray_content(operations: Sequence[Any]) -> list[Any]:
    """``operations`` (parsed content) with every neutral RGB colour (r = g = b) turned into DeviceGray."""
    out: list[Any] = []
    for instruction in operations:
        operands, operator = instruction[0], instruction[1]
        name = str(operator)
        if name in ("rg", "RG") and len(operands) == 3:
            r, g, b = (float(x) for x in operands)
            if r == g == b:
                out.append(([r], pikepdf.Operator("g" if name == "rg" else "G")))
                continue
        out.append(instruction)
    return out


def gray_stream(pdf: pikepdf.Pdf, owner: pikepdf.Object) -> bytes:
    """The content of a page or form XObject with neutral RGB colours in DeviceGray."""
    return pikepdf.unparse_content_stream(gray_content(pikepdf.parse_content_stream(owner)))


def gray_pages(pdf: pikepdf.Pdf) -> None:
    """Rewrite each page's content (WeasyPrint writes black as RGB) in DeviceGray."""
    for page in pdf.pages:
        page.obj.Contents = pdf.make_stream(gray_stream(pdf, page.obj))


def finish(pdf: pikepdf.Pdf, title: str, campaign: str, phase: int, batch: int, revision: date,
           pieces: Sequence[PieceMarks]) -> None:  # fmt: skip
    """Output intent, XMP and document parts on a batch file about to be saved."""
    pdf.Root.OutputIntents = pikepdf.Array([pikepdf.Dictionary(
        Type=pikepdf.Name.OutputIntent, S=pikepdf.Name.GTS_PDFX, OutputConditionIdentifier=OUTPUT_CONDITION,
        RegistryName="http://www.color.org", Info="Black (K) only on uncoated stock; characterization CGATS TR 001",
    )])  # fmt: skip
    with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
        meta["dc:title"] = title
        meta["pdf:Producer"] = "letters"
        meta["xmp:CreateDate"] = revision.isoformat()
        meta[f"{{{XMP_NS}}}campaign"] = campaign
        meta[f"{{{XMP_NS}}}phase"] = str(phase)
        meta[f"{{{XMP_NS}}}batch"] = f"{batch:04d}"
        meta[f"{{{XMP_NS}}}revision"] = revision.isoformat()
    _document_parts(pdf, pieces)


def _document_parts(pdf: pikepdf.Pdf, pieces: Sequence[PieceMarks]) -> None:
    root_node = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.DPart))
    leaves = []
    pages = [page.obj for page in pdf.pages]  # indexing pdf.pages walks the page tree each time
    for piece in pieces:
        first, last = pages[piece.first_page - 1], pages[piece.last_page - 1]
        leaf = pdf.make_indirect(pikepdf.Dictionary(
            Type=pikepdf.Name.DPart, Parent=root_node, Start=first, End=last,
            DPM=pikepdf.Dictionary(PieceID=piece.piece_id, VIN=piece.vin),
        ))  # fmt: skip
        for number in range(piece.first_page, piece.last_page + 1):
            pages[number - 1].DPart = leaf
        leaves.append(leaf)
    root_node.DParts = pikepdf.Array([pikepdf.Array(leaves)])
    pdf.Root.DPartRoot = pikepdf.Dictionary(
        Type=pikepdf.Name.DPartRoot, DPartRootNode=root_node, RecordLevel=1,
        NodeNameList=pikepdf.Array([pikepdf.Name.Batch, pikepdf.Name.Piece]),
    )  # fmt: skip
