"""Documents and campaign authoring: notice, render, campaigns, new, schema, i18n."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import click

from letters.cli.app import cli
from letters.cli.options import (
    CAMPAIGN,
    DATE,
    LEDGER_OPTION,
    as_of_option,
    files_options,
    json_option,
)
from letters.documents import RenderOptions
from letters.notice import Written


def report_written(result: Written, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(result.as_json(), indent=2))
        return
    for warning in result.warnings:
        click.secho(f"warning: {warning}", fg="yellow", err=True)
    pages = sum(result.pages.values())
    detail = ", ".join(f"{name} {n}" for name, n in result.pages.items())
    click.echo(f"wrote {result.path} ({pages} pages: {detail}); revision {result.revision}, as of {result.as_of}")


@cli.command()
@click.argument("campaign", type=CAMPAIGN)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="PDF to write (default: output/CAMPAIGN-notice.pdf).",
)
@as_of_option
@click.option("--changes-since", type=DATE, help="Box changes since the revision in effect on this date.")
@click.option("--draft", is_flag=True, help="Render a revision not yet approved, stamped DRAFT on every page.")
@click.option("--no-boxes", is_flag=True, help="Do not outline changes in red.")
@json_option
def notice(campaign: str, output: Path | None, as_of: date | None, revision: str | None,
           changes_since: date | None, draft: bool, no_boxes: bool, as_json: bool) -> None:  # fmt: skip
    """Render the dealer notice package (cover, dealer letter, FAQ, form, sample owner letter) as one PDF."""
    from letters.notice import render_notice_file

    options = RenderOptions(as_of=as_of, draft=draft, boxes=not no_boxes)
    report_written(render_notice_file(campaign, output, options, revision, changes_since), as_json)


@cli.command()
@click.argument("campaign", type=CAMPAIGN)
@click.argument("document")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="PDF to write (default: output/CAMPAIGN-DOCUMENT.pdf).",
)
@click.option("--vin", help="Disclosure form: prefill VIN, program code, model and model year.")
@as_of_option
@click.option("--changes-since", type=DATE, help="Box changes since the revision in effect on this date.")
@click.option("--draft", is_flag=True, help="Stamp DRAFT on every page.")
@click.option("--lang", type=click.Choice(["en", "es"]), default="en", show_default=True,
              help="Language of an owner-facing document (owner letter, disclosure form, FAQ).")  # fmt: skip
@click.option("--strict", is_flag=True, help="Fail on a missing translation instead of warning.")
@click.option("--no-boxes", is_flag=True, help="Do not outline changes in red (a copy for a guest).")
@click.option("--stage", help="Owner letter: the stage to print, e.g. interim, remedy, follow-up.")
@click.option("--phase", type=click.IntRange(1), help="Owner letter with --vin: the phase expected (refused if "
              "the VIN is in another).")  # fmt: skip
@files_options
@LEDGER_OPTION
@click.option("--pr-language", type=click.Choice(["bilingual", "es", "en"]), default="bilingual", show_default=True,
              help="Owner letter with --vin: Puerto Rico letters without a language, as mail takes it.")  # fmt: skip
@json_option
def render(campaign: str, document: str, output: Path | None, vin: str | None, as_of: date | None,
           revision: str | None, changes_since: date | None, draft: bool, lang: str, strict: bool,
           no_boxes: bool, stage: str | None, phase: int | None, vehicles: Path | None, owners: Path | None,
           ledger: Path | None, pr_language: str, as_json: bool) -> None:  # fmt: skip
    """Render one DOCUMENT of CAMPAIGN as a PDF (changes boxed in red); an owner letter with --vin as mailed."""
    from letters.mail.preview import Preview, PreviewOptions, render_document

    options = RenderOptions(as_of=as_of, draft=draft, lang=lang, strict=strict, boxes=not no_boxes, stage=stage or "")
    preview = PreviewOptions(vin, phase, vehicles, owners, ledger, pr_language)
    result = render_document(campaign, document, output, options, preview, revision, changes_since)
    report_written(result, as_json)
    if isinstance(result, Preview) and not as_json:
        click.echo(f"owner letter of VIN {result.vin} as mail prints it: phase {result.phase}, stage {result.stage}, "
                   f"language {result.language}, {result.letter_pages} page(s), printed as "
                   f"{sum(result.pages.values())} on {result.sheets} sheet(s) (piece ID {result.piece_id} and "
                   "IMb serial 0 stand in for a run's)")  # fmt: skip


@cli.command("campaigns")
@json_option
def campaigns_command(as_json: bool) -> None:
    """Every campaign under templates/: kind, title, latest revision, phases and stages."""
    from letters.campaign.author import campaigns

    rows = campaigns()
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        if "error" in row:
            click.echo(f"{row['code']:<10} cannot be loaded: {row['error'].splitlines()[0]}")
            continue
        available = [str(p["phase"]) for p in row["phases"] if p["remedy_available"]]
        click.echo(f"{row['code']:<10} {row['kind']:<30} {row['title']}")
        said = row["words"]["available"]
        click.echo(f"{'':<10} revision {row['latest_revision']}; {len(row['phases'])} phase(s), {said} "
                   f"for {', '.join(available) or 'none'}; stages: {', '.join(row['stages'])}")  # fmt: skip


@cli.command("new")
@click.argument("code")
@click.option("--kind", required=True, help="safety-recall, emissions-recall, customer-satisfaction-program, "
              "warranty-extension or service-campaign.")  # fmt: skip
@click.option("--from", "source", type=CAMPAIGN, help="Copy this campaign's files instead of the blank scaffold.")
@json_option
def new_command(code: str, kind: str, source: str | None, as_json: bool) -> None:
    """Start campaign CODE: a folder under templates/ that renders at once (as a draft)."""
    from letters.campaign.author import new_campaign

    folder = new_campaign(code, kind, source)
    if as_json:
        click.echo(json.dumps({"code": folder.name, "folder": str(folder)}))
        return
    click.echo(f"wrote {folder}; fill in its TODOs, then: letters notice {folder.name} --draft")


@cli.command("schema")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to FILE (default: print).")
def schema_command(output: Path | None) -> None:
    """Print the JSON Schema of campaign.toml (for editors such as taplo / Even Better TOML)."""
    from letters.campaign.author import write_schema

    text = write_schema(output)
    if output is None:
        click.echo(text)
    else:
        click.echo(f"wrote {output}")


@cli.group("i18n")
def i18n_group() -> None:
    """Translation catalogs: extract template text, update and compile catalogs, check them."""


def _langs(values: tuple[str, ...]) -> list[str]:
    from letters.i18n import translated_languages

    return translated_languages(values)


@i18n_group.command("extract")
def i18n_extract() -> None:
    """Extract translatable template text into locales/messages.pot."""
    from letters.i18n import extract

    for line in extract().actions:
        click.echo(line)


@i18n_group.command("update")
@click.argument("langs", nargs=-1)
def i18n_update(langs: tuple[str, ...]) -> None:
    """Merge messages.pot into each language's messages.po (default: every language)."""
    from letters.i18n import update

    for line in update(_langs(langs)).actions:
        click.echo(line)


@i18n_group.command("compile")
@click.argument("langs", nargs=-1)
def i18n_compile(langs: tuple[str, ...]) -> None:
    """Compile each language's messages.po to messages.mo."""
    from letters.i18n import compile_catalogs

    for line in compile_catalogs(_langs(langs)).actions:
        click.echo(line)


@i18n_group.command("check")
@click.argument("langs", nargs=-1)
def i18n_check(langs: tuple[str, ...]) -> None:
    """Fail, listing each message, on untranslated, fuzzy or placeholder-mismatched text."""
    from letters.campaign.author import check_all

    report = check_all(_langs(langs))
    for problem in report.problems:
        click.echo(problem)
    if report.problems:
        raise click.exceptions.Exit(1)
    click.echo("catalogs complete: " + ", ".join(_langs(langs)))
