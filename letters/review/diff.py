"""What reviewers use: the revision history, diffs between revisions or PDFs, approvals."""

from __future__ import annotations

import difflib
import html as htmlmod
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from letters.campaign import load_campaign
from letters.campaign.model import Campaign
from letters.dates import parse_day
from letters.documents import UPDATE_COVER, Renderer, RenderOptions, document_spec, documents_of
from letters.render.changes import Block, Change, diff, html_blocks, word_diff
from letters.render.pdf import PdfMetadata, layout, parse, write
from letters.review.approvals import Entry
from letters.review.items import Item, block_items
from letters.review.pdftext import read_pdf
from letters.review.status import ReviewState, record, states
from letters.write import durable_write


@dataclass(frozen=True)
class RevisionRow:
    """One line of ``letters revisions``."""

    id: str
    """Revision date, YYYY-MM-DD."""
    topics: tuple[str, ...]
    """Its topics ("original publication" for the first)."""
    documents: tuple[str, ...]
    """Documents whose text it changed."""
    review: ReviewState
    """Where it stands in review: state, what changed since approval, every decision and comment."""

    @property
    def approved_by(self) -> str:
        """Who approved it (the latest decision, an approval), empty otherwise."""
        approval = self.review.approval
        return approval.by if approval else ""

    def as_json(self) -> dict[str, Any]:
        return {"revision": self.id, "topics": list(self.topics), "documents": list(self.documents),
                **self.review.as_json()}  # fmt: skip


def revisions(code: str) -> list[RevisionRow]:
    """``letters revisions``: every revision with the documents it touched and its approval."""
    latest = load_campaign(code)
    reviews = states(code)
    rows = []
    previous: dict[str, list[Block]] | None = None
    for entry in latest.history:
        loaded = load_campaign(code, revision=entry.id)
        renderer = Renderer(loaded)
        options = RenderOptions(as_of=entry.date)
        current = {
            name: html_blocks(parse(renderer.html(spec, options)))
            for name, spec in documents_of(loaded.campaign).items()
            if name != UPDATE_COVER and spec.audience != "envelope"
        }
        touched = (
            tuple(current)
            if previous is None
            else tuple(name for name in current if diff(previous[name], current[name]))
        )
        topics = tuple(str(renderer.topic(u)) for u in loaded.campaign.updates if u.date == entry.date)
        rows.append(RevisionRow(entry.id, topics or ("Original publication",), touched, reviews[entry.id]))
        previous = current
    return rows


def approve_revision(
    code: str, revision: str, by: str, at: date | None = None, comment: str = ""
) -> tuple[Entry, Path]:
    """``letters approve``: record who approved ``revision`` (and its fingerprint), when, and why."""
    loaded = load_campaign(code, revision=revision)
    entry = record(loaded.campaign.code, revision, "approve", by, comment, "cli", on=at)
    return entry, loaded.folder / "approvals.toml"


@dataclass(frozen=True)
class DiffResult:
    """Changes between two versions of a document."""

    title: str
    """What was compared."""
    old_label: str
    """Name of the old version."""
    new_label: str
    """Name of the new version."""
    changes: tuple[Change, ...]
    """Changed blocks."""
    unchanged: int
    """Blocks the two share."""
    items: tuple[Item, ...] = ()
    """The changes in a reviewer's words: table rows by their header, chart rows by model, location
    and month, prose by the heading it sits under."""
    context: tuple[tuple[str, str, str], ...] = ()
    """Every block of both versions in document order, as (kind, old text, new text): equal texts
    for an unchanged block, an empty side for an added or removed one (the full redline)."""

    def summary(self) -> list[str]:
        """One line per change, in plain words, shortened at a word boundary."""
        return [item.sentence() for item in self.items]

    def as_json(self) -> dict[str, Any]:
        """What ``letters diff --json`` prints."""

        def blocks(items: tuple[Block, ...]) -> list[dict[str, Any]]:
            return [{"kind": b.kind, "text": b.text, **({"page": b.page} if b.page else {})} for b in items]

        return {
            "title": self.title, "old": self.old_label, "new": self.new_label, "unchanged": self.unchanged,
            "changes": [{"op": c.op, "old": blocks(c.old), "new": blocks(c.new)} for c in self.changes],
            "items": [item.as_json() for item in self.items],
        }  # fmt: skip


def _document_blocks(code: str, name: str, version: str) -> tuple[str, list[Block], Campaign]:
    when = parse_day(version, "a revision date")
    loaded = load_campaign(code, as_of=when)
    spec = document_spec(loaded.campaign, name)
    html = Renderer(loaded).html(spec, RenderOptions(as_of=when))
    label = f"{code} {name} as of {version} (revision {loaded.campaign.revision.date.isoformat()})"
    return label, html_blocks(parse(html)), loaded.campaign


def diff_documents(code: str, name: str, old: str, new: str) -> DiffResult:
    """``letters diff CAMPAIGN DOCUMENT --from A --to B``: block changes between two dates."""
    old_label, old_blocks, old_campaign = _document_blocks(code, name, old)
    new_label, new_blocks, new_campaign = _document_blocks(code, name, new)
    changes = diff(old_blocks, new_blocks)
    changed = sum(len(c.new) for c in changes)
    items = block_items(old_blocks, new_blocks, old_campaign, new_campaign)
    return DiffResult(f"{code} {name}", old_label, new_label, tuple(changes), len(new_blocks) - changed,
                      tuple(items), tuple(in_context(old_blocks, new_blocks)))  # fmt: skip


def in_context(old: list[Block], new: list[Block]) -> Iterator[tuple[str, str, str]]:
    """Both versions' blocks in document order: (kind, old text, new text), a side empty when absent."""
    matcher = difflib.SequenceMatcher(None, [b.text for b in old], [b.text for b in new], autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            yield from ((b.kind, b.text, b.text) for b in new[j1:j2])
        elif op == "replace" and i2 - i1 == j2 - j1:
            yield from ((b.kind, a.text, b.text) for a, b in zip(old[i1:i2], new[j1:j2], strict=True))
        else:
            yield from ((a.kind, a.text, "") for a in old[i1:i2])
            yield from ((b.kind, "", b.text) for b in new[j1:j2])


def pdf_blocks(path: Path) -> list[Block]:
    """Lines of a PDF's text as blocks, each with its page number (stamps and running footers left out)."""
    return read_pdf(path)[0]


def _chart_items(page: int, a: tuple[str, dict[str, str]], b: tuple[str, dict[str, str]]) -> list[Item]:
    """A chart row's changed phases, named by production month (runs of months with one change together)."""
    if not a[1] or not b[1] or a[0] != b[0]:
        return []
    items: list[Item] = []
    months = list(dict.fromkeys([*a[1], *b[1]]))
    run: list[str] = []
    for month in [*months, ""]:
        change = (a[1].get(month, ""), b[1].get(month, "")) if month else None
        if run and (change is None or change != (a[1].get(run[0], ""), b[1].get(run[0], ""))):
            old, new = a[1].get(run[0], ""), b[1].get(run[0], "")
            span = run[0] if len(run) == 1 else f"{run[0]} to {run[-1]}"
            items.append(Item(f"page {page}, chart row “{a[0]}”, {span} production", "changed",
                              f"Phase {old}" if old else "blank", f"Phase {new}" if new else "blank"))  # fmt: skip
            run = []
        if change is not None and change[0] != change[1]:
            run.append(month)
    return items


def diff_pdfs(old: Path, new: Path) -> DiffResult:
    """``letters diff OLD.pdf NEW.pdf``: line changes between two PDFs, with page numbers."""
    (old_blocks, old_rows), (new_blocks, new_rows) = read_pdf(old), read_pdf(new)
    rows = {id(b): row for b, row in zip([*old_blocks, *new_blocks], [*old_rows, *new_rows], strict=True)}
    changes = diff(old_blocks, new_blocks)
    changed = sum(len(c.new) for c in changes)
    items = []
    for change in changes:
        pairs = (list(zip(change.old, change.new, strict=True)) if change.op == "replace" and
                 len(change.old) == len(change.new) else [(b, None) for b in change.old] +
                 [(None, b) for b in change.new])  # fmt: skip
        for a, b in pairs:
            page = (b or a).page  # type: ignore[union-attr]
            chart = _chart_items(page, rows[id(a)], rows[id(b)]) if a and b else []
            if chart:  # a chart row whose phases changed: named by month, not as a line of digits
                items.extend(chart)
                continue
            what = "changed" if a and b else "added" if b else "removed"
            items.append(Item(f"page {page}, line", what, a.text if a else "", b.text if b else ""))
    return DiffResult(f"{old.name} -> {new.name}", str(old), str(new), tuple(changes), len(new_blocks) - changed,
                      tuple(items), tuple(in_context(old_blocks, new_blocks)))  # fmt: skip


Segment = tuple[str, str]
"""(style, text): style is "plain", "head", "deleted" or "inserted"; the CLI colours them."""


def text_report(result: DiffResult) -> Iterator[list[Segment]]:
    """The compact word-level diff, line by line: one header and one word diff per changed block."""
    yield [("plain", f"--- {result.old_label}")]
    yield [("plain", f"+++ {result.new_label}")]
    yield [("plain", f"{len(result.items)} change(s), {result.unchanged} block(s) unchanged")]
    for item in result.items:
        yield [("head", f"@@ {item.where}: {item.what}")]
        line: list[Segment] = [("plain", "  ")]
        for op, text in word_diff(item.old, item.new):
            if op == "=":
                line.append(("plain", f" {_context(text)}"))
            elif op == "-":
                line.extend([("plain", " "), ("deleted", f"[-{text}-]")])
            else:
                line.extend([("plain", " "), ("inserted", f"{{+{text}+}}")])
        yield line


def _context(text: str, keep: int = 6) -> str:
    words = text.split()
    if len(words) <= 2 * keep:
        return text
    return " ".join([*words[:keep], "…", *words[-keep:]])


def _marked(old: str, new: str, collapse: bool) -> str:
    """``old`` into ``new`` with <del> and <ins>, a replaced word narrowed to the characters that changed."""
    from letters.review.compare import highlighted

    e = htmlmod.escape
    parts = []
    for op, text in highlighted(old, new):
        if op == "=":
            parts.append(e(_context(text) if collapse and text.strip() else text))
        elif op == "-":
            parts.append(f"<del>{e(text)}</del>")
        else:
            parts.append(f"<ins>{e(text)}</ins>")
    return "".join(parts)


_TAGS = {"h1": "h2", "h2": "h3", "h3": "h4", "h4": "h4", "h5": "h4", "h6": "h4", "li": "p", "dt": "p", "dd": "p"}


def html_report(result: DiffResult, full: bool = False) -> str:
    """A redline: insertions underlined in green, deletions struck in red.

    By default the changes only, each under its place, context collapsed; ``full`` writes the
    whole document in order with every insertion and deletion marked where it is.
    """
    e = htmlmod.escape
    rows = []
    if full:
        for kind, old, new in result.context:
            tag = _TAGS.get(kind, "p")
            css = "" if old == new else ' class="changed"'
            body = e(new) if old == new else _marked(old, new, collapse=False)
            rows.append(f"<{tag}{css}>{body}</{tag}>")
    else:
        for item in result.items:
            body = _marked(item.old, item.new, collapse=True)
            rows.append(f'<div class="change"><h3>{e(item.where)}: {e(item.what)}</h3><p>{body}</p></div>')
    summary = "".join(f"<li>{e(line)}</li>" for line in result.summary())
    footer = e(f"Redline: {result.title}")
    shown = "shown in place" if full else "collapsed"
    return (
        '<!doctype html><html><head><meta charset="utf-8"><title>Redline</title><style>'
        "body{font-family:'Letters Sans',sans-serif;font-size:9.5pt}"
        "ins{color:#006b1d;text-decoration:underline;background:#e6f4ea}"
        "del{color:#b00000;text-decoration:line-through;background:#fbe9e9}"
        ".change{border-left:3pt solid #999;padding-left:6pt;margin:6pt 0}h3{font-size:9.5pt;margin:0}"
        ".changed{border-left:3pt solid #b00000;padding-left:6pt}"
        "</style></head>"
        f'<body data-footer="{footer}" data-page="Page" data-of="of">'
        f"<h1>Redline: {e(result.title)}</h1><p>From: {e(result.old_label)}<br>To: {e(result.new_label)}</p>"
        f"<h2>Summary: {len(result.items)} change(s), {result.unchanged} unchanged block(s) ({shown})</h2>"
        f"<ul>{summary}</ul>{'<hr>' if full else ''}{''.join(rows)}</body></html>"
    )


def pdf_report(result: DiffResult, target: Path, full: bool = False) -> None:
    """The redline as a PDF, in the project's fonts (``full``: the whole document, see ``html_report``)."""
    from letters import paths

    shared = paths.shared_templates_dir()
    document, _ = layout(html_report(result, full), shared, [shared])
    write(document, PdfMetadata("Redline: " + result.title, result.new_label, result.title.split()[0],
                                date.today()), target)  # fmt: skip


def write_html_report(result: DiffResult, target: Path, full: bool = False) -> None:
    """The redline as an HTML file."""
    durable_write(target, html_report(result, full).encode("utf-8"))
