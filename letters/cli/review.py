"""Review: the web app, revisions, approve, diff."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

import click

from letters.cli.app import cli
from letters.cli.options import (
    CAMPAIGN,
    DATE,
    json_option,
)


@cli.command("review")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (loopback by default).")
@click.option("--port", type=click.IntRange(1, 65535), default=8765, show_default=True, help="Port to listen on.")
@click.option("--open", "open_browser", is_flag=True, help="Open the app in the default browser.")
@click.option("--allowed-host", "allowed", multiple=True, help="Another Host name clients use (repeatable).")
@click.option("--reviewers", type=click.Path(dir_okay=False, path_type=Path),
              help="Reviewers file (default: reviewers.toml in the project folder).")  # fmt: skip
@click.option("--proxy-user-header", default="", help="Take the reviewer's name from this header, set by the "
              "authenticating reverse proxy in front of the app (e.g. X-Forwarded-User).")  # fmt: skip
def review_command(host: str, port: int, open_browser: bool, allowed: tuple[str, ...], reviewers: Path | None,
                   proxy_user_header: str) -> None:  # fmt: skip
    """Serve the reviewers' web app: history, pages side by side, changes in plain words, the review workflow."""
    from letters.review.web import serve

    serve(host, port, open_browser, lambda url: click.echo(f"letters review on {url} (Ctrl-C stops it)", err=True),
          allowed, reviewers, proxy_user_header)  # fmt: skip


@cli.group("reviewers")
def reviewers_group() -> None:
    """The reviewers who may sign in to 'letters review' (names and argon2 password hashes)."""


@reviewers_group.command("add")
@click.argument("name")
@click.option("--file", "path", type=click.Path(dir_okay=False, path_type=Path),
              help="Reviewers file (default: reviewers.toml in the project folder).")  # fmt: skip
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input (one line).")
@json_option
def reviewers_add_command(name: str, path: Path | None, password_stdin: bool, as_json: bool) -> None:
    """Add reviewer NAME (or give them a new password); only the password's argon2 hash is stored."""
    from letters.review.reviewers import add_reviewer, default_file

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)
    target = path or default_file()
    added = add_reviewer(target, name, password)
    if as_json:
        click.echo(json.dumps({"name": added, "path": str(target)}))
        return
    click.echo(f"reviewer {added} can sign in to 'letters review'; recorded in {target}")


@cli.command("revisions")
@click.argument("campaign", type=CAMPAIGN)
@json_option
def revisions_command(campaign: str, as_json: bool) -> None:
    """The revision history: date, topics, documents touched, approval."""
    from letters.review import revisions

    rows = revisions(campaign)
    if as_json:
        click.echo(json.dumps([r.as_json() for r in rows], indent=2))
        return
    for r in rows:
        click.echo(f"{r.id}  {r.review.words()}")
        if r.review.error:
            click.echo(f"            review log: {r.review.error}")
        for change in r.review.changed:
            click.echo(f"            changed since approval: {change}")
        click.echo(f"            documents: {', '.join(r.documents) or '(no text changes)'}")
        for topic in r.topics:
            click.echo(f"            - {topic}")
        for e in r.review.entries:
            about = f" on {e.document}: {e.item_text}" if e.item else ""
            click.echo(f"            {e.when()} {e.by}: {e.action}{about}" + (f": {e.comment}" if e.comment else ""))


@cli.command("approve")
@click.argument("campaign", type=CAMPAIGN)
@click.argument("revision")
@click.option("--by", required=True, help="Who approves the revision.")
@click.option("--at", type=DATE, help="Approval date (default: today).")
@click.option("--comment", default="", help="A note kept with the approval.")
@json_option
def approve_command(campaign: str, revision: str, by: str, at: date | None, comment: str, as_json: bool) -> None:
    """Mark REVISION (its date) of CAMPAIGN approved for distribution."""
    from letters.review import approve_revision

    entry, path = approve_revision(campaign, revision, by, at, comment)
    if as_json:
        click.echo(json.dumps({"campaign": campaign, "path": str(path), **entry.as_json()}))
        return
    click.echo(
        f"revision {revision} approved by {entry.by} at {entry.when()} ({entry.fingerprint}); recorded in {path}"
    )


_STYLES: dict[str, dict[str, Any]] = {"head": {"fg": "cyan"}, "deleted": {"fg": "red", "strikethrough": True},
           "inserted": {"fg": "green", "underline": True}}  # fmt: skip


@cli.command("diff")
@click.argument("campaign_or_old")
@click.argument("document_or_new")
@click.option("--from", "old", help="Old version: a date (YYYY-MM-DD); the revision then in effect.")
@click.option("--to", "new", help="New version: a date (YYYY-MM-DD).")
@click.option("--format", "fmt", type=click.Choice(["text", "html", "pdf"]), default="text", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write here (html, pdf).")
@click.option("--full", is_flag=True, help="html, pdf: the whole document, changes marked in place.")
@json_option
def diff_command(campaign_or_old: str, document_or_new: str, old: str | None, new: str | None, fmt: str,
                 output: Path | None, full: bool, as_json: bool) -> None:  # fmt: skip
    """Show what changed: CAMPAIGN DOCUMENT --from A --to B, or OLD.pdf NEW.pdf.

    Text prints a word-level diff per change (coloured on a terminal); html and pdf write a
    redline with the summary of changes at the top (--full: the whole document in context).
    """
    from letters.review import diff_documents, diff_pdfs, pdf_report, text_report, write_html_report

    if campaign_or_old.lower().endswith(".pdf") and document_or_new.lower().endswith(".pdf"):
        result = diff_pdfs(Path(campaign_or_old), Path(document_or_new))
    else:
        if not old or not new:
            raise click.UsageError("give --from and --to (dates), or two PDF files")
        result = diff_documents(campaign_or_old, document_or_new, old, new)
    if as_json:
        click.echo(json.dumps(result.as_json(), indent=2))
        return
    if fmt == "text":
        color = sys.stdout.isatty()
        for line in text_report(result):
            click.echo("".join(click.style(t, **_STYLES[s]) if color and s in _STYLES else t for s, t in line))
        return
    if output is None:
        raise click.UsageError(f"--format {fmt} needs -o FILE")
    if fmt == "html":
        write_html_report(result, output, full)
    else:
        pdf_report(result, output, full)
    click.echo(f"wrote {output} ({len(result.items)} change(s))")
