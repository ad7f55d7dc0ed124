"""A letter whose last page carries only its closing lines: a sheet of paper and postage for a signature.

The closing is what a template marks ``data-closing`` (a block and everything in it); a
letter that marks nothing closes with the last two blocks of its body, the sign-off and
the signature, as every bundled and scaffold letter does. A letter of several pages whose
last page holds no other text (page margins such as the brand line aside) gets a warning
from ``mail`` and ``render``; the letter still prints.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from weasyprint.formatting_structure import boxes

CLOSING = "data-closing"
"""Attribute marking a letter's closing block (sign-off, signature)."""
BODY = "letter-body"
"""Class of the owner-letter frame's body (``templates/_shared/owner-letter-base.html``)."""
UNMARKED_CLOSING = 2
"""Blocks at the end of an unmarked letter's body that are its closing."""


def _children(box: Any) -> Iterator[Any]:
    yield from getattr(box, "children", ())


def _body_blocks(pages: Sequence[Any]) -> list[Any]:
    """The body's block elements over the letter's pages, in order, each once (a split block is one)."""
    found: dict[int, Any] = {}

    def walk(box: Any) -> None:
        element = getattr(box, "element", None)
        if element is not None and BODY in (element.get("class") or "").split():
            for child in _children(box):
                if child.element is not None and child.element is not element:
                    found.setdefault(id(child.element), child.element)
            return
        for child in _children(box):
            walk(child)

    for page in pages:
        walk(page._page_box)
    return list(found.values())


def _marks(pages: Sequence[Any]) -> bool:
    """True when the letter marks its closing itself."""

    def walk(box: Any) -> bool:
        element = getattr(box, "element", None)
        if element is not None and element.get(CLOSING) is not None:
            return True
        return any(walk(child) for child in _children(box))

    return any(walk(page._page_box) for page in pages)


def _text_on(page: Any, closing: set[int]) -> tuple[int, int]:
    """(pieces of text of the closing, pieces of other text) on ``page``, margin boxes aside."""
    counts = [0, 0]

    def walk(box: Any, inside: bool) -> None:
        if isinstance(box, boxes.MarginBox):
            return
        element = getattr(box, "element", None)
        inside = inside or (element is not None and (id(element) in closing or element.get(CLOSING) is not None))
        if isinstance(box, boxes.TextBox):
            if box.text.strip():
                counts[0 if inside else 1] += 1
            return
        if isinstance(box, boxes.ReplacedBox):
            counts[0 if inside else 1] += 1
            return
        for child in _children(box):
            walk(child, inside)

    walk(page._page_box, False)
    return counts[0], counts[1]


def closing_alone(pages: Sequence[Any]) -> bool:
    """True when ``pages``, one letter's own pages (no padding), end on a page holding only its closing."""
    if len(pages) < 2:
        return False
    closing: set[int] = set()
    if not _marks(pages):
        closing = {id(e) for e in _body_blocks(pages)[-UNMARKED_CLOSING:]}
    own, other = _text_on(pages[-1], closing)
    return own > 0 and other == 0


def letters_of(document: Any) -> list[list[Any]]:
    """Each letter's own pages in a laid-out owner-letter document (letters are ``#piece-N`` sections)."""
    starts: dict[str, int] = {}
    for index, page in enumerate(document.pages):
        for anchor in page.anchors:
            if anchor.startswith("piece-"):
                starts.setdefault(anchor, index)
    first = sorted(starts.values())
    ends = [*first[1:], len(document.pages)]
    return [document.pages[a:b] for a, b in zip(first, ends, strict=True)]


def closing_warning(document: Any, what: str) -> list[str]:
    """The warning for each letter of ``document`` whose last page carries only its closing lines."""
    return [
        f"{what}: the last page of the {len(pages)}-page letter carries only its closing lines (the signature alone "
        "on a page, a sheet of paper and postage for it); shorten the letter or tighten its layout"
        for pages in letters_of(document)
        if closing_alone(pages)
    ]
