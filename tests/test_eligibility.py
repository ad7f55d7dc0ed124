"""The chart decides coverage and phase; the phase table decides timing."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from letters.campaign import Campaign, LoadedCampaign, load_campaign
from letters.cli import cli
from letters.eligibility import Chart, VinList
from letters.errors import LettersError, ValidationError
from tests.conftest import ROOT, write_csv


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


# The covered-VIN list (#27, #26): doubtful input is an error naming its lines, never a traceback.

LISTED = [row["VIN"] for row in csv.DictReader((ROOT / "templates" / "24A07" / "covered-vins.csv").open())][:3]


@pytest.fixture(scope="module")
def recall() -> Campaign:
    return load_campaign("24A07").campaign


def vin_list(path: Path, rows: list[list[str]]) -> Path:
    return write_csv(path, ["VIN", "Phase"], rows)


def test_a_vin_in_two_phases_names_both_lines(recall: Campaign, tmp_path: Path) -> None:
    path = vin_list(tmp_path / "list.csv", [[LISTED[0], "1"], [LISTED[1], "1"], [LISTED[0], "2"]])
    with pytest.raises(ValidationError) as err:
        VinList(recall, path)
    assert (f"{path}, line 4: vin: {LISTED[0]} is listed for phase 2 here and for phase 1 on line 2; "
            "a VIN belongs to one phase") in err.value.message  # fmt: skip


def test_a_vin_listed_twice_in_one_phase_is_one_vin(recall: Campaign, tmp_path: Path) -> None:
    path = vin_list(tmp_path / "list.csv", [[LISTED[0], "2"], [LISTED[0], "2"], [LISTED[1], ""]])
    assert VinList(recall, path).phases == {LISTED[0]: 2, LISTED[1]: recall.coverage.default_phase}


def test_a_list_with_only_a_header_is_an_error(project: Path) -> None:
    for name in ("covered-vins.csv", "covered-vins-2024-04-15.csv"):  # the original list and the revision's
        (project / "templates" / "24A07" / name).write_text("VIN,Phase\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", "24A07", "--json"])
    assert result.exit_code == 1, result.output
    assert "covered-vins-2024-04-15.csv: the list holds no VINs, so it would cover no vehicle" in result.stderr
    assert "Traceback" not in result.output and result.stdout == ""


def test_a_superscript_phase_is_a_clear_error(project: Path) -> None:
    path = project / "templates" / "24A07" / "covered-vins.csv"
    vin_list(path, [[LISTED[0], "1"], [LISTED[1], "²"]])
    result = CliRunner().invoke(cli, ["check", "24A07", "--as-of", "2024-03-20"])  # before the revised list
    assert result.exit_code == 1, result.output
    assert f"{path}, line 3: phase: '²' is not a campaign phase (1, 2)" in result.stderr
    assert "Traceback" not in result.output


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(vin=st.one_of(st.text(max_size=30), st.sampled_from(LISTED)),
       phase=st.one_of(st.text(max_size=12), st.integers(-3, 10**30).map(str)))  # fmt: skip
@example(vin=LISTED[0], phase="²")  # digits to str.isdigit, not to int()
@example(vin=LISTED[0], phase="\u0661")  # ARABIC-INDIC DIGIT ONE
@example(vin=LISTED[2], phase="2")  # the same VIN in another phase
def test_any_value_gets_a_clear_error_or_is_read(recall: Campaign, tmp_path: Path, vin: str, phase: str) -> None:
    path = tmp_path / "list.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerows([["VIN", "Phase"], [LISTED[2], "1"], [vin, phase]])
    try:
        listed = VinList(recall, path)
    except LettersError as exc:  # anything else (ValueError, IndexError...) fails the test
        assert str(path) in exc.message
        return
    assert set(listed.phases.values()) <= {1, 2}
