"""Render stage: Jinja templates to HTML to laid-out WeasyPrint documents to PDF.

Names are loaded on first use: the records stage measures address lines with
``letters.render.shaping`` and should not pay for importing WeasyPrint to do so.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_WHERE = {
    "make_environment": "letters.render.env",
    "template_errors": "letters.render.env",
    "PdfMetadata": "letters.render.pdf",
    "combine": "letters.render.pdf",
    "layout": "letters.render.pdf",
    "write": "letters.render.pdf",
}

__all__ = ["PdfMetadata", "combine", "layout", "make_environment", "template_errors", "write"]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'letters.render' has no attribute {name!r}")
