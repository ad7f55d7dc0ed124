"""The revision page's side by side: the two revisions' pages aligned by document and page, with the boxes.

Boxes are drawn over the page images from the review copies' block rectangles
(``letters.review.copy``), against the revision chosen in "Compare with": a changed or
added block is outlined on the new page, a changed or removed one on the old page, and a
removal is marked on the new page where the text was. Every change in the list links to
its box and every box back to its changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from letters.review.compare import DocumentChanges, highlighted
from letters.review.copy import DocumentCopy, NoticeCopy
from letters.review.items import Item


@dataclass
class Box:
    """A rectangle over a page image."""

    id: str
    """Element id; the change list links here."""
    kind: str
    """"changed", "added", "removed" (old side) or "gone" (where a removal was, new side)."""
    left: float
    """Percent of the page width."""
    top: float
    """Percent of the page height."""
    width: float
    """Percent of the page width."""
    height: float
    """Percent of the page height."""
    items: list[str] = field(default_factory=list)
    """Ids of the changes it shows."""


@dataclass
class Sheet:
    """One page of one side, or a missing page."""

    number: int
    """Page number in the revision's copy (0: missing)."""
    label: str
    """What the reader sees under it."""
    boxes: list[Box] = field(default_factory=list)
    """Boxes over it."""


@dataclass
class ChangeView:
    """One change in the list."""

    id: str
    """Element id."""
    item: Item
    """The change."""
    runs: list[tuple[str, str]]
    """Word-level highlighting: (op, text), op "=", "-" or "+"."""
    target: str
    """Id of the box that shows where it is ("" when it has no place on a page)."""


@dataclass
class DocumentView:
    """One document: its changes and its pages side by side."""

    name: str
    """Document name."""
    title: str
    """Its title."""
    changes: list[ChangeView]
    """Its changes, in document order."""
    rows: list[tuple[Sheet | None, Sheet]]
    """Page pairs (old, new); old is None when nothing is compared."""
    note: str = ""
    """"new in this revision" or "not in this revision", when one side lacks the document."""


def _boxes(doc: DocumentCopy, item: Item, side: str, kind: str, sheets: dict[int, Sheet]) -> str:
    """Boxes for the item's block (or table row in it) of ``doc`` on its pages; returns the first box's id."""
    at = item.new_at if side == "new" else item.old_at
    if not 0 <= at < len(doc.rects):
        return ""
    rects, place = doc.rects[at], f"{at}"
    row = doc.row_rects(at, item.row) if item.row and kind != "gone" else None
    if row is not None and row[1]:
        place, rects = f"{at}r{row[0]}", row[1]
    first = ""
    for rect in rects:
        sheet = sheets.get(rect.page)
        if sheet is None:
            continue
        box_id = f"box-{doc.name}-{side}-{place}-{rect.page}"
        box = next((b for b in sheet.boxes if b.id == box_id), None)
        if box is None:
            height = (rect.y1 - rect.y0) * 100 if kind != "gone" else 0.0
            box = Box(box_id, kind, rect.x0 * 100, rect.y0 * 100, (rect.x1 - rect.x0) * 100, height)
            sheet.boxes.append(box)
        first = first or box_id
    return first


def side_by_side(old: NoticeCopy | None, new: NoticeCopy, changes: list[DocumentChanges]) -> list[DocumentView]:
    """Every document of either revision, its pages paired (a missing page as missing), boxes drawn."""
    views = []
    names = [d.name for d in changes] or [d.name for d in new.documents]
    by_name = {d.name: d for d in changes}
    for name in names:
        a = old.document(name) if old is not None else None
        b = new.document(name)
        count = max(a.pages if a else 0, b.pages if b else 0)
        old_sheets = {a.first_page + i: Sheet(a.first_page + i, f"{old.revision} page {i + 1} of {a.pages}")
                      for i in range(a.pages)} if a and old else {}  # fmt: skip
        new_sheets = {b.first_page + i: Sheet(b.first_page + i, f"{new.revision} page {i + 1} of {b.pages}")
                      for i in range(b.pages)} if b else {}  # fmt: skip
        change_views = []
        document = by_name.get(name)
        for k, item in enumerate(document.items if document else ()):
            item_id = f"change-{name}-{k}"
            target = ""
            if b is not None and item.new_at >= 0:
                kind = "gone" if item.what == "removed" else item.what
                target = _boxes(b, item, "new", kind, new_sheets)
            if a is not None and item.old_at >= 0 and item.what != "added":
                kind = "removed" if item.what == "removed" else "changed"
                old_target = _boxes(a, item, "old", kind, old_sheets)
                target = target or old_target
            for sheet in (*old_sheets.values(), *new_sheets.values()):
                for box in sheet.boxes:
                    if box.id == target and item_id not in box.items:
                        box.items.append(item_id)
            change_views.append(ChangeView(item_id, item, highlighted(item.old, item.new), target))
        rows: list[tuple[Sheet | None, Sheet]] = []
        for i in range(count):
            missing_old = Sheet(0, f"no page {i + 1} in {old.revision}") if old is not None else None
            old_sheet = old_sheets.get(a.first_page + i) if a and old else None
            new_sheet = new_sheets.get(b.first_page + i) if b else None
            rows.append((old_sheet or missing_old, new_sheet or Sheet(0, f"no page {i + 1} in {new.revision}")))
        note = "" if old is None or (a and b) else "new in this revision" if b else "not in this revision"
        views.append(DocumentView(name, (b or a).title if (a or b) else name, change_views, rows, note))  # type: ignore[union-attr]
    return views
