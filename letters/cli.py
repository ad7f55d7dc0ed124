"""Command line: parse options, call one library function per command, report.

The library raises ``LettersError`` for every user mistake; ``main`` turns it into a
message and exit code here and nowhere else.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from letters import __version__
from letters.documents import DOCUMENTS, RenderOptions, Written
from letters.errors import LettersError

F = TypeVar("F", bound=Callable[..., Any])


class _Date(click.ParamType):
    name = "YYYY-MM-DD"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        try:
            return datetime.strptime(str(value), "%Y-%m-%d").date()
        except ValueError:
            self.fail(f"{value!r} is not a date as YYYY-MM-DD", param, ctx)


DATE = _Date()


def as_of_option(f: F) -> F:
    return click.option("--as-of", type=DATE, help="Speak as of this date (default: the revision date).")(f)


def json_option(f: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of text.")(f)


def _report_written(result: Written, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(result.as_json(), indent=2))
        return
    for warning in result.warnings:
        click.secho(f"warning: {warning}", fg="yellow", err=True)
    pages = sum(result.pages.values())
    detail = ", ".join(f"{name} {n}" for name, n in result.pages.items())
    click.echo(f"wrote {result.path} ({pages} pages: {detail})")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="letters")
def cli() -> None:
    """Generate recall and service-campaign documents: dealer notices, owner letters, mailings."""


@cli.command()
@click.argument("campaign")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="PDF to write (default: output/CAMPAIGN-notice.pdf).")
@as_of_option
@json_option
def notice(campaign: str, output: Path | None, as_of: date | None, as_json: bool) -> None:
    """Render the dealer notice package (cover, dealer letter, FAQ, form, sample owner letter) as one PDF."""
    from letters.documents import render_notice_file

    _report_written(render_notice_file(campaign, output, RenderOptions(as_of=as_of)), as_json)


@cli.command()
@click.argument("campaign")
@click.argument("document", type=click.Choice(list(DOCUMENTS)))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="PDF to write (default: output/CAMPAIGN-DOCUMENT.pdf).")
@click.option("--vin", help="Disclosure form: prefill VIN, program code, model and model year.")
@as_of_option
@json_option
def render(campaign: str, document: str, output: Path | None, vin: str | None, as_of: date | None, as_json: bool) -> None:
    """Render one DOCUMENT of CAMPAIGN as a PDF."""
    from letters.documents import render_document_file

    _report_written(render_document_file(campaign, document, output, RenderOptions(as_of=as_of), vin=vin), as_json)


def main() -> None:
    """Entry point: run the CLI, turning library errors into messages and exit codes."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except LettersError as exc:
        click.secho(f"error: {exc.message}", fg="red", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
