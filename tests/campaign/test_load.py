"""The campaign file: every fact of the seed, validated on load, errors that name the key."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from letters.campaign import LoadedCampaign, load_campaign
from letters.campaign.load import implied_phase_volumes
from letters.errors import CampaignError, ValidationError
from tests.conftest import edit


def test_seed_figures(loaded: LoadedCampaign) -> None:
    c = loaded.campaign
    assert c.code == "23LJ01"
    assert c.covered.vehicles == 214_000 and c.covered.puerto_rico == 850
    assert len(c.models) == 12
    assert [p.vehicles for p in c.phases] == [18000, 27000, 32000, 62000, 75500, None, None]
    assert c.op_codes[0].code == "23LJ01R1" and c.op_codes[0].hours == 0.4 and c.op_codes[0].admin_hours == 0.1
    assert c.parts[0].number == "04002-****"
    assert c.training.course == "LIC206A"
    assert len(c.chart.rows) == 13
    assert [f.id for f in c.faq][:4] == ["Q1", "Q2", "Q2a", "Q3"] and c.faq[-1].id == "Q15"


def test_stated_total_kept_and_inconsistency_warned(loaded: LoadedCampaign) -> None:
    assert sum(m.volume for m in loaded.campaign.models) == 221_370
    assert any("221,370" in w and "214,000" in w for w in loaded.warnings)


def test_chart_implies_phase_volumes_close_to_stated(loaded: LoadedCampaign) -> None:
    implied = implied_phase_volumes(loaded.campaign)
    for number in range(1, 6):
        stated = loaded.campaign.phase(number).vehicles
        assert stated is not None
        assert abs(implied[number] - stated) / stated < 0.25, (number, implied[number], stated)


def test_chart_months_span_the_seed(loaded: LoadedCampaign) -> None:
    months = loaded.campaign.chart.months()
    assert months[0] == date(2022, 10, 1) and months[-1] == date(2024, 3, 1) and len(months) == 18


@pytest.mark.parametrize(
    ("old", "new", "key", "problem"),
    [
        ("vehicles = 18000", 'vehicles = "many"', "covered.vehicles", "valid integer"),
        ('course = "LIC206A"\n', "", "training.course", "required key is missing"),
        ('mailing = "2023-07"', 'mailing = "July 2023"', "phases[0].mailing", "YYYY-MM"),
        ('kind = "customer-satisfaction-program"', 'kind = "advice"', "kind", "safety-recall"),
        ('location = "Japan"\n', 'location = "Mars"\n', "location", "Mars"),
        # A quoted date is text, not a missing key: say so (it used to read "required").
        (
            "published = 2023-06-15",
            'published = "2023-06-15"',
            "published",
            "'2023-06-15' is not a date; write a TOML date unquoted (published = 2024-02-12)",
        ),
        ("\npublished = 2023-06-15\n", "\n", "published", "required: the original publication date"),
    ],
)
def test_invalid_campaign_names_file_key_and_problem(project: Path, old: str, new: str, key: str, problem: str) -> None:
    source = project / "templates" / "23LJ01" / "campaign.toml"
    edit(source, old, new)
    with pytest.raises(ValidationError) as err:
        load_campaign("23LJ01")
    assert str(source) in err.value.message
    assert key in err.value.message
    assert problem in err.value.message


def test_every_problem_reported_at_once(project: Path) -> None:
    source = project / "templates" / "23LJ01" / "campaign.toml"
    edit(source, "vehicles = 18000", 'vehicles = "many"')
    edit(source, 'kind = "customer-satisfaction-program"', 'kind = "recall-ish"')
    with pytest.raises(ValidationError) as err:
        load_campaign("23LJ01")
    assert len(err.value.problems) == 2


def test_every_cross_field_problem_reported_at_once(project: Path) -> None:
    # Problems between sections (a stage's document, a document named twice) are listed together, not first only.
    source = project / "templates" / "23LJ01" / "campaign.toml"
    edit(source, 'name = "remedy"\nwhen = "remedy-available"', 'name = "remedy"\nwhen = "remedy-available"\n'
         'document = "owner-leter"')  # fmt: skip
    edit(source, 'name = "owner-letter"', 'name = "dealer-letter"')
    with pytest.raises(ValidationError) as err:
        load_campaign("23LJ01")
    message = err.value.message
    assert "documents named twice: dealer-letter" in message
    assert "stages[0].document 'owner-leter' is not one of documents" in message
    assert str(source) in message


def test_toml_syntax_error_names_file(project: Path) -> None:
    source = project / "templates" / "23LJ01" / "campaign.toml"
    edit(source, "code = ", "code == ")
    with pytest.raises(CampaignError, match="not valid TOML"):
        load_campaign("23LJ01")


def test_unknown_campaign_lists_known_ones() -> None:
    with pytest.raises(CampaignError, match="23LJ01"):
        load_campaign("99XX99")
