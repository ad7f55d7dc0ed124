"""What reviewers use: the revision history, diffs between revisions or PDFs, approvals."""

from __future__ import annotations

import html as htmlmod
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from letters.campaign import load_campaign
from letters.campaign.history import approve
from letters.documents import UPDATE_COVER, Renderer, RenderOptions, document_spec, documents_of
from letters.errors import InputError, UsageError
from letters.render.changes import Block, Change, diff, html_blocks, word_diff
from letters.render.pdf import PdfMetadata, layout, parse, write
from letters.write import durable_write

_FOOTER = re.compile(r"Page \d+ of \d+$")


@dataclass(frozen=True)
class RevisionRow:
    """One line of ``letters revisions``."""

    id: str
    """Revision date, YYYY-MM-DD."""
    topics: tuple[str, ...]
    """Its topics ("original publication" for the first)."""
    documents: tuple[str, ...]
    """Documents whose text it changed."""
    approved_by: str
    """Who approved it, empty when not approved."""
    approved_at: date | None
    """When."""

    def as_json(self) -> dict[str, Any]:
        return {
            "revision": self.id, "topics": list(self.topics), "documents": list(self.documents),
            "approved_by": self.approved_by or None,
            "approved_at": self.approved_at.isoformat() if self.approved_at else None,
        }  # fmt: skip


def revisions(code: str) -> list[RevisionRow]:
    """``letters revisions``: every revision with the documents it touched and its approval."""
    latest = load_campaign(code)
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
        rows.append(RevisionRow(entry.id, topics or ("Original publication",), touched, entry.approved_by,
                                entry.approved_at))  # fmt: skip
        previous = current
    return rows


def approve_revision(code: str, revision: str, by: str, at: date | None) -> Path:
    """``letters approve``: record who approved ``revision`` and when."""
    loaded = load_campaign(code, revision=revision)
    if loaded.campaign.revision.approved_by:
        rev = loaded.campaign.revision
        raise UsageError(f"revision {revision} was already approved by {rev.approved_by} on {rev.approved_at}")
    return approve(loaded.folder, revision, by, at or date.today())


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

    def summary(self) -> list[str]:
        """One line per change, naming block kinds and pages when known."""
        return [_describe(c) for c in self.changes]

    def as_json(self) -> dict[str, Any]:
        """What ``letters diff --json`` prints."""

        def blocks(items: tuple[Block, ...]) -> list[dict[str, Any]]:
            return [{"kind": b.kind, "text": b.text, **({"page": b.page} if b.page else {})} for b in items]

        return {
            "title": self.title, "old": self.old_label, "new": self.new_label, "unchanged": self.unchanged,
            "changes": [{"op": c.op, "summary": _describe(c), "old": blocks(c.old), "new": blocks(c.new)}
                        for c in self.changes],
        }  # fmt: skip


def _where(block: Block) -> str:
    return f"p.{block.page} " if block.page else ""


def _describe(change: Change) -> str:
    blocks = change.new or change.old
    kinds = sorted({b.kind for b in blocks})
    verb = {"insert": "added", "delete": "removed", "replace": "changed"}[change.op]
    first = blocks[0]
    return (
        f"{verb} {', '.join(kinds)} ({len(blocks)} block{'s' * (len(blocks) > 1)}) {_where(first)}: {first.text[:80]}"
    )


def _document_blocks(code: str, name: str, version: str) -> tuple[str, list[Block]]:
    try:
        when = date.fromisoformat(version)
    except ValueError:
        raise UsageError(f"{version!r} is not a revision date (YYYY-MM-DD)") from None
    loaded = load_campaign(code, as_of=when)
    spec = document_spec(loaded.campaign, name)
    html = Renderer(loaded).html(spec, RenderOptions(as_of=when))
    return f"{code} {name} as of {version} (revision {loaded.campaign.revision.date.isoformat()})", html_blocks(
        parse(html)
    )


def diff_documents(code: str, name: str, old: str, new: str) -> DiffResult:
    """``letters diff CAMPAIGN DOCUMENT --from A --to B``: block changes between two dates."""
    old_label, old_blocks = _document_blocks(code, name, old)
    new_label, new_blocks = _document_blocks(code, name, new)
    changes = diff(old_blocks, new_blocks)
    changed = sum(len(c.new) for c in changes)
    return DiffResult(f"{code} {name}", old_label, new_label, tuple(changes), len(new_blocks) - changed)


def pdf_blocks(path: Path) -> list[Block]:
    """Lines of a PDF's text as blocks, each with its page number."""
    import pdfplumber

    try:
        with pdfplumber.open(path) as pdf:
            out = []
            for number, page in enumerate(pdf.pages, start=1):
                for line in (page.extract_text() or "").splitlines():
                    text = " ".join(line.split())
                    # Running footers repeat on every page and shift with pagination: noise.
                    if text and not _FOOTER.search(text):
                        out.append(Block("line", text, page=number))
            return out
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except Exception as exc:  # pdfminer raises many kinds for a file that is not a PDF
        raise InputError(f"{path}: not a readable PDF ({type(exc).__name__})") from None


def diff_pdfs(old: Path, new: Path) -> DiffResult:
    """``letters diff OLD.pdf NEW.pdf``: line changes between two PDFs, with page numbers."""
    old_blocks, new_blocks = pdf_blocks(old), pdf_blocks(new)
    changes = diff(old_blocks, new_blocks)
    changed = sum(len(c.new) for c in changes)
    return DiffResult(f"{old.name} -> {new.name}", str(old), str(new), tuple(changes), len(new_blocks) - changed)


Segment = tuple[str, str]
"""(style, text): style is "plain", "head", "deleted" or "inserted"; the CLI colours them."""


def text_report(result: DiffResult) -> Iterator[list[Segment]]:
    """The compact word-level diff, line by line: one header and one word diff per changed block."""
    yield [("plain", f"--- {result.old_label}")]
    yield [("plain", f"+++ {result.new_label}")]
    yield [("plain", f"{len(result.changes)} change(s), {result.unchanged} block(s) unchanged")]
    for change in result.changes:
        yield [("head", f"@@ {_describe(change)}")]
        old_text = " ".join(b.text for b in change.old)
        new_text = " ".join(b.text for b in change.new)
        line: list[Segment] = [("plain", "  ")]
        for op, text in word_diff(old_text, new_text):
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


def html_report(result: DiffResult) -> str:
    """A redline: insertions underlined in green, deletions struck in red, context collapsed."""
    e = htmlmod.escape
    rows = []
    for change in result.changes:
        old_text = " ".join(b.text for b in change.old)
        new_text = " ".join(b.text for b in change.new)
        parts = []
        for op, text in word_diff(old_text, new_text):
            if op == "=":
                parts.append(e(_context(text)))
            elif op == "-":
                parts.append(f"<del>{e(text)}</del>")
            else:
                parts.append(f"<ins>{e(text)}</ins>")
        rows.append(f'<div class="change"><h3>{e(_describe(change))}</h3><p>{" ".join(parts)}</p></div>')
    summary = "".join(f"<li>{e(line)}</li>" for line in result.summary())
    return (
        '<!doctype html><html><head><meta charset="utf-8"><title>Redline</title><style>'
        "body{font-family:'Letters Sans',sans-serif;font-size:9.5pt}"
        "ins{color:#006b1d;text-decoration:underline;background:#e6f4ea}"
        "del{color:#b00000;text-decoration:line-through;background:#fbe9e9}"
        ".change{border-left:3pt solid #999;padding-left:6pt;margin:6pt 0}h3{font-size:9.5pt;margin:0}"
        "</style></head><body>"
        f"<h1>Redline: {e(result.title)}</h1><p>From: {e(result.old_label)}<br>To: {e(result.new_label)}</p>"
        f"<h2>Summary: {len(result.changes)} changed block(s), {result.unchanged} unchanged (collapsed)</h2>"
        f"<ul>{summary}</ul>{''.join(rows)}</body></html>"
    )


def pdf_report(result: DiffResult, target: Path) -> None:
    """The redline as a PDF, in the project's fonts."""
    from letters import paths

    shared = paths.shared_templates_dir()
    document, _ = layout(html_report(result), shared, [shared])
    write(document, PdfMetadata("Redline: " + result.title, result.new_label, result.title.split()[0],
                                date.today()), target)  # fmt: skip


def write_html_report(result: DiffResult, target: Path) -> None:
    """The redline as an HTML file."""
    durable_write(target, html_report(result).encode("utf-8"))
