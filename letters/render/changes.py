"""What changed between two renders of a document, block by block.

A block is what a reviewer reads as one unit: a heading, a paragraph, a list item, a table
row, or any element a template marks with ``data-block`` (a whole table, the chart, a
section), which then counts as one block with everything inside it; text in none of these
(a banner, a label) is a "text" block of the innermost element holding it. Blocks are aligned
with difflib's longest-matching-block algorithm on their text, so a paragraph inserted
above another does not make everything below it look changed.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from xml.etree.ElementTree import Element

BLOCK_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "tr", "dt", "dd", "caption"})
CHANGED_CLASS = "rev-changed"


@dataclass(frozen=True)
class Block:
    """One reviewable unit of a document."""

    kind: str
    """Tag name, or the ``data-block`` name."""
    text: str
    """Its text, white space collapsed."""
    element: Element | None = None
    """The element, when the block comes from HTML."""
    page: int = 0
    """Page number, when the block comes from a PDF."""


@dataclass(frozen=True)
class Change:
    """One difference between the old and the new blocks."""

    op: str
    """"insert", "delete" or "replace"."""
    old: tuple[Block, ...]
    """Blocks of the old version involved."""
    new: tuple[Block, ...]
    """Blocks of the new version involved."""
    at_old: int = 0
    """Index of the first old block involved (where the removal or insertion is, in the old)."""
    at_new: int = 0
    """Index of the first new block involved (where the insertion or removal is, in the new)."""


def _text(element: Element) -> str:
    return " ".join(" ".join(element.itertext()).split())


def _is_block(element: Element) -> bool:
    return isinstance(element.tag, str) and (element.tag in BLOCK_TAGS or bool(element.get("data-block")))


def html_blocks(root: Element) -> list[Block]:
    """The blocks of an HTML tree in document order (head and scripts excluded)."""
    out: list[Block] = []

    def walk(element: Element) -> None:
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag in ("head", "script", "style", "template"):
            return
        named = element.get("data-block")
        if named or tag in BLOCK_TAGS:
            text = _text(element)
            if text or named:
                out.append(Block(named or tag, text, element))
            return
        if tag not in ("html", "body") and not any(_is_block(d) for d in element.iter() if d is not element):
            # Text in no block at all (a banner, a label): a block of its own, so no change hides in it.
            text = _text(element)
            if text:
                out.append(Block("text", text, element))
            return
        for child in element:
            walk(child)

    walk(root)
    return out


def diff(old: list[Block], new: list[Block]) -> list[Change]:
    """Changes that turn ``old`` into ``new``."""
    matcher = difflib.SequenceMatcher(None, [b.text for b in old], [b.text for b in new], autojunk=False)
    return [
        Change(op, tuple(old[i1:i2]), tuple(new[j1:j2]), i1, j1)
        for op, i1, i2, j1, j2 in matcher.get_opcodes()
        if op != "equal"
    ]


def mark_changes(old_root: Element, new_root: Element) -> tuple[int, list[str]]:
    """Mark every new or changed block of ``new_root``; return (marked, texts of removed blocks)."""
    changes = diff(html_blocks(old_root), html_blocks(new_root))
    marked = 0
    removed: list[str] = []
    for change in changes:
        for block in change.new:
            assert block.element is not None
            classes = block.element.get("class", "")
            block.element.set("class", f"{classes} {CHANGED_CLASS}".strip())
            marked += 1
        if change.op == "delete":
            removed.extend(b.text for b in change.old)
    return marked, removed


_WORD = re.compile(r"\S+")


def word_diff(old: str, new: str) -> Iterator[tuple[str, str]]:
    """(op, text) runs turning ``old`` into ``new`` word by word; op is "=", "-" or "+"."""
    a, b = _WORD.findall(old), _WORD.findall(new)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            yield "=", " ".join(a[i1:i2])
        else:
            if i2 > i1:
                yield "-", " ".join(a[i1:i2])
            if j2 > j1:
                yield "+", " ".join(b[j1:j2])
