"""The one error family the library raises.

Every mistake a user can make in data, templates or options ends in a subclass of
``LettersError`` whose ``message`` is fit to print as is; the CLI turns it into a message
and an exit code in one place.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One problem found while validating a user file."""

    where: str
    """Location in user terms: file, row or key path."""
    what: str
    """What is wrong, with the offending value."""

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


EXCERPT = 40
"""Longest value an error message quotes, in characters."""


def excerpt(value: object, limit: int = EXCERPT) -> str:
    """``repr`` of ``value`` cut to a short excerpt: an error quotes a value, never a whole file."""
    text = value if isinstance(value, str) else str(value)
    if len(text) > limit:
        return repr(text[:limit]) + f"... ({len(text)} characters)"
    return repr(text)


class LettersError(Exception):
    """Base of every error meant for the user; ``message`` is printed as is."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ValidationError(LettersError):
    """A user file has one or more problems; all of them are listed."""

    def __init__(self, summary: str, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        lines = [summary, *(f"  - {p}" for p in self.problems)]
        super().__init__("\n".join(lines))


class CampaignError(LettersError):
    """The campaign cannot be found or loaded."""


class TemplateError(LettersError):
    """A template is missing, malformed or uses an undefined name."""


class InputError(LettersError):
    """An input file cannot be read at all (missing, wrong encoding, malformed)."""

    exit_code = 2


class UsageError(LettersError):
    """Options that contradict each other or name something that does not exist."""

    exit_code = 2


class OutputError(LettersError):
    """An output file or folder cannot be written (disk full, read-only, no permission)."""

    @classmethod
    def from_os(cls, path: object, exc: OSError, doing: str = "write") -> OutputError:
        """The error for ``exc`` raised while writing ``path``, in the user's terms."""
        return cls(f"cannot {doing} {path}: {exc.strerror or exc} (errno {exc.errno})")


class LedgerError(LettersError):
    """The mailing ledger cannot be read or written."""


class LedgerBusy(LettersError):
    """Another run holds the ledger; try again when it has finished."""

    exit_code = 75  # EX_TEMPFAIL: nothing is wrong, try again later
