"""Finishing a file for the press: PDF/X-4 (ISO 15930-7) and, for batch files, PDF/VT-1 (ISO 16612-2).

- PDF 1.6, with an output intent whose DestOutputProfile is an embedded CMYK ICC profile
  (``profiles/letters_cmyk_fogra29l.icc``, FOGRA29 uncoated, built from the Zlib-licensed data
  of Debian's icc-profiles-free; how, and the licence, in ``profiles/LICENSE``). Every colour
  is device CMYK or gray, or a named spot colour with a CMYK alternate, all under that intent:
  black and greys in DeviceGray (``0 g``), which prints K only, never as RGB black, which a
  colour-managed press would print in four inks.
- XMP identification: ``pdfxid:GTS_PDFXVersion`` PDF/X-4, ``pdfvtid:GTS_PDFVTVersion``
  PDF/VT-1 (batch files), ``xmpMM:DocumentID``/``InstanceID``/``VersionID``/
  ``RenditionClass``, ``pdf:Trapped`` False (also in the document information), creation,
  modification and metadata dates; title, campaign, phase, batch and revision.
- A TrimBox on every page, equal to the MediaBox (letters and envelope fronts are printed
  to the sheet's size and nothing bleeds, so there is no BleedBox).
- Each font program written once per file (identical embedded programs share one stream,
  identical font dictionaries one object) and its subset tag derived from the program's
  bytes, so a tag names one font program whatever file it is in.
- PDF/VT document parts: a ``/DPartRoot`` whose record level holds one part per piece, with
  its page range and CIP4-style record metadata (``/DPM /CIP4_Root /CIP4_Recipient
  /CIP4_UniqueID`` the piece ID; the VIN as ``/CIP4_Root /LTRS_Vehicle /LTRS_VIN``, a
  second-class name), so a vendor's workflow can split and reconcile the file by recipient.
- ``--proof`` runs: PROOF stamped in outline on every page (vector paths, K only).
"""

from __future__ import annotations

import hashlib
import io
import uuid
import warnings
from collections.abc import Iterable, Sequence
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import pikepdf
from pikepdf.models.metadata import PdfMetadata

from letters.press.marks import PieceMarks

XMP_NS = "https://github.com/letters/ns/mailing/1.0/"
"""Namespace of the mailing's own XMP properties."""
PDFX_NS = "http://www.npes.org/pdfx/ns/id/"
PDFVT_NS = "http://www.npes.org/pdfvt/ns/id/"
PDF_VERSION = "1.6"
"""PDF/X-4 and PDF/VT-1 are PDF 1.6."""
PROFILE = Path(__file__).resolve().parent / "profiles" / "letters_cmyk_fogra29l.icc"
"""The output intent's embedded destination profile (built from FOGRA29 data, Zlib; profiles/LICENSE)."""
OUTPUT_CONDITION = "Letters CMYK FOGRA29L uncoated"
"""The profile's description: the printing condition the output intent names."""
OUTPUT_CONDITION_ID = "FOGRA29"
"""The condition's name in the ICC characterization data registry (ISO 12647-2:2004, uncoated paper)."""
SAVE: dict[str, Any] = {"compress_streams": True, "object_stream_mode": pikepdf.ObjectStreamMode.generate,
                        "deterministic_id": True, "force_version": PDF_VERSION}  # fmt: skip
"""How a finished file is saved (both renderers): PDF 1.6, a file ID from the content (deterministic)."""
SPOT_RED = "LabelRed"
"""The envelope label's red, a named spot colour (Separation) with a CMYK alternate."""
SPOT_RED_CMYK = (0.0, 1.0, 1.0, 0.0)
"""The spot's CMYK alternate (process red)."""

PdfMetadata.register_xml_namespace(XMP_NS, "letters")
PdfMetadata.register_xml_namespace(PDFX_NS, "pdfxid")
PdfMetadata.register_xml_namespace(PDFVT_NS, "pdfvtid")


def conformance(vt: bool = True) -> dict[str, Any]:
    """What a finished file claims, as job.json states it."""
    return {
        "pdf_version": PDF_VERSION,
        "pdfx": "PDF/X-4",
        **({"pdfvt": "PDF/VT-1"} if vt else {}),
        "output_intent": {"profile": OUTPUT_CONDITION, "condition": OUTPUT_CONDITION_ID,
                          "file": f"letters/press/profiles/{PROFILE.name}",
                          "sha256": profile_sha256(), "colour": "K-only black (DeviceGray); the envelope label red "
                          f"as spot colour {SPOT_RED} (CMYK alternate {'/'.join(f'{v:g}' for v in SPOT_RED_CMYK)})"},
        "trapped": False,
        "boxes": "TrimBox = MediaBox on every page; nothing bleeds, so no BleedBox",
        **({"record_metadata": "DPartRoot, one DPart per piece; DPM CIP4_Root/CIP4_Recipient/CIP4_UniqueID = "
                                "piece_id, CIP4_Root/LTRS_Vehicle/LTRS_VIN = vin"} if vt else {}),
        "validated": "qpdf --check and Ghostscript in the test suite; no ISO PDF/X or PDF/VT validator is run",
    }  # fmt: skip


@cache
def profile_bytes() -> bytes:
    return PROFILE.read_bytes()


@cache
def profile_sha256() -> str:
    return hashlib.sha256(profile_bytes()).hexdigest()


def gray_content(operations: Sequence[Any], spot: str | None = None) -> list[Any]:
    """``operations`` (parsed content) with every neutral RGB colour (r = g = b) in DeviceGray; with ``spot``,
    the label red as that spot colour (``/spot cs 1 scn``) and any other RGB in DeviceCMYK."""
    out: list[Any] = []
    for instruction in operations:
        operands, operator = instruction[0], instruction[1]
        name = str(operator)
        if name in ("rg", "RG") and len(operands) == 3:
            r, g, b = (float(x) for x in operands)
            stroke = name == "RG"
            if r == g == b:
                out.append(([r], pikepdf.Operator("G" if stroke else "g")))
                continue
            if spot is not None:
                if g == b == 0 and r > 0.5:
                    out.append(([pikepdf.Name("/" + spot)], pikepdf.Operator("CS" if stroke else "cs")))
                    out.append(([1], pikepdf.Operator("SCN" if stroke else "scn")))
                else:
                    k = 1 - max(r, g, b)
                    cmy = [(1 - v - k) / (1 - k) for v in (r, g, b)]
                    out.append(([*cmy, k], pikepdf.Operator("K" if stroke else "k")))
                continue
        out.append(instruction)
    return out


def gray_stream(pdf: pikepdf.Pdf, owner: pikepdf.Object, spot: str | None = None) -> bytes:
    """The content of a page or form XObject with neutral RGB colours in DeviceGray."""
    return pikepdf.unparse_content_stream(gray_content(pikepdf.parse_content_stream(owner), spot))


def gray_pages(pdf: pikepdf.Pdf) -> None:
    """Rewrite each page's content (WeasyPrint writes black as RGB) in DeviceGray."""
    for page in pdf.pages:
        page.obj.Contents = pdf.make_stream(gray_stream(pdf, page.obj))


def spot_pages(pdf: pikepdf.Pdf) -> None:
    """Rewrite each page's content (the envelope) K-only black and the label red as the spot colour."""
    separation = pdf.make_indirect(pikepdf.Array([
        pikepdf.Name.Separation, pikepdf.Name("/" + SPOT_RED), pikepdf.Name.DeviceCMYK,
        pdf.make_indirect(pikepdf.Dictionary(FunctionType=2, Domain=[0, 1], C0=[0, 0, 0, 0],
                                             C1=list(SPOT_RED_CMYK), N=1)),
    ]))  # fmt: skip
    for page in pdf.pages:
        page.obj.Contents = pdf.make_stream(gray_stream(pdf, page.obj, SPOT_RED))
        if "/Resources" not in page.obj:
            page.obj.Resources = pikepdf.Dictionary()
        resources = page.obj.Resources
        if "/ColorSpace" not in resources:
            resources.ColorSpace = pikepdf.Dictionary()
        resources.ColorSpace[pikepdf.Name("/" + SPOT_RED)] = separation


# PROOF in outline strokes, in a box 1 unit high (x right, y up); letters 0.62 wide, 0.2 apart.
_GLYPHS = {
    "P": "0 0 m 0 1 l 0.42 1 l 0.7 1 0.7 0.5 0.42 0.5 c 0 0.5 l S",
    "R": "0 0 m 0 1 l 0.42 1 l 0.7 1 0.7 0.5 0.42 0.5 c 0 0.5 l S 0.36 0.5 m 0.62 0 l S",
    "O": "0.31 0 m 0.14 0 0 0.22 0 0.5 c 0 0.78 0.14 1 0.31 1 c 0.48 1 0.62 0.78 0.62 0.5 c "
    "0.62 0.22 0.48 0 0.31 0 c S",
    "F": "0 0 m 0 1 l 0.6 1 l S 0 0.52 m 0.45 0.52 l S",
    "D": "0 0 m 0 1 l 0.3 1 l 0.62 1 0.62 0.78 0.62 0.5 c 0.62 0.22 0.62 0 0.3 0 c 0 0 l S",
    "A": "0 0 m 0.31 1 l 0.62 0 l S 0.12 0.38 m 0.5 0.38 l S",
    "T": "0 1 m 0.62 1 l S 0.31 1 m 0.31 0 l S",
}


def proof_ops(width: float, height: float, word: str = "PROOF") -> bytes:
    """Content stamping ``word`` (PROOF or DRAFT) across a page ``width`` x ``height`` pt: K only, grey outline,
    diagonal."""
    import math

    size = min(width, height) * 0.22
    angle = math.atan2(height, width) if height > width else 0.0
    cos, sin = math.cos(angle), math.sin(angle)
    span = 5 * 0.62 + 4 * 0.2
    ops = [
        b"q 0.55 G 1 J 1 j",
        b"%.4f %.4f %.4f %.4f %.2f %.2f cm" % (cos, sin, -sin, cos, width / 2, height / 2),
        b"%.3f 0 0 %.3f %.3f %.3f cm %.4f w" % (size, size, -span * size / 2, -size / 2, 3 / size),
    ]
    for i, letter in enumerate(word):
        ops.append(b"q 1 0 0 1 %.2f 0 cm %s Q" % (i * 0.82, _GLYPHS[letter].encode()))
    return b"\n".join([*ops, b"Q\n"])


def stamp_proof(pdf: pikepdf.Pdf, word: str = "PROOF") -> None:
    """Stamp PROOF (or DRAFT) on every page, over its content."""
    for page in pdf.pages:
        box = [float(v) for v in page.obj.MediaBox]
        # The page's own content may leave its coordinate system changed (WeasyPrint's does): q/Q around it.
        page.contents_coalesce()
        own = page.obj.Contents.read_bytes()
        page.obj.Contents = pdf.make_stream(b"q\n" + own + b"\nQ\n" + proof_ops(box[2] - box[0], box[3] - box[1], word))


def _stamps(pdf: pikepdf.Pdf, proof: bool, draft: bool) -> None:
    """DRAFT across every page of a draft, PROOF across every page of a proof (a draft proof: DRAFT only)."""
    if draft:
        stamp_proof(pdf, "DRAFT")
    elif proof:
        stamp_proof(pdf)


def _iso(day: date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def prepress(pdf: pikepdf.Pdf, title: str, identity: str, revision: date, vt: bool,
             instance: Iterable[str] = (), properties: dict[str, str] | None = None) -> None:  # fmt: skip
    """PDF/X-4 finishing (PDF/VT-1 too with ``vt``): version, output intent, boxes, fonts and XMP.

    ``identity`` names the document (its XMP DocumentID is derived from it, so the same
    batch gets the same ID on every machine); ``instance`` (e.g. its piece IDs) tells one
    rendition from another.
    """
    pdf.Root.Version = pikepdf.Name("/" + PDF_VERSION)
    pdf.Root.OutputIntents = output_intents(pdf)
    for page in pdf.pages:
        page.obj.TrimBox = pikepdf.Array(list(page.obj.MediaBox))
    dedupe_fonts(pdf)
    identify(pdf, title, identity, revision, vt, instance, properties)


def output_intents(pdf: pikepdf.Pdf) -> pikepdf.Array:
    """The PDF/X output intent, its destination profile embedded in ``pdf``."""
    profile = pdf.make_stream(profile_bytes())
    profile.N = 4
    return pikepdf.Array([pikepdf.Dictionary(
        Type=pikepdf.Name.OutputIntent, S=pikepdf.Name.GTS_PDFX, OutputConditionIdentifier=OUTPUT_CONDITION_ID,
        OutputCondition=OUTPUT_CONDITION, RegistryName="http://www.color.org", DestOutputProfile=profile,
        Info=f"{OUTPUT_CONDITION} ({OUTPUT_CONDITION_ID}: ISO 12647-2:2004 paper type 4, white uncoated; the "
        "letters print in black, K only)",
    )])  # fmt: skip


def identify(pdf: pikepdf.Pdf, title: str, identity: str, revision: date, vt: bool,
             instance: Iterable[str] = (), properties: dict[str, str] | None = None) -> None:  # fmt: skip
    """The XMP identification (``prepress``) and ``/Trapped``, from ``pdf``'s document information."""
    document = uuid.uuid5(uuid.NAMESPACE_URL, f"letters:{identity}")
    digest = hashlib.sha256("\n".join(instance).encode()).hexdigest()
    rendition = uuid.uuid5(document, digest)
    pdf.docinfo[pikepdf.Name.Trapped] = pikepdf.Name("/False")  # not Name.False_, which writes /False_
    with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
        with warnings.catch_warnings():  # custom keys (Campaign, Batch...) have no XMP equivalent: kept in XMP below
            warnings.simplefilter("ignore")
            meta.load_from_docinfo(pdf.docinfo)
        meta["dc:title"] = title
        meta["pdf:Producer"] = "letters"
        meta["xmp:CreatorTool"] = "letters"
        meta["xmp:CreateDate"] = meta["xmp:ModifyDate"] = meta["xmp:MetadataDate"] = _iso(revision)
        meta["pdf:Trapped"] = "False"
        meta["xmpMM:DocumentID"] = f"uuid:{document}"
        meta["xmpMM:InstanceID"] = f"uuid:{rendition}"
        meta["xmpMM:VersionID"] = "1"
        meta["xmpMM:RenditionClass"] = "default"
        meta[f"{{{PDFX_NS}}}GTS_PDFXVersion"] = "PDF/X-4"
        if vt:
            meta[f"{{{PDFVT_NS}}}GTS_PDFVTVersion"] = "PDF/VT-1"
            meta[f"{{{PDFVT_NS}}}GTS_PDFVTModDate"] = _iso(revision)
        for key, value in (properties or {}).items():
            meta[f"{{{XMP_NS}}}{key}"] = value


def finish(pdf: pikepdf.Pdf, title: str, campaign: str, phase: int, batch: int, revision: date,
           pieces: Sequence[PieceMarks], proof: bool = False, draft: bool = False) -> None:  # fmt: skip
    """PDF/VT-1 on PDF/X-4 finishing of a batch file about to be saved (``SAVE``), PROOF stamps for a proof,
    DRAFT stamps for a draft."""
    _stamps(pdf, proof, draft)
    identity, properties = batch_identity(campaign, phase, batch, revision, proof, draft)
    prepress(pdf, title, identity, revision, True, [p.piece_id for p in pieces], properties)
    _document_parts(pdf, pieces)


def batch_identity(campaign: str, phase: int, batch: int, revision: date, proof: bool,
                   draft: bool) -> tuple[str, dict[str, str]]:  # fmt: skip
    """A batch file's identity (its XMP DocumentID is derived from it) and its own XMP properties."""
    properties = {"campaign": campaign, "phase": str(phase), "batch": f"{batch:04d}", "revision": revision.isoformat(),
                  **({"proof": "true"} if proof else {}), **({"draft": "true"} if draft else {})}  # fmt: skip
    return f"{campaign}/{revision.isoformat()}/phase-{phase}/batch-{batch:04d}", properties


def finish_envelope(data: bytes, title: str, identity: str, revision: date, proof: bool, draft: bool = False) -> bytes:
    """The envelope artwork as PDF/X-4: K-only black, the label red as a spot colour, PROOF for a proof (DRAFT for
    a draft)."""
    pdf = pikepdf.open(io.BytesIO(data))
    spot_pages(pdf)
    _stamps(pdf, proof, draft)
    marks = {**({"proof": "true"} if proof else {}), **({"draft": "true"} if draft else {})}
    prepress(pdf, title, identity, revision, False, [identity, str(proof), *(["draft"] if draft else [])], marks)
    buffer = io.BytesIO()
    pdf.save(buffer, **SAVE)
    return buffer.getvalue()


def subset_tag(program: bytes) -> str:
    """A subset tag (six capitals) from a font program's bytes: one tag per program."""
    value = int.from_bytes(hashlib.sha256(program).digest()[:8], "big")
    return "".join(chr(ord("A") + value // 26**i % 26) for i in range(6))  # base 26, lowest digit first


def retag(name: str, tag: str) -> str:
    base = name.lstrip("/")
    if len(base) > 7 and base[6] == "+" and base[:6].isupper():
        base = base[7:]
    return f"/{tag}+{base}"


def dedupe_fonts(pdf: pikepdf.Pdf) -> None:
    """Each embedded font program once per file, identical font dictionaries once, and subset tags from the
    program's bytes (so different programs never share a tag, in one file or across files)."""
    programs: dict[bytes, pikepdf.Object] = {}
    descriptors: list[pikepdf.Object] = []
    fonts: list[pikepdf.Object] = []
    for obj in pdf.objects:
        if not isinstance(obj, pikepdf.Dictionary):
            continue
        kind = obj.get("/Type")
        if kind == pikepdf.Name.FontDescriptor:
            descriptors.append(obj)
        elif kind == pikepdf.Name.Font:
            fonts.append(obj)
    for descriptor in descriptors:
        for key in ("/FontFile", "/FontFile2", "/FontFile3"):
            if key not in descriptor:
                continue
            data = descriptor[key].read_bytes()
            digest = hashlib.sha256(data).digest()
            keep = programs.setdefault(digest, descriptor[key])
            if keep.objgen != descriptor[key].objgen:
                descriptor[key] = keep
            if "/FontName" in descriptor:
                descriptor.FontName = pikepdf.Name(retag(str(descriptor.FontName), subset_tag(data)))
    for font in fonts:
        holder = font.DescendantFonts[0] if "/DescendantFonts" in font else font
        found = holder.get("/FontDescriptor")
        if found is not None and "/FontName" in found and "/BaseFont" in font and "+" in str(found.FontName):
            font.BaseFont = pikepdf.Name(retag(str(font.BaseFont), str(found.FontName)[1:7]))
    _merge_font_dicts(pdf, fonts)


def _canonical(obj: Any) -> Any:
    """A comparable form of a font object: direct values, streams by their bytes, indirect fonts by id."""
    if isinstance(obj, pikepdf.Stream):
        return ("stream", hashlib.sha256(obj.read_bytes()).hexdigest())
    if isinstance(obj, pikepdf.Dictionary):
        return tuple(sorted((k, _canonical(v)) for k, v in obj.items() if k != "/Parent"))
    if isinstance(obj, pikepdf.Array):
        return tuple(_canonical(v) for v in obj)
    return repr(obj)


def _merge_font_dicts(pdf: pikepdf.Pdf, fonts: list[pikepdf.Object]) -> None:
    """Point every font resource at one object per distinct font dictionary."""
    same: dict[Any, pikepdf.Object] = {}
    replace: dict[tuple[int, int], pikepdf.Object] = {}
    # Descendant (CID) fonts first, so Type0 fonts that differ only in which copy they point to compare equal.
    for font in sorted(fonts, key=lambda f: f.get("/Subtype") != pikepdf.Name.CIDFontType2):
        if not font.is_indirect:
            continue
        if "/DescendantFonts" in font:
            font.DescendantFonts = pikepdf.Array([replace.get(d.objgen, d) if d.is_indirect else d
                                                  for d in font.DescendantFonts])  # fmt: skip
        keep = same.setdefault(_canonical(font), font)
        if keep.objgen != font.objgen:
            replace[font.objgen] = keep
    if not replace:
        return

    def repoint(resources: Any) -> None:
        if isinstance(resources, pikepdf.Dictionary) and isinstance(resources.get("/Font"), pikepdf.Dictionary):
            table = resources.Font
            for name in list(table.keys()):
                value = table[name]
                if value.is_indirect and value.objgen in replace:
                    table[name] = replace[value.objgen]

    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
            repoint(obj)  # an indirect resource dictionary
            if "/Resources" in obj:
                repoint(obj.Resources)  # a page's or form XObject's own


def _document_parts(pdf: pikepdf.Pdf, pieces: Sequence[PieceMarks]) -> None:
    root_node = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.DPart))
    leaves = []
    pages = [page.obj for page in pdf.pages]  # indexing pdf.pages walks the page tree each time
    for piece in pieces:
        first, last = pages[piece.first_page - 1], pages[piece.last_page - 1]
        dpm = pikepdf.Dictionary(CIP4_Root=pikepdf.Dictionary(
            CIP4_Recipient=pikepdf.Dictionary(CIP4_UniqueID=piece.piece_id),
            LTRS_Vehicle=pikepdf.Dictionary(LTRS_VIN=piece.vin),
        ))  # fmt: skip
        leaf = pdf.make_indirect(pikepdf.Dictionary(
            Type=pikepdf.Name.DPart, Parent=root_node, Start=first, End=last, DPM=dpm,
        ))  # fmt: skip
        for number in range(piece.first_page, piece.last_page + 1):
            pages[number - 1].DPart = leaf
        leaves.append(leaf)
    root_node.DParts = pikepdf.Array([pikepdf.Array(leaves)])
    pdf.Root.DPartRoot = pikepdf.Dictionary(
        Type=pikepdf.Name.DPartRoot, DPartRootNode=root_node, RecordLevel=1,
        NodeNameList=pikepdf.Array([pikepdf.Name.Batch, pikepdf.Name.Piece]),
    )  # fmt: skip
