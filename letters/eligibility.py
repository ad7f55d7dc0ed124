"""Eligibility stage: the campaign's chart decides coverage and phase of a vehicle."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from letters.campaign import Campaign, ChartRow


@dataclass(frozen=True, slots=True)
class Eligibility:
    """Whether a vehicle is covered, and in which phase."""

    covered: bool
    """True when the vehicle is in the campaign."""
    phase: int | None
    """Phase of a covered vehicle."""
    reason: str
    """Why it is not covered (empty when covered)."""


@dataclass(frozen=True, slots=True)
class RemedyStatus:
    """What a dealer can tell a guest about a phase on a given date."""

    available: bool
    """True when the remedy for the phase is available."""
    estimate: date | None
    """Estimated announcement month while the remedy is not available."""
    mailing: date | None
    """Owner letter mailing month, when scheduled."""


class Chart:
    """Fast lookups over a campaign's chart: (model, location) -> chart row."""

    def __init__(self, campaign: Campaign) -> None:
        self.campaign = campaign
        self.rows: dict[tuple[str, str], ChartRow] = {
            (row.model.upper(), row.location): row for row in campaign.chart.rows
        }
        self.years: dict[tuple[str, str], frozenset[int]] = {}
        for key, row in self.rows.items():
            table = {y for m in campaign.models if (m.model.upper(), m.location) == key for y in m.years}
            self.years[key] = frozenset(row.years) | table
        self.models = frozenset(model for model, _ in self.rows)
        self.last_month = campaign.chart.last_month
        self._memo: dict[tuple[str, str, int, date], Eligibility] = {}

    def assess(self, model: str, location: str, model_year: int, built: date) -> Eligibility:
        """Coverage and phase of one vehicle."""
        # A campaign's vehicles share few (model, location, year, day) combinations.
        memo = (model, location, model_year, built)
        verdict = self._memo.get(memo)
        if verdict is None:
            verdict = self._memo[memo] = self._assess(model, location, model_year, built)
        return verdict

    def _assess(self, model: str, location: str, model_year: int, built: date) -> Eligibility:
        key = (model.upper(), location)
        row = self.rows.get(key)
        if row is None:
            if key[0] in self.models:
                return Eligibility(False, None, f"{model} built in {location} is not in the campaign")
            return Eligibility(False, None, f"model {model} is not in the campaign")
        if model_year not in self.years[key]:
            years = ", ".join(str(y) for y in sorted(self.years[key]))
            return Eligibility(False, None, f"model year {model_year} is not covered for {model} ({years})")
        if built < row.start:
            return Eligibility(
                False, None, f"built {built.isoformat()}, before one-key production began {row.start.isoformat()}"
            )
        if row.end is not None and built > row.end:
            return Eligibility(
                False, None, f"built {built.isoformat()}, after one-key production ended {row.end.isoformat()}"
            )
        phase = row.phase_of(built)
        if phase is None:
            return Eligibility(False, None, f"built {built.isoformat()}, outside the charted production months")
        return Eligibility(True, phase, "")

    def status(self, phase: int, as_of: date) -> RemedyStatus:
        """Remedy status of ``phase`` on ``as_of``."""
        p = self.campaign.phase(phase)
        if p.available(as_of):
            return RemedyStatus(True, None, p.mailing)
        return RemedyStatus(False, p.estimate, p.mailing)
