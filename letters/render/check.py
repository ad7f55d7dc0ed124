"""The fast renderer's exact check of every stamped letter, independent of the shaping cache.

The fast renderer draws each field of a letter as one text run (``BT ... Tm /FR size Tf
[TJ] TJ ET``) on its variant's template. Before a letter's page is written, ``Checker.letter``
reads those operator bytes back and proves, **for every letter**:

- *the right fields, once each*: every page's runs are exactly the letter's stamped fields
  on that page, in order (none missing, none extra, no run on a page the template lacks);
  every slot of the template is stamped but address lines the letter does not have;
- *the letter's own text*: the fields the shared owner-letter frame fills from the piece
  (``templates/_shared/owner-letter-base.html``) hold this piece's values: ``addr-N`` its
  address line N, ``vin`` its VIN, ``piece`` its piece ID and VIN;
- *the right glyphs and advances*: each run's TJ array equals, glyph for glyph and
  adjustment for adjustment, the run derived from the field's text by
  ``letters.render.embedded``: HarfBuzz called there at the size in 1/1024 px (as Pango
  shapes), each adjustment from the template's own embedded face, its ``/W`` widths as
  WeasyPrint wrote them, with WeasyPrint's arithmetic; and those glyphs decode through that
  face's own ``/ToUnicode`` map back to exactly the field's text (else the letter goes to
  the full renderer: its text layer would not read as its text);
- *the right place and style*: the run's start x (the slot's x; right-aligned, the slot's x
  less the HarfBuzz width), baseline, size, face (``/FR`` regular, ``/FB`` bold) and
  colour (``g`` when grey, else ``rg``) equal the slot's to the 4 decimals written, and the
  text is no wider than its box.

The check never takes the template's ``ShapeCache`` (whose ``Shaped`` is what is being
checked) at its word. A line the stamp finds in no cache is shaped for it here
(``Checker.shape``), so the check knows that run is fresh; a line the stamp takes from its
cache is compared with the check's own memo (``Face.runs``, written only by its own shaping,
one per face whose embedded widths and map are the same) or shaped anew. Runs are compared
as the bytes this module would write; only a mismatch is read number by number and glyph by
glyph (so another spelling of the same operators passes, and the error names what differs).
The slots it checks against are its own copy, taken the first time the template is seen
(``Proof``), so a template changed after its full check is caught too. It reads the field
operators ``_stamp`` hands on, not the finished file.

What is proved **once per layout variant** (``FastRenderer._verify``), not per letter: that
the template's slots, fonts and the arithmetic above print what WeasyPrint prints (one
letter of each variant rendered fully and compared, text and pixels: by the mail preflight
for the variants it laid out and ships, in the worker for a variant first laid out there),
and that the page around the runs (the template's Form XObject, resources, the content
stream, marks, which pages a piece gets) is right. Every rendering process also compares one
letter of its first batch (``SAFETY_NET``: for what a worker shares with the preflight only as
shipped data, and the font files its HarfBuzz reads).
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Mapping, Sequence

import pikepdf

from letters.errors import LettersError
from letters.render.embedded import Face, Run
from letters.render.pieces import PieceInput
from letters.render.shaping import ONE_VEHICLE, Shaped
from letters.render.template import Slot, Template


class VerificationError(LettersError):
    """A fast-rendered letter differs from what it must print (its fields, or its full render)."""


EPS = 0.0001
"""How far a number read back may be from its slot's (px): the operators carry 4 decimals."""
FILES_KEPT = 64
"""Template files (and templates) whose proofs the checker keeps."""
_RUN = re.compile(
    rb"(?P<colour>-?[0-9.]+(?: -?[0-9.]+ -?[0-9.]+)?) (?P<space>g|rg)\nBT\n"
    rb"1 0 0 -1 (?P<x>-?[0-9.]+) (?P<y>-?[0-9.]+) Tm\n"
    rb"/(?P<face>F[RB]) (?P<size>[0-9.]+) Tf\n(?P<tj>\[[^\]]*\]) TJ\nET\n"
)
ADDRESS = re.compile(r"addr-(\d+)")
"""The shared frame's address-line fields: ``addr-N`` holds the piece's address line N."""
VIN_FIELD = "vin"
"""The shared frame's VIN field: the piece's VIN."""
PIECE_FIELD = "piece"
"""The shared frame's piece line: the piece ID and the VIN."""


class Proof:
    """What a template's letters are checked against: its slots as first seen, its faces."""

    def __init__(self, template: Template, faces: dict[bool, Face]) -> None:
        self.template = template
        """The template (held, so its identity stays its own)."""
        self.slots: dict[str, Slot] = dict(template.slots)
        """Its slots when first seen (``Slot`` is frozen)."""
        self.pages = template.pages
        """Its pages."""
        self.faces = faces
        """Regular and bold faces."""
        self.heads = {name: _head(slot) for name, slot in self.slots.items()}
        """Per slot, the run's bytes before its x and after it up to the TJ array, as this module writes them."""
        self.lefts = {name: a + _num(self.slots[name].x) + b for name, (a, b) in self.heads.items()
                      if self.slots[name].align != "right"}  # fmt: skip
        """Per left-aligned slot, the run's bytes up to the TJ array."""
        self.page_set = frozenset(range(self.pages))
        """Its page indexes."""
        self.address = {name: int(m.group(1)) for name in self.slots if (m := ADDRESS.fullmatch(name)) is not None}
        """Its address-line slots: name -> line number."""
        self.lines = len(self.address)
        """Address lines the template has slots for."""


def _num(value: float) -> bytes:
    """A number as the operators carry it: 4 decimals, trailing zeros dropped."""
    return (b"%.4f" % value).rstrip(b"0").rstrip(b".")


def _colour(slot: Slot) -> bytes:
    r, g, b = slot.color
    return b"%s g" % _num(r) if r == g == b else b"%s %s %s rg" % (_num(r), _num(g), _num(b))


def _head(slot: Slot) -> tuple[bytes, bytes]:
    """The run's bytes before the TJ array as this module writes them, split at its x (which, right-aligned,
    depends on the text)."""
    face = b"/FB" if slot.bold else b"/FR"
    return b"%s\nBT\n1 0 0 -1 " % _colour(slot), b" %s Tm\n%s %s Tf\n" % (_num(slot.baseline), face, _num(slot.size))


class Checker:
    """Checks every stamped letter of a process (one per fast renderer)."""

    def __init__(self) -> None:
        self.faces: dict[tuple[object, ...], Face] = {}
        """Faces by what their runs depend on (templates' files mostly share them)."""
        self.files: OrderedDict[int, tuple[pikepdf.Pdf, dict[bool, Face]]] = OrderedDict()
        """id(template PDF) -> (the PDF, held so the id stays its own; its faces)."""
        self.proofs: OrderedDict[int, Proof] = OrderedDict()
        """id(template) -> its proof."""
        self.fresh: dict[tuple[int, str, float], Run] = {}
        """Runs shaped for the letter being stamped that the memo does not keep (lines holding a VIN)."""
        self.compared = 0
        """Letters this process has compared with their full renders (``FastRenderer._verify``)."""

    def proof(self, tpl: Template) -> Proof:
        """The template's proof, made the first time it is seen."""
        found = self.proofs.get(id(tpl))
        if found is not None and found.template is tpl:
            self.proofs.move_to_end(id(tpl))
            return found
        made = Proof(tpl, self._faces(tpl))
        self.proofs[id(tpl)] = made
        while len(self.proofs) > FILES_KEPT * 2:
            self.proofs.popitem(last=False)
        return made

    def _faces(self, tpl: Template) -> dict[bool, Face]:
        found = self.files.get(id(tpl.pdf))
        if found is not None and found[0] is tpl.pdf:
            return found[1]
        faces = {}
        for bold in (False, True):
            face = Face(bold, tpl.fonts[bold])
            faces[bold] = self.faces.setdefault(face.identity(), face)
        self.files[id(tpl.pdf)] = (tpl.pdf, faces)
        while len(self.files) > FILES_KEPT:
            self.files.popitem(last=False)
        return faces

    def shape(self, tpl: Template, text: str, bold: bool, size: float) -> Shaped:
        """A line the stamp found in no cache, shaped now by this module (so the check knows it is fresh)."""
        face = self.proof(tpl).faces[bold]
        key = (text, size)
        run = face.runs.get(key)
        if run is None:
            run = face.shape(text, size)
            if not ONE_VEHICLE.search(text):
                face.keep(key, run)
            else:  # never kept: the check of this letter takes it from here
                if len(self.fresh) > 64:  # letters the stamp refused before their check
                    self.fresh.clear()
                self.fresh[(id(face), text, size)] = run
        return Shaped(run.tj, run.width, run.gids)

    def letter(self, tpl: Template, piece: PieceInput, stamps: Sequence[tuple[str, str]],
               ops: Mapping[int, Sequence[bytes]]) -> str | None:  # fmt: skip
        """Check one letter's field runs (page index -> operator bytes); raise ``VerificationError`` naming the
        piece, page and field on any difference. Returns why the letter must go to the full renderer, or None."""
        try:
            return self._letter(self.proof(tpl), piece, stamps, ops)
        finally:
            self.fresh.clear()

    def _letter(self, proof: Proof, piece: PieceInput, stamps: Sequence[tuple[str, str]],
                ops: Mapping[int, Sequence[bytes]]) -> str | None:  # fmt: skip
        _own_fields(proof, piece, stamps)
        pages = proof.pages
        if not ops.keys() <= proof.page_set and (extra := [p for p, r in ops.items() if r and p not in proof.page_set]):
            raise VerificationError(f"piece {piece.piece_id}, page {extra[0] + 1}: field runs on a page the template "
                                    "does not have")  # fmt: skip
        slots, heads, lefts, faces, fresh = proof.slots, proof.heads, proof.lefts, proof.faces, self.fresh
        counts = [0] * pages
        for name, _ in stamps:
            counts[slots[name].page] += 1
        for page in range(pages):
            if counts[page] != len(ops.get(page, ())):
                mine = [(name, text, slots[name]) for name, text in stamps if slots[name].page == page]
                _count(f"piece {piece.piece_id}, page {page + 1}", proof, list(ops.get(page, ())), mine)
        at = [0] * pages  # a page's runs are in the stamps' order
        for name, text in stamps:
            slot = slots[name]
            page = slot.page
            op = ops[page][at[page]]
            at[page] += 1
            face = faces[slot.bold]
            run = (fresh.get((id(face), text, slot.size)) if fresh else None) or face.run(text, slot.size)
            if run.problem is not None:
                return run.problem
            head = lefts.get(name)
            if head is None:
                before, after = heads[name]
                head = before + _num(slot.x - run.width) + after
            if op != head + run.tj + b" TJ\nET\n" or run.width > slot.width + 0.01:
                _run(f"piece {piece.piece_id}, page {page + 1}: field {name}", face, op, text, slot, run)
        return None


def _own_fields(proof: Proof, piece: PieceInput, stamps: Sequence[tuple[str, str]]) -> None:
    """The stamps are this piece's: one per field, each a slot, the frame's fields hold its values, none missing."""
    names = {name for name, _ in stamps}
    lines, slots = piece.address, proof.slots
    where = f"piece {piece.piece_id}"
    if len(names) != len(stamps):
        raise VerificationError(f"{where}: a field is stamped twice ({', '.join(n for n, _ in stamps)})")
    if not names <= slots.keys():
        raise VerificationError(f"{where}: field {min(names - slots.keys())}: the template has no such field")
    address = proof.address
    for name, text in stamps:
        if (n := address.get(name)) is not None:
            own = lines[n - 1] if 0 < n <= len(lines) else None
            if own is not None and text != own:
                own = " ".join(own.split())  # as HTML collapses it
            if text != own:
                raise VerificationError(f"{where}: field {name} holds {text!r}, the piece's address line is {own!r}")
        elif name == VIN_FIELD and text != piece.vin:
            raise VerificationError(f"{where}: field {name} holds {text!r}, the piece's VIN is {piece.vin!r}")
        elif name == PIECE_FIELD and (piece.piece_id not in text or piece.vin not in text):
            raise VerificationError(f"{where}: field {name} holds {text!r}, not the piece's ID and VIN")
    if len(names) != len(slots) - max(0, proof.lines - len(lines)):
        for name in slots.keys() - names:
            if address.get(name, 0) <= len(lines):
                raise VerificationError(f"{where}: field {name} is missing")


def _count(where: str, proof: Proof, runs: Sequence[bytes], want: Sequence[tuple[str, str, Slot]]) -> None:
    """Name the field missing, or the run extra, on a page whose runs do not match its fields."""
    read = []
    for op in runs:
        m = _RUN.fullmatch(op)
        face = proof.faces[m is not None and m.group("face") == b"FB"]
        pairs = face.read(m.group("tj")) if m is not None else None
        read.append(face.decode(pairs) if pairs is not None else "")
    for name, text, _ in want:
        if text not in read:
            raise VerificationError(f"{where}: field {name} is missing")
        read.remove(text)
    if read:
        raise VerificationError(f"{where}: an extra text run ({read[0]!r}) that is no field of the letter")


def _run(where: str, face: Face, op: bytes, text: str, slot: Slot, run: Run) -> None:
    """A run whose bytes are not the ones this module writes: read it, and raise unless it says the same."""
    m = _RUN.fullmatch(op)
    if m is None:
        raise VerificationError(f"{where}: not a text run as the fast renderer writes it")
    tj = m.group("tj")
    if tj != run.tj:
        ours, theirs = face.read(tj), face.read(run.tj)
        if ours is None:
            raise VerificationError(f"{where}: its TJ array cannot be read")
        if ours != theirs:
            reads = face.decode(ours)
            if reads != text:
                raise VerificationError(f"{where}: its glyphs read {reads!r}, not {text!r}")
            assert theirs is not None
            k = next(i for i, (a, b) in enumerate(zip(ours, theirs, strict=True)) if a != b)
            raise VerificationError(f"{where}: glyph {k + 1} of {text!r} is advanced {ours[k][1]}, not {theirs[k][1]}")
    if run.width > slot.width + 0.01:
        raise VerificationError(f"{where}: {text!r} is wider than its box ({run.width:.2f} > {slot.width:.2f} px)")
    if (m.group("face") == b"FB") != slot.bold:
        raise VerificationError(f"{where}: set in the {'bold' if not slot.bold else 'regular'} face")
    size = float(m.group("size"))
    if abs(size - slot.size) > EPS:
        raise VerificationError(f"{where}: set at {size} px, not {slot.size:.4f}")
    x, y = float(m.group("x")), float(m.group("y"))
    start = slot.x - run.width if slot.align == "right" else slot.x
    if abs(x - start) > EPS or abs(y - slot.baseline) > EPS:
        raise VerificationError(f"{where}: starts at ({x}, {y}), not ({start:.4f}, {slot.baseline:.4f})")
    colour = [float(c) for c in m.group("colour").split()]
    grey = slot.color[0] == slot.color[1] == slot.color[2]
    if grey:
        colour *= 3
    if (
        (m.group("space") == b"g") != grey
        or len(colour) != 3
        or any(abs(a - b) > EPS for a, b in zip(colour, slot.color, strict=True))
    ):
        raise VerificationError(
            f"{where}: coloured {m.group('colour').decode()} {m.group('space').decode()}, not {slot.color}"
        )
