"""No invented facts (#19 item 4): a missing date, month or number is an error naming the template, line and value.

Babel formats ``None`` as today, so ``{{ x|date }}`` of a value nobody gave printed the
render's own date in a letter ("the remedy ... in December 2026").
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from letters.campaign import load_campaign
from letters.cli import cli
from letters.documents import Letter, Renderer, RenderOptions, document_spec
from letters.errors import TemplateError
from letters.render.env import MissingValue, make_environment
from tests.conftest import edit

OWNER_LETTER = "templates/23LJ01/owner-letter.html"


@pytest.mark.parametrize(
    ("expression", "said"),
    [
        ("letter.production_date|date", "the date filter has no date to print (got None)"),
        ("letter.production_date|month", "the month filter has no date to print (got None)"),
        ("letter.production_date|short_date", "the short_date filter has no date to print (got None)"),
        ("letter.model_year|number", "the number filter has no number to print (got None)"),
        ("letter.model|date", "the date filter has no date to print (got '')"),
        ("letter.vin|date", "the date filter needs a date, got str"),
    ],
)
def test_a_missing_value_is_an_error_naming_template_line_and_value(project: Path, expression: str,
                                                                     said: str) -> None:  # fmt: skip
    template = project / OWNER_LETTER
    edit(template, "{% block letter %}\n", "{% block letter %}\n<p>Built {{ " + expression + " }}.</p>\n")
    # The notice's sample letter has no vehicle: no production date, model year or model.
    renderer = Renderer(load_campaign("23LJ01"))
    with pytest.raises(MissingValue) as err:
        renderer.render("owner-letter", RenderOptions(letter=Letter(model="")))
    assert isinstance(err.value, TemplateError)
    assert f"{template}, line 3: {said}" in err.value.message
    assert expression in err.value.message  # the template's own line names the value
    result = CliRunner().invoke(cli, ["render", "23LJ01", "owner-letter", "-o", str(project / "o.pdf")])
    assert result.exit_code == 1 and result.stderr.startswith(f"error: {template}, line 3: {said[:20]}")
    assert "Traceback" not in result.output and not (project / "o.pdf").exists()


def test_a_given_value_still_prints(project: Path) -> None:
    from datetime import date

    env = make_environment([project / "templates" / "_shared"])
    out = env.from_string("{{ d|date }} / {{ d|month }} / {{ d|short_date }} / {{ n|number }} / {{ '2024-03'|month }}")
    assert out.render(d=date(2024, 3, 18), n=41200) == "March 18, 2024 / March 2024 / 3/18/2024 / 41,200 / March 2024"


def test_a_prose_field_missing_a_date_names_its_key(project: Path) -> None:
    from letters.render.env import render_string

    env = make_environment([project / "templates" / "_shared"])
    with pytest.raises(MissingValue, match=r"campaign.toml, key facts.x, line 1: the month filter has no date"):
        render_string(env, "Remedy in {{ when|month }}.", {"when": None}, "campaign.toml, key facts.x")


def test_model_years_are_numbers_a_template_can_compare(project: Path) -> None:
    """``{% if letter.model_year == 2023 %}`` is true for a 2023 vehicle (a string "2023" would never be)."""
    template = project / OWNER_LETTER
    edit(template, "{% block letter %}\n", "{% block letter %}\n{% if letter.model_year == 2023 %}<p>MY-2023-ONLY</p>"
         "{% endif %}{% if letter.production_date.year >= 2022 %}<p>BUILT-RECENTLY</p>{% endif %}\n")  # fmt: skip
    from datetime import date

    renderer = Renderer(load_campaign("23LJ01"))
    spec_letter = Letter(model="NX", model_year=2023, production_date=date(2023, 5, 2))
    spec = document_spec(renderer.campaign, "owner-letter")
    html = renderer.html(spec, RenderOptions(letter=spec_letter))
    assert "MY-2023-ONLY" in html and "BUILT-RECENTLY" in html
    html = renderer.html(spec, RenderOptions(letter=Letter(model="NX", model_year=2022,
                                                          production_date=date(2022, 1, 3))))  # fmt: skip
    assert "MY-2023-ONLY" not in html and "BUILT-RECENTLY" in html


def test_an_interim_notice_printed_after_the_remedy_quotes_the_estimate_not_today() -> None:
    """A remailed interim notice dated after its remedy arrived printed today's month as the expected one."""
    from datetime import date

    renderer = Renderer(load_campaign("24A07", as_of=date(2024, 3, 20)))
    spec = document_spec(renderer.campaign, "owner-letter")
    letter = Letter(date=date(2024, 3, 20), stage="interim", phase=1, model="MERIDIAN", model_year=2023)
    html = renderer.html(spec, RenderOptions(letter=letter, stage="interim", mailing=True))
    expected = renderer.campaign.phase(1).estimate
    text = " ".join(html.split())
    assert expected is not None and f"We expect them in {expected:%B %Y}" in text
    assert f"{date.today():%B %Y}" not in text or date.today().replace(day=1) == expected
