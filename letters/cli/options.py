"""Options and parameter types the command groups share."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, TypeVar, cast

import click

from letters.dates import parse_day
from letters.errors import LettersError

F = TypeVar("F", bound=Callable[..., Any])


class _Date(click.ParamType):  # type: ignore[type-arg]
    name = "YYYY-MM-DD"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        try:
            return parse_day(str(value))
        except LettersError as exc:
            self.fail(exc.message, param, ctx)


DATE = _Date()


class _Campaign(click.ParamType):  # type: ignore[type-arg]
    """A campaign code, made canonical at the edge: ``./23LJ01``, ``23lj01/`` and ``23LJ01`` are one campaign."""

    name = "CAMPAIGN"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        from letters.campaign import canonical_code

        return canonical_code(str(value))  # a LettersError here is reported like any other


CAMPAIGN = _Campaign()


def as_of_option(command: F) -> F:
    """``--as-of DATE`` or ``--revision ID``: alternatives, so giving both is refused."""

    @functools.wraps(command)
    def refuse_both(*args: Any, **kwargs: Any) -> Any:
        if kwargs.get("as_of") is not None and kwargs.get("revision") is not None:
            raise click.UsageError("--as-of and --revision are alternatives: give one of them")
        return command(*args, **kwargs)

    f = cast(F, refuse_both)
    f = click.option("--revision", help="Use this revision (its date, YYYY-MM-DD) instead of the latest.")(f)
    return click.option(
        "--as-of", type=DATE, help="Speak as of this date: the revision then in effect, phases then available."
    )(f)


def json_option(f: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of text.")(f)


VEHICLES_OPTION = click.option(
    "--vehicles",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Vehicle records CSV (default: the bundled list).",
)


LEDGER_OPTION = click.option(
    "--ledger", type=click.Path(dir_okay=False, path_type=Path), help="Mailing ledger (default: output/ledger.sqlite)."
)


def files_options(f: F) -> F:
    f = click.option(
        "--owners",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Owner records CSV (default: the bundled list).",
    )(f)
    return VEHICLES_OPTION(f)


COMPLETED_OPTION = click.option(
    "--completed", type=click.Path(dir_okay=False, path_type=Path),
    help="Completed repairs CSV (VIN, repair date): repaired VINs get no remedy or follow-up letter.",
)  # fmt: skip


def mail_options(f: F) -> F:
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
        "--proof", is_flag=True, help="A proof: envelopes and letters stamped PROOF (allowed with placeholder logos)."
    )(f)
    f = click.option(
        "--draft", is_flag=True, help="Mail a revision not approved as it is now: every page stamped DRAFT, and "
        "job.json says draft.",
    )(f)  # fmt: skip
    f = click.option(
        "-o", "--output", type=click.Path(file_okay=False, path_type=Path), help="Output folder (default: output/)."
    )(f)
    f = LEDGER_OPTION(f)
    f = click.option("--workers", type=click.IntRange(1), help="Processes rendering batches (default: CPU count).")(f)
    f = click.option(
        "--batch-size", type=click.IntRange(1), default=1000, show_default=True, help="Letters per batch PDF."
    )(f)
    f = click.option(
        "--backdate", is_flag=True, help="Allow an --as-of before the campaign's latest mailing in the ledger.",
    )(f)  # fmt: skip
    f = click.option(
        "--as-of", type=DATE, help="Mailing date: phases available then are mailed; letters carry it (default: today)."
    )(f)
    return f
