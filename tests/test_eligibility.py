"""The chart decides coverage and phase; the phase table decides timing."""

from __future__ import annotations

from datetime import date

import pytest

from letters.campaign import LoadedCampaign
from letters.eligibility import Chart


@pytest.fixture(scope="module")
def chart(loaded: LoadedCampaign) -> Chart:
    return Chart(loaded.campaign)


@pytest.mark.parametrize(
    ("model", "location", "year", "built", "phase"),
    [
        ("LC", "Japan", 2023, date(2022, 12, 15), 1),  # the FAQ's worked example
        ("ES", "North America", 2023, date(2022, 10, 10), 1),
        ("NX", "Japan", 2023, date(2022, 11, 30), 2),
        ("NX", "North America", 2023, date(2022, 12, 1), 3),
        ("RX", "North America", 2024, date(2023, 8, 1), 5),
        ("RZ", "Japan", 2024, date(2024, 3, 31), 7),
        ("RC-F", "Japan", 2023, date(2023, 1, 9), 1),
    ],
)
def test_covered(chart: Chart, model: str, location: str, year: int, built: date, phase: int) -> None:
    verdict = chart.assess("", model, location, year, built)
    assert verdict.covered and verdict.phase == phase


@pytest.mark.parametrize(
    ("model", "location", "year", "built", "reason"),
    [
        ("LC", "Japan", 2023, date(2022, 12, 29), "after one-key production ended 2022-12-28"),
        ("LC", "Japan", 2023, date(2022, 11, 6), "before one-key production began 2022-11-07"),
        ("RX", "Japan", 2024, date(2024, 4, 2), "outside the charted production months"),
        ("ES", "Japan", 2023, date(2022, 11, 1), "ES built in Japan is not in the campaign"),
        ("GS", "Japan", 2023, date(2022, 11, 1), "model GS is not in the campaign"),
        ("LC", "Japan", 2021, date(2022, 12, 1), "model year 2021 is not covered"),
    ],
)
def test_not_covered_with_reason(chart: Chart, model: str, location: str, year: int, built: date, reason: str) -> None:
    verdict = chart.assess("", model, location, year, built)
    assert not verdict.covered and verdict.phase is None
    assert reason in verdict.reason


@pytest.mark.parametrize(
    ("phase", "as_of", "available", "estimate"),
    [
        (3, date(2023, 10, 12), True, None),
        (3, date(2023, 10, 11), False, date(2023, 10, 1)),
        (5, date(2023, 10, 12), False, date(2023, 12, 1)),
        (6, date(2024, 1, 31), False, date(2024, 3, 1)),
    ],
)
def test_remedy_status(chart: Chart, phase: int, as_of: date, available: bool, estimate: date | None) -> None:
    status = chart.status(phase, as_of)
    assert status.available is available and status.estimate == estimate
