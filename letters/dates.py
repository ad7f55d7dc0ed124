"""Dates as users type them: YYYY-MM-DD, and an impossible day named as such."""

from __future__ import annotations

import calendar
import re
from datetime import date

from letters.errors import UsageError

_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def parse_day(text: str, what: str = "a date") -> date:
    """The date ``text`` (YYYY-MM-DD) names; ``UsageError`` saying why if none.

    A well-formed date that is not on the calendar (2024-02-30, 2023-13-01) is "no such
    day", not a formatting mistake.
    """
    match = _ISO.fullmatch(text.strip())
    if match is None:
        raise UsageError(f"{text!r} is not {what} as YYYY-MM-DD")
    year, month, day = (int(part) for part in match.groups())
    if not 1 <= month <= 12:
        raise UsageError(f"{text!r}: no such day (there is no month {month})")
    days = calendar.monthrange(year, month)[1]
    if not 1 <= day <= days:
        raise UsageError(f"{text!r}: no such day ({calendar.month_name[month]} {year} has {days} days)")
    return date(year, month, day)
