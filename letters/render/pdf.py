"""HTML to PDF with WeasyPrint: lay out documents, then write them, as WeasyPrint does.

Stylesheets and the font configuration are built once per process and reused: parsing
the stylesheet and loading the fonts cost more than laying out a short letter.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from xml.etree.ElementTree import Element

import weasyprint
from weasyprint.text.fonts import FontConfiguration

from letters import paths
from letters.render.fetch import CampaignFetcher
from letters.render.native import WEASYPRINT
from letters.write import durable_write

# WeasyPrint reports refused and missing resources through its logger; the fetcher keeps
# its own list, so the log lines would only repeat it on the user's terminal.
logging.getLogger("weasyprint").setLevel(logging.ERROR)


@dataclass(frozen=True)
class PdfMetadata:
    """What the written PDF says about itself."""

    title: str
    """Document title (/Title)."""
    subject: str
    """Subject line (/Subject)."""
    campaign: str
    """Campaign code (custom /Campaign key and keyword)."""
    revision: date
    """Revision date (custom /Revision key, keyword and creation date)."""
    extra: tuple[tuple[str, str], ...] = ()
    """More custom keys, e.g. phase and batch of a mailing."""


@cache
def font_config() -> FontConfiguration:
    """One font configuration per process: fonts are loaded once."""
    return FontConfiguration()


@cache
def base_stylesheet() -> weasyprint.CSS:
    """The shared stylesheet (fonts, page, tables), parsed once per process."""
    shared = paths.shared_templates_dir()
    return weasyprint.CSS(
        filename=str(shared / "letters.css"),
        font_config=font_config(),
        url_fetcher=CampaignFetcher([shared]),
    )


def parse(html: str) -> Element:
    """The element tree of ``html``, parsed as WeasyPrint parses it."""
    with WEASYPRINT:
        root: Element = weasyprint.HTML(string=html).etree_element
    return root


def layout(
    html: str, base: Path, roots: list[Path], prepare: Callable[[Element], None] | None = None
) -> tuple[weasyprint.document.Document, list[str]]:
    """Lay out ``html`` (resources relative to ``base``) and return the document and refused URLs.

    ``prepare`` may edit the parsed tree first (the change boxes do).
    """
    fetcher = CampaignFetcher(roots)
    with WEASYPRINT:
        source = weasyprint.HTML(string=html, base_url=str(base) + "/", url_fetcher=fetcher)
        if prepare is not None:
            prepare(source.etree_element)
        document = source.render(stylesheets=[base_stylesheet()], font_config=font_config())
    return document, fetcher.refused


def combine(documents: Sequence[weasyprint.document.Document]) -> weasyprint.document.Document:
    """One document holding every page of ``documents``, in order."""
    pages = [page for doc in documents for page in doc.pages]
    return documents[0].copy(pages)


def write(document: weasyprint.document.Document, meta: PdfMetadata, target: Path | None = None) -> bytes:
    """Write ``document`` with ``meta``; returns the bytes and writes ``target`` if given."""
    md = document.metadata
    md.title = meta.title
    md.description = meta.subject
    md.keywords = [meta.campaign, f"revision {meta.revision.isoformat()}"]
    md.generator = "letters"
    md.authors = []
    # Dates from the revision, not the clock: the same inputs give the same file.
    md.created = md.modified = meta.revision.isoformat()
    md.custom = {"Campaign": meta.campaign, "Revision": meta.revision.isoformat(), **dict(meta.extra)}
    with WEASYPRINT:
        data: bytes = document.write_pdf(custom_metadata=True)
    if target is not None:
        durable_write(target, data)
    return data
