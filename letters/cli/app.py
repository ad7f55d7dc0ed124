"""The ``letters`` group: the one place library errors become messages and exit codes."""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from letters import __version__
from letters.errors import LettersError


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
