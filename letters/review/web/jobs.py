"""The review app's slow work, run in worker processes: each job writes one cache file (atomically).

Every job names the project folder (``LETTERS_HOME``): a worker forked from the fork server
keeps the environment the server started with, not the app's.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

PRELOAD = ["letters.review.web.jobs", "letters.review.copy", "letters.review.compare", "letters.review.diff"]
"""Imported once by the fork server, so no job imports them again."""
DPIS = (72, 96, 144, 192, 288, 384)
"""Resolutions a page image is served in: 96 dpi is a letter page 816 px wide, as CSS draws it at 100%."""


def _at(home: str, skip: tuple[str, ...] = ()) -> None:
    """Work in project ``home``, leaving out the broken drafts ``skip`` (see ``letters.review.web.core.load``)."""
    from letters.campaign.history import SKIPPED

    os.environ["LETTERS_HOME"] = home
    SKIPPED.set(frozenset(skip))


def _write_json(target: Path, data: Any) -> None:
    part = target.with_name(f".{target.name}.{os.getpid()}.part")
    part.write_text(json.dumps(data), encoding="utf-8")
    os.replace(part, target)


def start_worker() -> None:
    """Each worker runs at a lower priority than the server: a page never waits behind a render for the CPU."""
    with contextlib.suppress(OSError):
        os.nice(5)


def ready() -> int:
    """A no-op: starts a worker (and the fork server) before the first real job needs it."""
    return os.getpid()


def copy_job(home: str, skip: tuple[str, ...], code: str, revision: str, pdf: Path, manifest: Path) -> None:
    """The review copy of ``revision``: its PDF and the manifest of its documents, pages and blocks."""
    from letters.campaign import load_campaign
    from letters.documents import Renderer
    from letters.review.copy import render_copy

    _at(home, skip)
    part = pdf.with_name(f".{pdf.name}.{os.getpid()}.part")
    copy = render_copy(code, revision, part)
    os.replace(part, pdf)
    loaded = load_campaign(code, revision=revision)
    renderer = Renderer(loaded)
    day = loaded.campaign.revision.date
    topics = [str(renderer.topic(u)) for u in loaded.campaign.updates if u.date == day]
    _write_json(manifest, {**copy.as_json(), "topics": topics})


def changes_job(home: str, skip: tuple[str, ...], code: str, old: Path, new: Path, target: Path) -> None:
    """The changes between two review copies (their manifests), document by document."""
    from letters.review.compare import copy_changes
    from letters.review.copy import NoticeCopy

    _at(home, skip)
    copies = [NoticeCopy.from_json(json.loads(path.read_text(encoding="utf-8"))) for path in (old, new)]
    _write_json(target, [d.as_json() for d in copy_changes(code, *copies)])


def history_job(home: str, skip: tuple[str, ...], code: str, target: Path) -> None:
    """The revision history (topics rendered, documents touched); approvals are read fresh, not cached."""
    from letters.review.diff import revisions

    _at(home, skip)
    _write_json(target, [{"id": r.id, "topics": list(r.topics), "documents": list(r.documents)}
                         for r in revisions(code)])  # fmt: skip


def png_job(pdf: Path, number: int, dpi: int, target: Path) -> None:
    """Page ``number`` of ``pdf`` as a PNG at ``dpi``."""
    import pypdfium2 as pdfium

    from letters.render.native import PDFIUM

    with PDFIUM:
        doc = pdfium.PdfDocument(pdf)
        try:
            image = doc[number - 1].render(scale=dpi / 72).to_pil()
        finally:
            doc.close()
    part = target.with_name(f".{target.name}.{os.getpid()}.part")
    image.save(part, format="PNG", compress_level=1)
    os.replace(part, target)


def notice_job(
    home: str, skip: tuple[str, ...], code: str, revision: str, draft: bool, boxes: bool, target: Path
) -> None:
    """The notice as ``letters notice`` writes it (boxes against the previous revision; DRAFT unless approved)."""
    from letters.documents import RenderOptions
    from letters.notice import render_notice_file

    _at(home, skip)
    part = target.with_name(f".{target.name}.{os.getpid()}.part")
    render_notice_file(code, part, RenderOptions(draft=draft, boxes=boxes), revision)
    os.replace(part, target)


def redline_job(home: str, skip: tuple[str, ...], code: str, document: str, old: str, new: str, target: Path) -> None:
    """The redline of ``document`` from ``old`` to ``new``: the whole document, changes marked in place."""
    from letters.review.diff import diff_documents, pdf_report

    _at(home, skip)
    part = target.with_name(f".{target.name}.{os.getpid()}.part")
    pdf_report(diff_documents(code, document, old, new), part, full=True)
    os.replace(part, target)
