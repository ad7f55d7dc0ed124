"""The eligibility chart: rows by model and location, production windows, phases by month."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import ClassVar

from pydantic import Field, model_validator

from letters.campaign.base import Month, Open, Strict


class PhaseSpan(Strict):
    """A run of production months of one chart row that belong to one phase."""

    phase: int = Field(gt=0)
    """Phase number."""
    from_: Month = Field(alias="from")
    """First production month."""
    to: Month
    """Last production month."""

    @model_validator(mode="after")
    def _ordered(self) -> PhaseSpan:
        if self.to < self.from_:
            raise ValueError("'to' is before 'from'")
        return self


class ChartRow(Open):
    """One row of the eligibility chart: a model built at one location in a production window.

    Extra keys are the campaign's own columns (declared in ``chart.columns``).
    """

    model: str
    """Model name."""
    years: list[int] = Field(min_length=1)
    """Model years, ascending."""
    location: str
    """Production location (a name from vehicles.locations)."""
    start: date
    """First covered production date."""
    end: date | None = None
    """Last covered production date; absent means ongoing."""
    volume: int | None = Field(default=None, gt=0)
    """Approximate vehicle volume; absent means TBD."""
    phases: list[PhaseSpan]
    """Production months by phase."""

    template_names: ClassVar[tuple[str, ...]] = ("phase_of", "years_label")
    """Computed names templates may read (``letters.render.view``)."""

    def phase_of(self, month: date) -> int | None:
        """Phase of vehicles built in ``month`` (any day of it), or None if not charted."""
        first = month.replace(day=1)
        for span in self.phases:
            if span.from_ <= first <= span.to:
                return span.phase
        return None

    @property
    def years_label(self) -> str:
        """ "23MY - 24MY" as the chart prints it."""
        short = [f"{y % 100:02d}MY" for y in (self.years[0], self.years[-1])]
        return short[0] if len(self.years) == 1 else f"{short[0]} - {short[1]}"


class ChartColumn(Strict):
    """A descriptive column of the chart, taken from each row's key ``field``."""

    title: str
    """Column heading (translated through the catalogs)."""
    field: str
    """Key of each chart row holding the value."""
    labels: dict[str, str] | str = {}
    """How to print each value (values not listed print as they are), or the name of a
    ``facts`` table holding them (so that ``[translations.LANG.facts]`` can translate them)."""


class Chart(Strict):
    """The phase timing and vehicle eligibility chart."""

    updated: date
    """Date printed in the chart heading."""
    first_month: Month
    """First production month shown."""
    last_month: Month
    """Last production month shown."""
    example: str = ""
    """Worked example printed under the chart."""
    assumptions: list[str] = []
    """How the chart was made, where its source left room (e.g. colours lost)."""
    columns: list[ChartColumn] = []
    """Descriptive columns after the model, e.g. a part type."""
    window: str = "covered production"
    """What the production window is called when a vehicle falls outside it ("built ..., before
    WINDOW began")."""
    start_title: str = "Production Start"
    """Heading of the first-covered-production column."""
    end_title: str = "Production End"
    """Heading of the last-covered-production column."""
    rows: list[ChartRow] = Field(min_length=1)
    """Chart rows, in print order."""

    template_names: ClassVar[tuple[str, ...]] = ("months", "periods")
    """Computed names templates may read (``letters.render.view``)."""

    def months(self) -> list[date]:
        """Every month the chart shows, in order."""
        return months_between(self.first_month, self.last_month)

    def periods(self, limit: int = 24) -> list[ChartPeriod]:
        """The chart's columns: months, or quarters or years when months would be more than ``limit``."""
        months = self.months()
        step = 1 if len(months) <= limit else 3 if len(months) <= 3 * limit else 12
        out: list[ChartPeriod] = []
        for month in months:
            key = (month.year, (month.month - 1) // step)
            if out and (out[-1].first.year, (out[-1].first.month - 1) // step) == key:
                out[-1] = ChartPeriod(out[-1].first, month, step)
            else:
                out.append(ChartPeriod(month, month, step))
        return out


@dataclass(frozen=True)
class ChartPeriod:
    """One column of production time in the chart: a month, a quarter or a year."""

    first: date
    """First month."""
    last: date
    """Last month."""
    step: int
    """1 (month), 3 (quarter) or 12 (year)."""

    template_names: ClassVar[tuple[str, ...]] = ("year", "month", "months")
    """Computed names templates may read (``letters.render.view``)."""

    @property
    def year(self) -> int:
        """Year of the period."""
        return self.first.year

    @property
    def month(self) -> int:
        """First month's number (the chart starts a new year heading at 1)."""
        return self.first.month

    def months(self) -> list[date]:
        """Months of the period."""
        return months_between(self.first, self.last)


def months_between(first: date, last: date) -> list[date]:
    """The first day of every month from ``first``'s to ``last``'s, in order."""
    out, month = [], first.replace(day=1)
    while month <= last:
        out.append(month)
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return out
