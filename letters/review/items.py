"""What changed between two revisions of a document, in a reviewer's words.

Blocks of prose are named by the heading they sit under ("paragraph under “Covered
Vehicles”"); table rows by their row header and changed cells by their column ("Phase 4:
Announcement Timing November 2023 → Remedy Available"); the eligibility chart is compared
as data, row by row (model and build location), naming the production months whose phase
changed. Each change says whether something was added, removed or changed, with the old
and the new value.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date
from xml.etree.ElementTree import Element

from letters.campaign.model import Campaign, ChartRow
from letters.render.changes import BLOCK_TAGS, Block, diff

KIND_WORDS = {
    "p": "paragraph", "li": "list item", "tr": "table row", "dt": "term", "dd": "definition",
    "caption": "table caption", "h1": "title", "h2": "heading", "h3": "heading", "h4": "heading",
    "h5": "heading", "h6": "heading", "line": "line", "phase-timing": "phase timing table",
    "chart": "eligibility chart", "stop-sale": "stop-sale notice", "text": "text",
}  # fmt: skip
HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})


@dataclass(frozen=True)
class Item:
    """One change, in plain words."""

    where: str
    """What changed: "paragraph under “Covered Vehicles”", "eligibility chart: 23MY - 24MY NX, Japan"."""
    what: str
    """"added", "removed" or "changed"."""
    old: str = ""
    """The old value or text (empty for an addition)."""
    new: str = ""
    """The new value or text (empty for a removal)."""
    old_at: int = -1
    """Index of the old block it is in (-1: none, an addition); where to point in the old pages."""
    new_at: int = -1
    """Index of the new block it is in, or for a removal the block now in its place (-1: none)."""
    row: tuple[str, ...] = ()
    """Texts of cells of the table row it is in, inside its block (a finer place on the page)."""

    def sentence(self, limit: int = 120) -> str:
        """One line: where, what, and the values, shortened at a word boundary."""
        if self.what == "changed":
            detail = f"{excerpt(self.old, limit // 2)} → {excerpt(self.new, limit // 2)}"
        else:
            detail = excerpt(self.new or self.old, limit)
        return f"{self.where}: {self.what}: {detail}"

    def as_json(self) -> dict[str, str]:
        return {"where": self.where, "what": self.what, "old": self.old, "new": self.new}


def excerpt(text: str, limit: int) -> str:
    """``text`` cut at a word boundary to about ``limit`` characters, with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return f"{cut} …"


def headings_of(blocks: Sequence[Block]) -> list[str]:
    """For each block, the text of the heading it sits under ("" before the first)."""
    out, current = [], ""
    for block in blocks:
        out.append(current)
        if block.kind in HEADINGS:
            current = block.text
    return out


def block_items(old: Sequence[Block], new: Sequence[Block], old_campaign: Campaign | None = None,
                new_campaign: Campaign | None = None) -> list[Item]:  # fmt: skip
    """Every change from ``old`` to ``new`` blocks, as plain-word items, each with the blocks it is in."""
    old_heads, new_heads = headings_of(old), headings_of(new)
    index_old = {id(b): i for i, b in enumerate(old)}
    index_new = {id(b): i for i, b in enumerate(new)}
    items: list[Item] = []
    for change in diff(list(old), list(new)):
        pairs: list[tuple[Block | None, Block | None]]
        if change.op == "replace" and len(change.old) == len(change.new):
            pairs = list(zip(change.old, change.new, strict=True))
        else:
            pairs = [(b, None) for b in change.old] + [(None, b) for b in change.new]
        for a, b in pairs:
            head = new_heads[index_new[id(b)]] if b is not None else old_heads[index_old[id(a)]]
            at_old = index_old[id(a)] if a is not None else -1
            at_new = index_new[id(b)] if b is not None else min(change.at_new, len(new) - 1)
            for item in _pair_items(a, b, head, old_campaign, new_campaign):
                items.append(replace(item, old_at=at_old, new_at=at_new))
    return items


def _pair_items(a: Block | None, b: Block | None, head: str, old_campaign: Campaign | None,
                new_campaign: Campaign | None) -> Iterator[Item]:  # fmt: skip
    kind = (b or a).kind  # type: ignore[union-attr]
    name = KIND_WORDS.get(kind, kind)
    where = f"{name} under “{head}”" if head else name
    old_element, new_element = a.element if a else None, b.element if b else None
    if old_element is not None and new_element is not None and _structured(old_element, new_element, kind,
                                                                           old_campaign):  # fmt: skip
        found = list(_inner_items(old_element, new_element, kind, old_campaign, new_campaign))
        # A change the parts do not name is still named, as the block's text.
        yield from found or [Item(where, "changed", a.text if a else "", b.text if b else "")]
        return
    if b is None:
        yield Item(where, "removed", a.text if a else "")
    elif a is None:
        yield Item(where, "added", "", b.text)
    else:
        yield Item(where, "changed", a.text, b.text)


def _structured(a: Element, b: Element, kind: str, old_campaign: Campaign | None) -> bool:
    """Whether the pair is compared by its parts (chart as data, tables by row and cell)."""
    if kind == "chart" and old_campaign is not None:
        return True
    tables = _tables(a), _tables(b)
    return bool(tables[0]) and len(tables[0]) == len(tables[1])


def _inner_items(a: Element, b: Element, kind: str, old_campaign: Campaign | None,
                 new_campaign: Campaign | None) -> Iterator[Item]:  # fmt: skip
    """A block holding tables or the chart: the parts compared, and the text around them as text."""
    name = KIND_WORDS.get(kind, kind)
    if kind == "chart" and old_campaign is not None and new_campaign is not None:
        yield from chart_items(old_campaign, new_campaign)
        old_tables, new_tables = _tables(a), _tables(b)
        if [t[0] for t in old_tables] != [t[0] for t in new_tables]:
            yield Item(f"{name}, column titles", "changed", _names(old_tables), _names(new_tables))
    else:
        for old_table, new_table in zip(_tables(a), _tables(b), strict=True):
            if old_table[0] != new_table[0]:
                yield Item(f"{name}, column titles", "changed", " · ".join(old_table[0]), " · ".join(new_table[0]))
            yield from table_items(name, old_table, new_table)
    # Text beside the tables in the same block: a heading, a note, the chart's example.
    old_parts, new_parts = _outside_tables(a), _outside_tables(b)
    for change in diff(old_parts, new_parts):
        pairs: list[tuple[Block | None, Block | None]]
        if change.op == "replace" and len(change.old) == len(change.new):
            pairs = list(zip(change.old, change.new, strict=True))
        else:
            pairs = [(x, None) for x in change.old] + [(None, y) for y in change.new]
        for x, y in pairs:
            part = f"{KIND_WORDS.get((y or x).kind, (y or x).kind)} in the {name}"  # type: ignore[union-attr]
            if y is None:
                yield Item(part, "removed", x.text if x else "")
            elif x is None:
                yield Item(part, "added", "", y.text)
            else:
                yield Item(part, "changed", x.text, y.text)


def _names(tables: list[Table]) -> str:
    return " | ".join(" · ".join(names) for names, _ in tables)


def _outside_tables(element: Element) -> list[Block]:
    """The blocks of ``element`` that are not inside a table (loose text as one "text" block)."""
    out: list[Block] = []
    loose: list[str] = [element.text or ""]

    def walk(node: Element) -> None:
        for child in node:
            tag = child.tag if isinstance(child.tag, str) else ""
            if tag == "table":
                pass
            elif tag in BLOCK_TAGS or child.get("data-block"):
                text = _text(child)
                if text:
                    out.append(Block(tag if tag in BLOCK_TAGS else str(child.get("data-block")), text, child))
            elif tag in ("script", "style", "template"):
                pass
            elif len(child):
                loose.append(child.text or "")
                walk(child)
            else:
                loose.append(" ".join(child.itertext()))
            loose.append(child.tail or "")

    walk(element)
    text = " ".join(" ".join(loose).split())
    return [*out, Block("text", text)] if text else out


Table = tuple[list[str], list[list[str]]]
"""(column names, body rows of cell texts)."""


def _text(element: Element) -> str:
    return " ".join(" ".join(element.itertext()).split())


def _tables(element: Element) -> list[Table]:
    out = []
    for table in element.iter("table"):
        head_rows = [tr for thead in table.iter("thead") for tr in thead.iter("tr")]
        names = [_text(cell) for cell in head_rows[-1]] if head_rows else []
        body = [[_text(cell) for cell in tr] for tbody in table.iter("tbody") for tr in tbody.iter("tr")]
        out.append((names, body))
    return out


def table_items(name: str, old: Table, new: Table) -> Iterator[Item]:
    """Rows matched by their first cell; a changed cell named by its column."""
    names = new[0] or old[0]
    old_rows = {row[0]: row for row in old[1] if row}
    new_rows = {row[0]: row for row in new[1] if row}
    for key, row in new_rows.items():
        before = old_rows.get(key)
        if before is None:
            yield Item(f"{name}, row “{key}”", "added", "", " · ".join(row), row=(key,))
            continue
        for column, (x, y) in enumerate(zip(before, row, strict=False)):
            if x != y:
                label = names[column] if column < len(names) else f"column {column + 1}"
                yield Item(f"{name}, row “{key}”, {label}", "changed", x, y, row=(key,))
    for key, row in old_rows.items():
        if key not in new_rows:
            yield Item(f"{name}, row “{key}”", "removed", " · ".join(row), row=(key,))


def _month_label(first: date, last: date) -> str:
    if first == last:
        return first.strftime("%B %Y")
    if first.year == last.year:
        return f"{first.strftime('%B')} to {last.strftime('%B %Y')}"
    return f"{first.strftime('%B %Y')} to {last.strftime('%B %Y')}"


def _phase(row: ChartRow, month: date) -> int | None:
    """The phase the chart prints for ``row`` in ``month`` (inside the row's production window)."""
    if month < row.start.replace(day=1) or (row.end is not None and month > row.end):
        return None
    return row.phase_of(month)


def _phase_word(phase: int | None) -> str:
    return f"Phase {phase}" if phase is not None else "not covered"


def chart_items(old: Campaign, new: Campaign) -> Iterator[Item]:
    """The eligibility chart compared as data: rows by model and location, months by phase."""
    if old.chart is None or new.chart is None:
        return
    old_rows = {(r.model, r.location): r for r in old.chart.rows}
    new_rows = {(r.model, r.location): r for r in new.chart.rows}
    months = sorted({*old.chart.months(), *new.chart.months()})
    for key in [*new_rows, *(k for k in old_rows if k not in new_rows)]:
        a, b = old_rows.get(key), new_rows.get(key)
        row = b or a
        assert row is not None
        label = f"eligibility chart, {row.years_label} {row.model} built in {row.location}"
        cells = (row.model, row.location)
        if a is None or b is None:
            what = "added" if a is None else "removed"
            summary = f"{row.start.isoformat()} to {row.end.isoformat() if row.end else 'ongoing'}"
            yield Item(label, what, "" if a is None else summary, summary if a is None else "", row=cells)
            continue
        for field, x, y in (("model years", a.years_label, b.years_label), ("production start", a.start, b.start),
                            ("production end", a.end or "ongoing", b.end or "ongoing"),
                            ("volume", a.volume or "TBD", b.volume or "TBD")):  # fmt: skip
            if x != y:
                yield Item(f"{label}, {field}", "changed", str(x), str(y), row=cells)
        run: list[tuple[date, int | None, int | None]] = []
        for month in [*months, None]:
            change = (_phase(a, month), _phase(b, month)) if month is not None else None
            if run and (change is None or change != run[-1][1:] or _gap(run[-1][0], month)):
                first, before, after = run[0][0], run[0][1], run[0][2]
                yield Item(f"{label}, {_month_label(first, run[-1][0])} production", "changed",
                           _phase_word(before), _phase_word(after), row=cells)  # fmt: skip
                run = []
            if change is not None and month is not None and change[0] != change[1]:
                run.append((month, *change))


def _gap(last: date, month: date | None) -> bool:
    if month is None:
        return True
    following = date(last.year + last.month // 12, last.month % 12 + 1, 1)
    return month != following
