"""Mailing: mail, remail, status, and the progress bar."""

from __future__ import annotations

import json
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

import click

from letters.cli.app import cli
from letters.cli.options import (
    CAMPAIGN,
    COMPLETED_OPTION,
    DATE,
    LEDGER_OPTION,
    files_options,
    json_option,
    mail_options,
)


def _given(name: str, value: str) -> str | None:
    """``value`` when the option was typed on the command line (or set in the environment), else None."""
    source = click.get_current_context().get_parameter_source(name)
    return None if source in (None, click.core.ParameterSource.DEFAULT) else value


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


def _report_mail(report: Any, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(report.as_json(), indent=2))
        return
    click.echo(f"as of {report.as_of}")
    for note in report.notes:
        click.echo(note, err=note.startswith("warning:"))
    for r in report.runs:
        job = r.job
        click.echo(
            f"phase {job['phase']} ({job['stage']}): {job['letters']:,} letters, {job['pages']:,} pages, "
            f"{job['sheets']:,} sheets in {len(job['files'])} batch file(s) -> {r.folder}"
        )


@cli.command("mail")
@click.argument("campaign", type=CAMPAIGN)
@click.option("--phase", "phase_list", required=True, help="Phase(s) to mail: N or N,N,...")
@files_options
@mail_options
@json_option
def mail_command(campaign: str, phase_list: str, vehicles: Path | None, owners: Path | None, as_of: date | None,
                 backdate: bool, batch_size: int, workers: int | None, ledger: Path | None, output: Path | None,
                 simplex: bool, pr_language: str, renderer: str, stage: str | None, completed: Path | None,
                 proof: bool, draft: bool, quiet: bool, as_json: bool) -> None:  # fmt: skip
    """Mail a phase: batched owner-letter PDFs, manifest, job ticket, ledger."""
    from letters.mail import MailOptions, mail

    options = MailOptions(_phases(phase_list), vehicles, owners, as_of, batch_size, workers, ledger, output,
                          not simplex, renderer=renderer, pr_language=pr_language, stage=stage,
                          completed=completed, proof=proof, backdate=backdate, draft=draft,
                          resume_renderer=_given("renderer", renderer))  # fmt: skip
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
@files_options
@mail_options
@json_option
def remail_command(campaign: str, vins: tuple[str, ...], reason: str, vehicles: Path | None, owners: Path | None,
                   as_of: date | None, backdate: bool, batch_size: int, workers: int | None, ledger: Path | None,
                   output: Path | None, simplex: bool, pr_language: str, renderer: str, stage: str | None,
                   completed: Path | None, proof: bool, draft: bool, quiet: bool, as_json: bool) -> None:  # fmt: skip
    """Make new pieces for VINs already mailed (returned mail, reprints), recording why."""
    from letters.mail import MailOptions, remail

    options = MailOptions((), vehicles, owners, as_of, batch_size, workers, ledger, output, not simplex,
                          renderer=renderer, pr_language=pr_language, stage=stage, completed=completed,
                          proof=proof, backdate=backdate, draft=draft,
                          resume_renderer=_given("renderer", renderer))  # fmt: skip
    progress = _Progress(quiet or as_json)
    try:
        report = remail(campaign, list(vins), reason, options, progress)
    finally:
        progress.close()
    _report_mail(report, as_json)


@cli.command("status")
@click.argument("campaign", type=CAMPAIGN)
@LEDGER_OPTION
@files_options
@click.option("--as-of", type=DATE, help="Count eligible and pending letters as of this date (default: today).")
@COMPLETED_OPTION
@click.option("--create-ledger", is_flag=True, help="Start an empty ledger if none is at --ledger (else refused).")
@json_option
def status_command(campaign: str, ledger: Path | None, vehicles: Path | None, owners: Path | None,
                   as_of: date | None, completed: Path | None, create_ledger: bool,
                   as_json: bool) -> None:  # fmt: skip
    """Per phase and stage: letters eligible, mailed, pending and remailed."""
    from letters.mail import status

    rows = status(campaign, ledger, vehicles, owners, as_of, completed, create_ledger)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if rows:
        click.echo(f"{campaign} as of {rows[0]['as_of']}")
    # "available" is the phase's (its remedy's: JSON ``available``), not the stage's letter: an interim row
    # saying "available yes" read as if the interim notice were. Kind-neutral: not every kind has a remedy.
    click.echo("phase  stage        phase_available  eligible    mailed  in_progress   pending  remailed")
    for r in rows:
        click.echo(
            f"{r['phase']:>5}  {r['stage']:<12} {'yes' if r['available'] else 'no':>15}{r['eligible']:>10,}"
            f"{r['mailed']:>10,}{r['in_progress']:>13,}{r['pending']:>10,}{r['remailed']:>10,}"
        )


@cli.command("runs")
@click.argument("campaign", type=CAMPAIGN)
@LEDGER_OPTION
@json_option
def runs_command(campaign: str, ledger: Path | None, as_json: bool) -> None:
    """The campaign's runs: state, batches done, pieces, renderer, folder, last error."""
    from letters.mail.runs import list_runs

    rows = list_runs(campaign, ledger)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo(f"{campaign}: no runs in the ledger")
    for r in rows:
        click.echo(
            f"{r['run_id']}  {r['kind']}  phase {r['phase']}  {r['stage']}  {r['state']}  batches "
            f"{r['batches_done']}/{r['batches_total']}  pieces {r['pieces']:,}"
            + (f" ({r['voided']:,} voided)" if r["voided"] else "")
            + f"  renderer {r['renderer']}"
        )
        click.echo(f"    folder {r['folder']}")
        if r["error"]:
            click.echo(f"    last error: {r['error']}")
        if r["cancelled"]:
            click.echo(f"    cancelled {r['cancelled']}: {r['cancel_reason']}")


@cli.command("cancel")
@click.argument("run_id")
@click.option("--reason", required=True, help="Why the run is ended (kept with its voided pieces).")
@LEDGER_OPTION
@json_option
def cancel_command(run_id: str, reason: str, ledger: Path | None, as_json: bool) -> None:
    """End an unfinished run: finished batches stay valid, unrendered pieces are voided, their VINs pending again."""
    from letters.mail.runs import cancel

    row = cancel(run_id, reason, ledger)
    if as_json:
        click.echo(json.dumps(row, indent=2))
        return
    click.echo(
        f"cancelled run {row['run_id']} (phase {row['phase']}, {row['stage']}): {row['batches_done']} batch file(s) "
        f"of {row['pieces_done']:,} letters stay valid (manifest.csv and job.json in {row['folder']}); "
        f"{row['voided']:,} unprinted piece(s) voided, their VINs pending again"
    )
