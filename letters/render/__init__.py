"""Render stage: Jinja templates to HTML to laid-out WeasyPrint documents to PDF."""

from letters.render.env import make_environment, template_errors
from letters.render.pdf import PdfMetadata, combine, layout, write

__all__ = ["PdfMetadata", "combine", "layout", "make_environment", "template_errors", "write"]
