"""Layout variants: the letters of a run that differ only in their stamped fields share one layout.

Each letter's HTML is rendered through the real template (cheap next to a layout). Its
stamped fields (single-line ``data-field`` spans holding plain text) are replaced by a
placeholder, and what is left, the masked HTML, is the letter as the fast renderer lays it
out: letters whose masked HTML is the same print the same text everywhere but in the
fields, whatever the template read to make it (the brand from ``letter.vin[:3]``, the model
year, phase, stage, a declared column, a computed date). The variant's key is the masked
HTML's hash; its template is the masked HTML laid out once, and each letter of it is its
template with its own field texts stamped on.

A field is stamped only when its text cannot move anything else: plain text, not empty,
no leading space, its name used once in the letter. Any other span stays in the
masked HTML, so its text is part of the key (a variant per value, never a wrong one).
"""

from __future__ import annotations

import hashlib
import html as htmllib
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import escape

from letters.documents import GLYPH_COVERAGE
from letters.render.shaping import ADDRESS_LINES

END_MARK = "<!--/letters-->"
"""Written by the owner-letter frame after its last letter section."""
PLACEHOLDER = "W"
"""What a stamped field holds in the masked HTML (hidden in the template)."""

_START = re.compile(r'<section\b[^>]*\bid="piece-(\d+)"')
_FIELD = re.compile(r'<span\b(?P<attrs>[^>]*\bdata-field="(?P<name>[^"]+)"[^>]*)>(?P<text>[^<]*)</span>')
_ADDRESS = re.compile(
    r'(<div class="recipient">\s*)'
    r'(?:<div class="addr"><span class="field" data-field="addr-\d+" data-stamp>W</span></div>)+'
    r"(\s*</div>)"
)
_ADDRESS_LINE = '<div class="addr"><span class="field" data-field="addr-{n}" data-stamp>W</span></div>'
_ADDRESS_LINES = "".join(_ADDRESS_LINE.format(n=n) for n in range(1, ADDRESS_LINES + 1))
_PIECE_ID = re.compile(r'\bid="piece-\d+"')
_BOOKMARK = re.compile(r'\bdata-bookmark="[^"]*"')
_SECTION_CLASS = re.compile(r'^(<section\b[^>]*\bclass="owner-letter)')


@dataclass(frozen=True)
class Keyed:
    """One letter (one language version) as the fast renderer prints it."""

    key: str
    """The variant: a hash of the masked HTML (with the document around it)."""
    masked: str
    """The letter's section with its stamped fields holding the placeholder."""
    stamps: tuple[tuple[str, str], ...]
    """(data-field name, text) of each stamped field, white space collapsed as HTML does."""
    frame: tuple[str, str]
    """The document before the first letter section and after the last (head, styles, closing tags)."""


@dataclass(frozen=True)
class TemplateData:
    """A variant's template, laid out in one process and shipped to the workers (picklable)."""

    key: str
    """Variant key."""
    lang: str
    """Language of the letter."""
    pdf: bytes
    """The laid-out templates (field boxes hidden, glyph-coverage page last), DeviceGray; several variants laid
    out together share one file and its fonts."""
    pages: int
    """Pages of the letter itself."""
    first: int
    """Its first page in ``pdf`` (0-based)."""
    slots: tuple[tuple[str, object], ...]
    """(field name, ``Slot``) of every stamped field."""
    verified: bool = False
    """A letter stamped on it matched its full render (the mail preflight checked it)."""
    problem: str | None = None
    """Why no letter can be stamped on it; None: they can."""


def split(document: str, count: int) -> tuple[str, list[str], str] | None:
    """(head, one section per letter, tail) of a rendered owner-letter document; None when it has no such shape."""
    starts = [(int(m.group(1)), m.start()) for m in _START.finditer(document)]
    if [n for n, _ in starts] != list(range(count)):
        return None
    end = document.find(END_MARK, starts[-1][1]) if starts else -1
    if end < 0:
        return None
    bounds = [s for _, s in starts] + [end]
    return document[: bounds[0]], [document[a:b] for a, b in itertools.pairwise(bounds)], document[end:]


def mask(section: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """The section with its stampable fields holding the placeholder, and the fields' texts."""
    found = list(_FIELD.finditer(section))
    names = [m["name"] for m in found]
    repeated = {n for n in names if names.count(n) > 1} if len(set(names)) < len(names) else set()
    stamps: list[tuple[str, str]] = []
    out: list[str] = []
    at = 0
    for m in found:  # as ``_FIELD.sub`` would replace them: left to right, none overlapping
        name, raw = m.group("name", "text")
        text = htmllib.unescape(raw) if "&" in raw else raw
        if not text.strip() or text != text.lstrip() or name in repeated:
            continue
        stamps.append((name, " ".join(text.split())))
        # Trailing white space is kept: it collapses or ends the line in the template as in the letter.
        trailing = raw[len(raw.rstrip()) :]
        out += (section[at : m.start()], f"<span{m.group('attrs')} data-stamp>{PLACEHOLDER}{trailing}</span>")
        at = m.end()
    out.append(section[at:])
    # The recipient block is a fixed box: 3 or 5 address lines lay the letter out alike.
    masked = _ADDRESS.sub(lambda m: f"{m.group(1)}{_ADDRESS_LINES}{m.group(2)}", "".join(out), count=1)
    masked = _PIECE_ID.sub('id="piece-0"', masked, count=1)
    masked = _BOOKMARK.sub('data-bookmark=""', masked, count=1)  # the fast renderer writes its own bookmarks
    return masked, tuple(stamps)


def key_document(document: str, count: int) -> list[Keyed] | None:
    """Each letter of a rendered chunk of ``count`` letters, keyed; None when the document cannot be split."""
    parts = split(document, count)
    if parts is None:
        return None
    head, sections, tail = parts
    out = []
    for section in sections:
        masked, stamps = mask(section)
        digest = hashlib.sha256(f"{head}\0{masked}\0{tail}".encode()).hexdigest()[:32]
        out.append(Keyed(digest, masked, stamps, (head, tail)))
    return out


def template_html(keyed: Sequence[Keyed]) -> str:
    """One document of variants' templates (one language, one frame): each letter with its fields hidden,
    starting on its own page (anchor ``variant-N``), then the glyph-coverage page."""
    head, tail = keyed[0].frame
    sections = [
        _PIECE_ID.sub(f'id="variant-{n}"', _SECTION_CLASS.sub(r"\1 fast-template", k.masked, count=1), count=1)
        for n, k in enumerate(keyed)
    ]
    coverage = escape(GLYPH_COVERAGE)
    # Never printed: puts every glyph a field may need into the embedded font subsets.
    extra = f'<section class="glyph-coverage"><p>{coverage}</p><p><strong>{coverage}</strong></p></section>'
    return f"{head}{''.join(sections)}{extra}{tail}"


def describe(values: Sequence[dict[str, str]], mine: Sequence[int]) -> str:
    """The values every letter ``mine`` of a variant shares and other variants do not all have, ``k=v, ...``.

    ``values`` holds each letter's describing values (brand, model, model_year, phase, stage,
    lang); ``mine`` the indexes of the variant's letters.
    """
    names = list(values[mine[0]]) if mine else []
    shared = {n: values[mine[0]][n] for n in names if all(values[i][n] == values[mine[0]][n] for i in mine)}
    varying = {n for n in names if len({v[n] for v in values}) > 1}
    keep = [n for n in names if n in shared and (n in varying or n in ("stage", "lang"))]
    return ", ".join(f"{n}={shared[n]}" for n in keep)
