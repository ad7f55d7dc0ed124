"""What reviewers use: revision history, readable diffs, approvals, and the web app around them."""

from letters.review.diff import (
    DiffResult,
    RevisionRow,
    approve_revision,
    diff_documents,
    diff_pdfs,
    html_report,
    pdf_report,
    revisions,
    text_report,
    write_html_report,
)

__all__ = [
    "DiffResult",
    "RevisionRow",
    "approve_revision",
    "diff_documents",
    "diff_pdfs",
    "html_report",
    "pdf_report",
    "revisions",
    "text_report",
    "write_html_report",
]
