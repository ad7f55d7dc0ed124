"""Command line: parse options, call one library function per command, report.

The library raises ``LettersError`` for every user mistake; ``main`` turns it into a
message and exit code here and nowhere else.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from letters import __version__
from letters.documents import DOCUMENTS, RenderOptions, Written
from letters.errors import LettersError

F = TypeVar("F", bound=Callable[..., Any])


class _Date(click.ParamType):  # type: ignore[type-arg]
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


class _UserError(click.ClickException):
    """A ``LettersError`` on its way to the terminal."""

    def __init__(self, error: LettersError) -> None:
        super().__init__(error.message)
        self.exit_code = error.exit_code

    def show(self, file: Any = None) -> None:
        click.secho(f"error: {self.message}", fg="red", err=True)


class _Group(click.Group):
    """Turns the library's errors into messages and exit codes: the one place that does."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except LettersError as exc:
            raise _UserError(exc) from None


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="letters")
def cli() -> None:
    """Generate recall and service-campaign documents: dealer notices, owner letters, mailings."""


@cli.command()
@click.argument("campaign")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="PDF to write (default: output/CAMPAIGN-notice.pdf).",
)
@as_of_option
@json_option
def notice(campaign: str, output: Path | None, as_of: date | None, as_json: bool) -> None:
    """Render the dealer notice package (cover, dealer letter, FAQ, form, sample owner letter) as one PDF."""
    from letters.documents import render_notice_file

    _report_written(render_notice_file(campaign, output, RenderOptions(as_of=as_of)), as_json)


@cli.command()
@click.argument("campaign")
@click.argument("document", type=click.Choice(list(DOCUMENTS)))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="PDF to write (default: output/CAMPAIGN-DOCUMENT.pdf).",
)
@click.option("--vin", help="Disclosure form: prefill VIN, program code, model and model year.")
@as_of_option
@json_option
def render(
    campaign: str, document: str, output: Path | None, vin: str | None, as_of: date | None, as_json: bool
) -> None:
    """Render one DOCUMENT of CAMPAIGN as a PDF."""
    from letters.documents import render_document_file

    _report_written(render_document_file(campaign, document, output, RenderOptions(as_of=as_of), vin=vin), as_json)


def _files_options(f: F) -> F:
    f = click.option(
        "--owners",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Owner records CSV (default: the bundled list).",
    )(f)
    f = click.option(
        "--vehicles",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Vehicle records CSV (default: the bundled list).",
    )(f)
    return f


@cli.command()
@click.argument("campaign")
@_files_options
@as_of_option
@json_option
@click.option(
    "--rejects",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write every record that is not mailed, with its reason, to this CSV.",
)
def check(
    campaign: str, vehicles: Path | None, owners: Path | None, as_of: date | None, as_json: bool, rejects: Path | None
) -> None:
    """Reconcile vehicle and owner records: every record read ends in exactly one outcome."""
    from letters.report import check_records

    report = check_records(campaign, vehicles, owners, as_of, rejects)
    data = report.as_json()
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    click.echo(f"{data['campaign']} as of {data['as_of']}: {data['records_read']:,} records read")
    for name, count in data["outcomes"].items():
        if count:
            click.echo(f"  {name:<24}{count:>10,}")
    click.echo(f"  {'total':<24}{sum(data['outcomes'].values()):>10,}")
    click.echo("phase  covered  mailable  pending  campaign approx.")
    for p in data["phases"]:
        approx = f"~{p['campaign_approx']:,}" if p["campaign_approx"] else "TBD"
        click.echo(f"{p['phase']:>5}{p['covered']:>9,}{p['mailable']:>10,}{p['pending']:>9,}  {approx}")
    for reason, count in data["not_covered_reasons"].items():
        click.echo(f"not covered ({count:,}): {reason}")
    if rejects:
        click.echo(f"wrote {rejects}")


@cli.command()
@click.argument("campaign")
@click.argument("vins", nargs=-1, required=True)
@click.option(
    "--vehicles",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Vehicle records CSV (default: the bundled list).",
)
@as_of_option
@json_option
def lookup(campaign: str, vins: tuple[str, ...], vehicles: Path | None, as_of: date | None, as_json: bool) -> None:
    """Show what a dealer's VIN lookup shows: coverage, phase, remedy timing, mailing month."""
    from letters.report import lookup_vins

    results = lookup_vins(campaign, list(vins), vehicles, as_of)
    if as_json:
        click.echo(json.dumps([r.as_json() for r in results], indent=2))
        return
    for r in results:
        click.echo(r.describe())


@cli.command("sample-data")
@click.argument("campaign")
@click.option(
    "--vehicles", "count", type=click.IntRange(1), default=3000, show_default=True, help="Vehicle records to make."
)
@click.option("--seed", type=int, default=1, show_default=True, help="Random seed; the same seed gives the same files.")
@click.option("--with-errors", is_flag=True, help="Mix in a known share of every kind of bad record.")
@click.option(
    "-o", "--output", type=click.Path(file_okay=False, path_type=Path), help="Folder to write (default: output/sample)."
)
@json_option
def sample_data(campaign: str, count: int, seed: int, with_errors: bool, output: Path | None, as_json: bool) -> None:
    """Write realistic synthetic vehicle and owner CSVs for CAMPAIGN."""
    from letters.sample import generate_files

    files = generate_files(campaign, output, count, seed, with_errors)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "vehicles": str(files.vehicles),
                    "owners": str(files.owners),
                    "vehicle_rows": files.vehicle_rows,
                    "owner_rows": files.owner_rows,
                    "defects": files.defects,
                },
                indent=2,
            )
        )
        return
    click.echo(f"wrote {files.vehicles} ({files.vehicle_rows:,} rows) and {files.owners} ({files.owner_rows:,} rows)")
    for kind, n in files.defects.items():
        click.echo(f"  defect {kind}: {n}")


def main() -> None:
    """Entry point of the ``letters`` command."""
    cli(prog_name="letters")
