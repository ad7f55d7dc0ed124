"""Completed repairs, as dealers report them: VINs whose remedy is done, and when.

A repaired VIN gets no remedy or follow-up letter (its vehicle's outcome is ``repaired``).
A file with a bad row stops the run with every problem listed: a misread repair list would
either mail owners whose car is fixed or, worse, silently skip owners whose car is not.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from letters import vin as vins
from letters.errors import Problem, ValidationError
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


def read_completed(path: Path) -> dict[str, date]:
    """VIN -> earliest repair date in ``path``; every bad row is reported at once."""
    repaired: dict[str, date] = {}
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
            problems.append(Problem(where, f"date: {raw_date.strip()!r} is not a date (YYYY-MM-DD or M/D/YYYY)"))
            continue
        repaired[vin] = min(when, repaired.get(vin, when))
    if problems:
        raise ValidationError(f"completed-repairs file {path} has {len(problems)} bad row(s); nothing was mailed:",
                              problems)  # fmt: skip
    return repaired
