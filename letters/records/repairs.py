"""Completed repairs, as dealers report them: VINs whose remedy is done, and when.

A repaired VIN gets no remedy or follow-up letter (its vehicle's outcome is ``repaired``).
A file with a bad row stops the run with every problem listed: a misread repair list would
either mail owners whose car is fixed or, worse, silently skip owners whose car is not.
Rows that read well but are doubtful (a repair dated after the mailing date, a VIN that is
no covered vehicle of the campaign) are listed as warnings, never taken silently.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from letters import vin as vins
from letters.errors import Problem, ValidationError, excerpt
from letters.records.csvio import read_rows
from letters.records.parse import parse_date

COMPLETED_COLUMNS = {
    "vin": "vin",
    "vehicle_identification_number": "vin",
    "repair_date": "date",
    "repaired": "date",
    "repaired_on": "date",
    "completed": "date",
    "completion_date": "date",
    "date": "date",
    "ro_date": "date",
}
"""Header spellings of the completed-repairs CSV (VIN, repair date)."""


@dataclass(frozen=True)
class Completed:
    """A completed-repairs file as read: each VIN's earliest repair and the line that gave it."""

    path: Path
    """The file."""
    dates: dict[str, date]
    """VIN -> earliest repair date."""
    lines: dict[str, int]
    """VIN -> line of that earliest repair."""

    def warnings(self, code: str, as_of: date, uncovered: Collection[str]) -> list[str]:
        """Doubtful rows, one line each: repairs dated after ``as_of``, and the VINs ``uncovered``
        (the reconciliation's ``uncovered_repairs``: no covered vehicle of the campaign).

        A repair after the mailing date has not happened as of it (or the date is a typo),
        so the owner still gets a letter; a VIN that is no covered vehicle of the campaign
        changes nothing. Both are said, with file and line, rather than taken silently.
        """
        out = []
        for vin, when in sorted(self.dates.items(), key=lambda item: self.lines[item[0]]):
            where = f"{self.path}, line {self.lines[vin]}"
            if vin in uncovered:
                out.append(f"{where}: VIN {vin} is not a covered vehicle of {code} in the vehicle records; ignored")
            elif when > as_of:
                out.append(f"{where}: VIN {vin} repaired {when.isoformat()}, after the mailing date "
                           f"{as_of.isoformat()}: counted as not repaired")  # fmt: skip
        return out


def read_completed(path: Path) -> Completed:
    """Each VIN's earliest repair date in ``path``; every bad row is reported at once."""
    repaired: dict[str, date] = {}
    lines: dict[str, int] = {}
    problems = []
    for row in read_rows(path, COMPLETED_COLUMNS, ("vin", "date")):
        where = f"{path}, line {row.line}"
        raw_vin, raw_date = row.values.get("vin", ""), row.values.get("date", "")
        try:
            vin = vins.validate(raw_vin)
        except vins.VinError as exc:
            problems.append(Problem(where, f"vin: {exc}"))
            continue
        when = parse_date(raw_date)
        if when is None:
            problems.append(Problem(where, f"date: {excerpt(raw_date.strip())} is not a date (YYYY-MM-DD or M/D/YYYY)"))
            continue
        if vin not in repaired or when < repaired[vin]:
            repaired[vin], lines[vin] = when, row.line
    if problems:
        raise ValidationError(f"completed-repairs file {path} has {len(problems)} bad row(s); nothing was mailed:",
                              problems)  # fmt: skip
    return Completed(path, repaired, lines)
