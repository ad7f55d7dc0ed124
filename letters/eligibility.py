"""Eligibility stage: coverage and phase of a vehicle, by the campaign's chart or its VIN list.

A campaign is covered either by rules (the eligibility chart: model, location, model years
and a production window, with phases by production month) or by the manufacturer's list
of covered VINs (how most recalls are defined), optionally with a phase per VIN.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from letters import vin as vins
from letters.campaign import Campaign, ChartRow
from letters.errors import CampaignError, Problem, ValidationError, excerpt

if TYPE_CHECKING:
    import polars as pl

_PHASE = re.compile(r"[0-9]{1,6}")
"""A phase number as a covered-VIN list writes it: ASCII digits."""


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


class Coverage:
    """Decides coverage and phase; build once per run with ``coverage_of``."""

    def __init__(self, campaign: Campaign) -> None:
        self.campaign = campaign

    def assess(self, vin: str, model: str, location: str, model_year: int, built: date) -> Eligibility:
        """Coverage and phase of one vehicle."""
        raise NotImplementedError

    def assess_table(self, vehicles: pl.DataFrame) -> pl.DataFrame:
        """``vehicles`` (vin, model, location, model_year, production_date) with ``covered``, ``phase``, ``reason``."""
        raise NotImplementedError

    def status(self, phase: int, as_of: date) -> RemedyStatus:
        """Remedy status of ``phase`` on ``as_of``."""
        p = self.campaign.phase(phase)
        if p.available(as_of):
            return RemedyStatus(True, None, p.mailing)
        return RemedyStatus(False, p.estimate, p.mailing)


def coverage_of(campaign: Campaign, folder: Path | None = None) -> Coverage:
    """The campaign's coverage: its chart, or its VIN list (read from ``folder``, its template folder)."""
    if campaign.coverage.by == "vin-list":
        if folder is None:
            from letters.campaign import campaign_dir

            folder = campaign_dir(campaign.code)
        return VinList(campaign, folder / campaign.coverage.file)
    return Chart(campaign)


class VinList(Coverage):
    """Coverage by the manufacturer's list of covered VINs (CSV: VIN, optional phase)."""

    def __init__(self, campaign: Campaign, path: Path) -> None:
        # The records package builds on this module; its CSV reader is imported late.
        from letters.records.csvio import read_rows

        super().__init__(campaign)
        self.path = path
        self.phases: dict[str, int] = {}
        lines: dict[str, int] = {}
        problems = []
        numbers = {p.number for p in campaign.phases}
        if not path.is_file():
            raise CampaignError(f"{path}: the covered-VIN list coverage.file names does not exist")
        for row in read_rows(path, {"vehicle_identification_number": "vin"}, ("vin",)):
            where = f"{path}, line {row.line}"
            raw = row.values.get("vin", "")
            try:
                vin = vins.validate(raw)
            except vins.VinError as exc:
                problems.append(Problem(where, f"vin: {exc}"))
                continue
            phase_raw = row.values.get("phase", "").strip()
            # ASCII digits only: "²" (superscript two) is a digit to str.isdigit but not to int().
            phase = int(phase_raw) if _PHASE.fullmatch(phase_raw) else None
            if phase_raw and (phase is None or phase not in numbers):
                problems.append(Problem(where, f"phase: {excerpt(phase_raw)} is not a campaign phase "
                                               f"({', '.join(str(n) for n in sorted(numbers))})"))  # fmt: skip
                continue
            phase = campaign.coverage.default_phase if phase is None else phase
            earlier = self.phases.get(vin)
            if earlier is not None and earlier != phase:
                # Taking either row would leave the VIN out of the other phase's mailing unseen.
                problems.append(Problem(where, f"vin: {vin} is listed for phase {phase} here and for phase {earlier} "
                                               f"on line {lines[vin]}; a VIN belongs to one phase"))  # fmt: skip
                continue
            self.phases.setdefault(vin, phase)
            lines.setdefault(vin, row.line)
        if not problems and not self.phases:
            problems.append(Problem(str(path), "the list holds no VINs, so it would cover no vehicle"))
        if problems:
            raise ValidationError(f"covered-VIN list {path} is not valid:", problems)

    def assess(self, vin: str, model: str, location: str, model_year: int, built: date) -> Eligibility:
        phase = self.phases.get(vin)
        if phase is None:
            return Eligibility(False, None, f"VIN is not on the campaign's covered-VIN list ({self.path.name})")
        return Eligibility(True, phase, "")

    def assess_table(self, vehicles: pl.DataFrame) -> pl.DataFrame:
        import polars as pl

        listed = pl.DataFrame({"vin": list(self.phases), "phase": list(self.phases.values())},
                              schema={"vin": pl.String, "phase": pl.Int32})  # fmt: skip
        missing = f"VIN is not on the campaign's covered-VIN list ({self.path.name})"
        return vehicles.join(listed, on="vin", how="left", maintain_order="left").with_columns(
            pl.col("phase").is_not_null().alias("covered"),
            pl.when(pl.col("phase").is_null()).then(pl.lit(missing)).otherwise(pl.lit("")).alias("reason"),
        )


class Chart(Coverage):
    """Coverage by the eligibility chart: (model, location) -> chart row, years, production window."""

    def __init__(self, campaign: Campaign) -> None:
        super().__init__(campaign)
        assert campaign.chart is not None, "validated: coverage by chart has a chart"
        self.rows: dict[tuple[str, str], ChartRow] = {
            (row.model.upper(), row.location): row for row in campaign.chart.rows
        }
        self.years: dict[tuple[str, str], frozenset[int]] = {}
        for key, row in self.rows.items():
            table = {y for m in campaign.models if (m.model.upper(), m.location) == key for y in m.years}
            self.years[key] = frozenset(row.years) | table
        self.models = frozenset(model for model, _ in self.rows)
        self.last_month = campaign.chart.last_month
        self.window = campaign.chart.window
        self._memo: dict[tuple[str, str, int, date], Eligibility] = {}

    def assess(self, vin: str, model: str, location: str, model_year: int, built: date) -> Eligibility:
        """Coverage and phase of one vehicle."""
        # A campaign's vehicles share few (model, location, year, day) combinations.
        memo = (model, location, model_year, built)
        verdict = self._memo.get(memo)
        if verdict is None:
            verdict = self._memo[memo] = self._assess(model, location, model_year, built)
        return verdict

    def assess_table(self, vehicles: pl.DataFrame) -> pl.DataFrame:
        import polars as pl

        # A campaign's vehicles share few (model, location, year, day) combinations: each is judged once.
        keys = ["model", "location", "model_year", "production_date"]
        distinct = vehicles.select(keys).unique()
        verdicts = [self.assess("", *key) for key in distinct.iter_rows()]
        judged = distinct.with_columns(
            pl.Series("covered", [v.covered for v in verdicts], pl.Boolean),
            pl.Series("phase", [v.phase for v in verdicts], pl.Int32),
            pl.Series("reason", [v.reason for v in verdicts], pl.String),
        )
        return vehicles.join(judged, on=keys, how="left", maintain_order="left")

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
                False, None, f"built {built.isoformat()}, before {self.window} began {row.start.isoformat()}"
            )
        if row.end is not None and built > row.end:
            return Eligibility(
                False, None, f"built {built.isoformat()}, after {self.window} ended {row.end.isoformat()}"
            )
        phase = row.phase_of(built)
        if phase is None:
            return Eligibility(False, None, f"built {built.isoformat()}, outside the charted production months")
        return Eligibility(True, phase, "")
