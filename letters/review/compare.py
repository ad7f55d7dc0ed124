"""What changed between two revisions' review copies, document by document, IMPORTANT UPDATE cover included."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from letters.campaign import load_campaign
from letters.render.changes import html_blocks, word_diff
from letters.render.pdf import parse
from letters.review.copy import NoticeCopy
from letters.review.items import Item, block_items


@dataclass(frozen=True)
class DocumentChanges:
    """The changes of one document between two revisions."""

    name: str
    """Document name."""
    title: str
    """Its title."""
    items: tuple[Item, ...]
    """The changes in a reviewer's words, each with the blocks it is in."""
    in_old: bool = True
    """The old revision's notice has this document."""
    in_new: bool = True
    """The new revision's notice has this document."""

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name, "title": self.title, "in_old": self.in_old, "in_new": self.in_new,
            "items": [{**i.as_json(), "old_at": i.old_at, "new_at": i.new_at, "row": list(i.row)} for i in self.items],
        }  # fmt: skip

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DocumentChanges:
        items = tuple(Item(i["where"], i["what"], i["old"], i["new"], i["old_at"], i["new_at"], tuple(i["row"]))
                      for i in data["items"])  # fmt: skip
        return cls(data["name"], data["title"], items, data["in_old"], data["in_new"])


def copy_changes(code: str, old: NoticeCopy, new: NoticeCopy) -> list[DocumentChanges]:
    """Every document of either notice (the new one's order first), with its changes from ``old`` to ``new``."""
    old_campaign = load_campaign(code, revision=old.revision).campaign
    new_campaign = load_campaign(code, revision=new.revision).campaign
    names = [d.name for d in new.documents] + [d.name for d in old.documents if new.document(d.name) is None]
    out = []
    for name in names:
        a, b = old.document(name), new.document(name)
        old_blocks = html_blocks(parse(a.html)) if a else []
        new_blocks = html_blocks(parse(b.html)) if b else []
        items = block_items(old_blocks, new_blocks, old_campaign, new_campaign)
        title = (b or a).title  # type: ignore[union-attr]
        out.append(DocumentChanges(name, title, tuple(items), a is not None, b is not None))
    return out


Run = tuple[str, str]
"""(op, text): op is "=", "-" or "+"."""


def highlighted(old: str, new: str) -> list[Run]:
    """``old`` into ``new`` word by word, a replaced word narrowed to the characters that differ.

    "1-800-555-0199" -> "1-800-555-0188" reads ``= 1-800-555-``, ``- 0199``, ``+ 0188``: the
    group that changed stands out, not the whole number.
    """
    runs = list(word_diff(old, new))
    out: list[Run] = []
    i = 0
    while i < len(runs):
        op, text = runs[i]
        following = runs[i + 1] if i + 1 < len(runs) else None
        if op == "-" and following is not None and following[0] == "+":
            gone, came = text.split(" "), following[1].split(" ")
            if len(gone) == len(came):
                if out:
                    out.append(("=", " "))
                for index, (x, y) in enumerate(zip(gone, came, strict=True)):
                    if index:
                        out.append(("=", " "))
                    out.extend(_narrow(x, y))
                i += 2
                continue
        if out:
            out.append(("=", " "))
        out.append((op, text))
        i += 1
    return _merged(out)


_PARTS = re.compile(r"[A-Za-z0-9]+|[^A-Za-z0-9]")


def _narrow(x: str, y: str) -> list[Run]:
    """One replaced word: when one group of letters or digits changed, only that group is marked.

    "555-0199" -> "555-0188" marks "0199" -> "0188"; a word changed in several places
    ("12/21/2023" -> "01/31/2024") is marked whole.
    """
    a, b = _PARTS.findall(x), _PARTS.findall(y)
    if len(a) == len(b) and len(a) > 1:
        differ = [i for i, (p, q) in enumerate(zip(a, b, strict=True)) if p != q]
        if len(differ) == 1:
            at = differ[0]
            runs: list[Run] = [("=", "".join(a[:at]))] if at else []
            runs += [("-", a[at]), ("+", b[at])]
            return runs + ([("=", "".join(a[at + 1 :]))] if at + 1 < len(a) else [])
    return [("-", x), ("+", y)]


def _merged(runs: list[Run]) -> list[Run]:
    out: list[Run] = []
    for op, text in runs:
        if out and out[-1][0] == op:
            out[-1] = (op, out[-1][1] + text)
        else:
            out.append((op, text))
    return out
