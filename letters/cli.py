"""Command line: parse options, call one library function per command, report.

The library raises ``LettersError`` for every user mistake; ``main`` turns it into a
message and exit code here and nowhere else.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from letters import __version__
from letters.documents import RenderOptions
from letters.errors import LettersError
from letters.notice import Written

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


class _Campaign(click.ParamType):  # type: ignore[type-arg]
    """A campaign code, made canonical at the edge: ``./23LJ01``, ``23lj01/`` and ``23LJ01`` are one campaign."""

    name = "CAMPAIGN"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        from letters.campaign import canonical_code

        return canonical_code(str(value))  # a LettersError here is reported like any other


CAMPAIGN = _Campaign()


def as_of_option(f: F) -> F:
    f = click.option("--revision", help="Use this revision (its date, YYYY-MM-DD) instead of the latest.")(f)
    return click.option(
        "--as-of", type=DATE, help="Speak as of this date: the revision then in effect, phases then available."
    )(f)


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
        # click declares exit_code a class variable (8.5+); each error class carries its own code.
        self.__class__ = _USER_ERRORS.setdefault(
            error.exit_code, type(f"_UserError{error.exit_code}", (_UserError,), {"exit_code": error.exit_code})
        )

    def show(self, file: Any = None) -> None:
        click.secho(f"error: {self.message}", fg="red", err=True)


_USER_ERRORS: dict[int, type[_UserError]] = {}


class _Group(click.Group):
    """Turns the library's errors into messages and exit codes: the one place that does."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except LettersError as exc:
            raise _UserError(exc) from None
        except BrokenPipeError:
            # Output piped into `head` and cut short: not an error worth a message.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise SystemExit(141) from None
        except OSError as exc:
            # The library names the file in its own errors; this is the net under them.
            where = exc.filename or "a file"
            raise _UserError(LettersError(f"cannot use {where}: {exc.strerror or exc} (errno {exc.errno})")) from None


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="letters")
def cli() -> None:
    """Generate recall and service-campaign documents: dealer notices, owner letters, mailings."""


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
    _report_written(render_notice_file(campaign, output, options, revision, changes_since), as_json)


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
@json_option
def render(campaign: str, document: str, output: Path | None, vin: str | None, as_of: date | None,
           revision: str | None, changes_since: date | None, draft: bool, lang: str, strict: bool,
           no_boxes: bool, stage: str | None, as_json: bool) -> None:  # fmt: skip
    """Render one DOCUMENT of CAMPAIGN as a PDF (changes since the previous revision boxed in red)."""
    from letters.notice import render_document_file

    options = RenderOptions(as_of=as_of, draft=draft, lang=lang, strict=strict, boxes=not no_boxes, stage=stage or "")
    _report_written(render_document_file(campaign, document, output, options, vin, revision, changes_since), as_json)


VEHICLES_OPTION = click.option(
    "--vehicles",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Vehicle records CSV (default: the bundled list).",
)
LEDGER_OPTION = click.option(
    "--ledger", type=click.Path(dir_okay=False, path_type=Path), help="Mailing ledger (default: output/ledger.sqlite)."
)


def _files_options(f: F) -> F:
    f = click.option(
        "--owners",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Owner records CSV (default: the bundled list).",
    )(f)
    return VEHICLES_OPTION(f)


@cli.command()
@click.argument("campaign", type=CAMPAIGN)
@_files_options
@as_of_option
@json_option
@click.option(
    "--rejects",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write every record that is not mailed, with its reason, to this CSV.",
)
def check(campaign: str, vehicles: Path | None, owners: Path | None, as_of: date | None, revision: str | None,
          as_json: bool, rejects: Path | None) -> None:  # fmt: skip
    """Reconcile vehicle and owner records: every record read ends in exactly one outcome."""
    from letters.report import check_records

    report = check_records(campaign, vehicles, owners, as_of, rejects, revision)
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
@click.argument("campaign", type=CAMPAIGN)
@click.argument("vins", nargs=-1, required=True)
@VEHICLES_OPTION
@as_of_option
@json_option
def lookup(campaign: str, vins: tuple[str, ...], vehicles: Path | None, as_of: date | None, revision: str | None,
           as_json: bool) -> None:  # fmt: skip
    """Show what a dealer's VIN lookup shows: coverage, phase, remedy timing, mailing month."""
    from letters.report import lookup_vins

    results = lookup_vins(campaign, list(vins), vehicles, as_of, revision)
    if as_json:
        click.echo(json.dumps([r.as_json() for r in results], indent=2))
        return
    for r in results:
        click.echo(r.describe())


@cli.command("sample-data")
@click.argument("campaign", type=CAMPAIGN)
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


def _phases(value: str) -> tuple[int, ...]:
    try:
        phases = tuple(int(part) for part in value.split(",") if part.strip())
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a phase number or a list like 4,5") from None
    if not phases:
        raise click.BadParameter("give at least one phase")
    return phases


class _Progress:
    """A progress bar per run (letters done, letters/s, ETA) on a terminal; silent otherwise."""

    def __init__(self, quiet: bool) -> None:
        self.enabled = not quiet and sys.stderr.isatty()
        self.bar: Any = None
        self.started = 0.0
        self.first = 0

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        if self.bar is None or self.bar.length != total or done < self.bar.pos:
            self.close()
            self.bar = click.progressbar(
                length=total, label="letters", show_pos=True, show_eta=True, file=sys.stderr,
                item_show_func=lambda _: self._rate(),
            )  # fmt: skip
            self.bar.__enter__()
            self.started, self.first = time.monotonic(), done
        self.bar.update(done - self.bar.pos, done)

    def _rate(self) -> str:
        elapsed = time.monotonic() - self.started
        if not self.bar or elapsed <= 0:
            return ""
        return f"{(self.bar.pos - self.first) / elapsed:.0f} letters/s"

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


COMPLETED_OPTION = click.option(
    "--completed", type=click.Path(dir_okay=False, path_type=Path),
    help="Completed repairs CSV (VIN, repair date): repaired VINs get no remedy or follow-up letter.",
)  # fmt: skip


def _mail_options(f: F) -> F:
    f = click.option("--quiet", "-q", is_flag=True, help="No progress bar.")(f)
    f = COMPLETED_OPTION(f)
    f = click.option(
        "--stage", help="Owner-letter stage to mail (interim, remedy, follow-up...; default: the stage each phase "
        "is in on the mailing date).",
    )(f)  # fmt: skip
    f = click.option(
        "--renderer", type=click.Choice(["fast", "full"]), default="fast", show_default=True,
        help="fast: lay the letter out once and stamp each owner's fields (verified against full renders); "
        "full: WeasyPrint lays out every letter.",
    )(f)  # fmt: skip
    f = click.option(
        "--pr-language", type=click.Choice(["bilingual", "es", "en"]), default="bilingual", show_default=True,
        help="Puerto Rico letters without a language column: Spanish then English (bilingual), es or en.",
    )(f)  # fmt: skip
    f = click.option("--simplex", is_flag=True, help="Do not pad letters to an even page count.")(f)
    f = click.option(
        "-o", "--output", type=click.Path(file_okay=False, path_type=Path), help="Output folder (default: output/)."
    )(f)
    f = LEDGER_OPTION(f)
    f = click.option("--workers", type=click.IntRange(1), help="Processes rendering batches (default: CPU count).")(f)
    f = click.option(
        "--batch-size", type=click.IntRange(1), default=1000, show_default=True, help="Letters per batch PDF."
    )(f)
    f = click.option(
        "--as-of", type=DATE, help="Mailing date: phases available then are mailed; letters carry it (default: today)."
    )(f)
    return f


def _report_mail(report: Any, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(report.as_json(), indent=2))
        return
    for note in report.notes:
        click.echo(note)
    for r in report.runs:
        job = r.job
        click.echo(
            f"phase {job['phase']} ({job['stage']}): {job['letters']:,} letters, {job['pages']:,} pages, "
            f"{job['sheets']:,} sheets in {len(job['files'])} batch file(s) -> {r.folder}"
        )


@cli.command("mail")
@click.argument("campaign", type=CAMPAIGN)
@click.option("--phase", "phase_list", required=True, help="Phase(s) to mail: N or N,N,...")
@_files_options
@_mail_options
@json_option
def mail_command(campaign: str, phase_list: str, vehicles: Path | None, owners: Path | None, as_of: date | None,
                 batch_size: int, workers: int | None, ledger: Path | None, output: Path | None, simplex: bool,
                 pr_language: str, renderer: str, stage: str | None, completed: Path | None, quiet: bool,
                 as_json: bool) -> None:  # fmt: skip
    """Mail a phase: batched owner-letter PDFs, manifest, job ticket, ledger."""
    from letters.mail import MailOptions, mail

    options = MailOptions(_phases(phase_list), vehicles, owners, as_of, batch_size, workers, ledger, output,
                          not simplex, renderer=renderer, pr_language=pr_language, stage=stage,
                          completed=completed)  # fmt: skip
    progress = _Progress(quiet or as_json)
    try:
        report = mail(campaign, options, progress)
    finally:
        progress.close()
    _report_mail(report, as_json)


@cli.command("remail")
@click.argument("campaign", type=CAMPAIGN)
@click.argument("vins", nargs=-1, required=True)
@click.option("--reason", required=True, help="Why the letters are mailed again (recorded in the ledger).")
@_files_options
@_mail_options
@json_option
def remail_command(campaign: str, vins: tuple[str, ...], reason: str, vehicles: Path | None, owners: Path | None,
                   as_of: date | None, batch_size: int, workers: int | None, ledger: Path | None,
                   output: Path | None, simplex: bool, pr_language: str, renderer: str, stage: str | None,
                   completed: Path | None, quiet: bool, as_json: bool) -> None:  # fmt: skip
    """Make new pieces for VINs already mailed (returned mail, reprints), recording why."""
    from letters.mail import MailOptions, remail

    options = MailOptions((), vehicles, owners, as_of, batch_size, workers, ledger, output, not simplex,
                          renderer=renderer, pr_language=pr_language, stage=stage, completed=completed)  # fmt: skip
    progress = _Progress(quiet or as_json)
    try:
        report = remail(campaign, list(vins), reason, options, progress)
    finally:
        progress.close()
    _report_mail(report, as_json)


@cli.command("status")
@click.argument("campaign", type=CAMPAIGN)
@LEDGER_OPTION
@_files_options
@click.option("--as-of", type=DATE, help="Count eligible and pending letters as of this date (default: today).")
@COMPLETED_OPTION
@json_option
def status_command(campaign: str, ledger: Path | None, vehicles: Path | None, owners: Path | None,
                   as_of: date | None, completed: Path | None, as_json: bool) -> None:  # fmt: skip
    """Per phase and stage: letters eligible, mailed, pending and remailed."""
    from letters.mail import status

    rows = status(campaign, ledger, vehicles, owners, as_of, completed)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    click.echo("phase  stage        available  eligible    mailed   pending  remailed")
    for r in rows:
        click.echo(
            f"{r['phase']:>5}  {r['stage']:<12} {'yes' if r['available'] else 'no':>9}{r['eligible']:>10,}"
            f"{r['mailed']:>10,}{r['pending']:>10,}{r['remailed']:>10,}"
        )


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
        click.echo(f"{'':<10} revision {row['latest_revision']}; {len(row['phases'])} phase(s), remedy available "
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


@cli.command("review")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (loopback by default).")
@click.option("--port", type=click.IntRange(1, 65535), default=8765, show_default=True, help="Port to listen on.")
@click.option("--open", "open_browser", is_flag=True, help="Open the app in the default browser.")
def review_command(host: str, port: int, open_browser: bool) -> None:
    """Serve the reviewers' web app: history, pages side by side, changes in plain words, approval."""
    from letters.review.web import serve

    click.echo(f"letters review on http://{host}:{port}/ (Ctrl-C stops it)", err=True)
    serve(host, port, open_browser)


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
        approval = f"approved by {r.approved_by} on {r.approved_at}" if r.approved_by else "NOT APPROVED"
        click.echo(f"{r.id}  {approval}")
        click.echo(f"            documents: {', '.join(r.documents) or '(no text changes)'}")
        for topic in r.topics:
            click.echo(f"            - {topic}")


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

    path = approve_revision(campaign, revision, by, at, comment)
    if as_json:
        when = (at or date.today()).isoformat()
        click.echo(json.dumps({"campaign": campaign, "revision": revision, "by": by, "at": when, "path": str(path)}))
        return
    click.echo(f"revision {revision} approved by {by}; recorded in {path}")


_STYLES: dict[str, dict[str, Any]] = {"head": {"fg": "cyan"}, "deleted": {"fg": "red", "strikethrough": True},
           "inserted": {"fg": "green", "underline": True}}  # fmt: skip


@cli.command("diff")
@click.argument("campaign_or_old")
@click.argument("document_or_new")
@click.option("--from", "old", help="Old version: a date (YYYY-MM-DD); the revision then in effect.")
@click.option("--to", "new", help="New version: a date (YYYY-MM-DD).")
@click.option("--format", "fmt", type=click.Choice(["text", "html", "pdf"]), default="text", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write here (html, pdf).")
@json_option
def diff_command(campaign_or_old: str, document_or_new: str, old: str | None, new: str | None, fmt: str,
                 output: Path | None, as_json: bool) -> None:  # fmt: skip
    """Show what changed: CAMPAIGN DOCUMENT --from A --to B, or OLD.pdf NEW.pdf.

    Text prints a word-level diff per changed block (coloured on a terminal); html and pdf
    write a redline with a summary of changed blocks at the top.
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
        write_html_report(result, output)
    else:
        pdf_report(result, output)
    click.echo(f"wrote {output} ({len(result.changes)} changed block(s))")


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
    from letters.i18n import check_all

    report = check_all(_langs(langs))
    for problem in report.problems:
        click.echo(problem)
    if report.problems:
        raise click.exceptions.Exit(1)
    click.echo("catalogs complete: " + ", ".join(_langs(langs)))


def main() -> None:
    """Entry point of the ``letters`` command."""
    cli(prog_name="letters")
