"""The building blocks of campaign files: validated months, strict and open tables."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict

_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")

CODE_PATTERN = r"[0-9A-Z]{4,10}"
"""The one rule for a campaign code (campaign.toml's ``code``, its folder, ``letters new``, every command)."""
CODE_RULE = "4 to 10 capital letters and digits, e.g. 24V117"
"""``CODE_PATTERN`` in words, for messages and the README."""


def _parse_month(value: object) -> object:
    """Accept "YYYY-MM" and return the first day of that month."""
    if isinstance(value, str):
        match = _MONTH_RE.match(value.strip())
        if not match or not 1 <= int(match[2]) <= 12:
            raise ValueError(f"expected a month as YYYY-MM, got {value!r}")
        return date(int(match[1]), int(match[2]), 1)
    return value


Month = Annotated[date, BeforeValidator(_parse_month)]
"""A calendar month, written "YYYY-MM" in the file and held as its first day."""


class Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)


class Open(BaseModel):
    """A table whose extra keys are the campaign's own columns (kept, and quoted by templates)."""

    model_config = ConfigDict(frozen=True, extra="allow", use_attribute_docstrings=True)
