"""Command line: parse options, call one library function per command, report.

The library raises ``LettersError`` for every user mistake; ``main`` turns it into a
message and exit code here and nowhere else.

Commands live by group: ``records`` (check, lookup, sample-data), ``mail`` (mail, remail,
status), ``authoring`` (notice, render, campaigns, new, schema, i18n) and ``review``
(review, revisions, approve, diff); their shared options are in ``options``; ``app`` is the
group that maps errors to exit codes.
"""

from __future__ import annotations

from letters.cli import authoring, mail, records, review
from letters.cli.app import cli

__all__ = ["authoring", "cli", "mail", "main", "records", "review"]


def main() -> None:
    """Entry point of the ``letters`` command."""
    cli(prog_name="letters")
