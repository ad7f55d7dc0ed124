"""The revision history: merging revisions, picking one, validating all of them."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from letters.campaign import load_campaign
from letters.campaign.history import merge
from letters.documents import Renderer, RenderOptions, document_spec, documents_of
from letters.errors import CampaignError, ValidationError
from letters.render.changes import html_blocks
from letters.render.pdf import parse

SEED_DATES = ["2023-06-15", "2023-08-29", "2023-10-12", "2023-11-21", "2023-12-21", "2024-01-31"]


def test_history_matches_seed() -> None:
    loaded = load_campaign("23LJ01")
    assert [e.id for e in loaded.history] == SEED_DATES
    topics = [(u.date.isoformat(), u.topic) for u in loaded.campaign.updates]
    assert topics[-1] == ("2024-01-31", "Updated Current Phase Timing and Vehicle Eligibility Chart")
    assert ("2023-11-21", "Additional Phase 2 NAP vehicles added (approx. 500 vehicles)") in topics
    assert len(topics) == 7


@pytest.mark.parametrize(
    ("as_of", "revision"),
    [(date(2023, 6, 15), "2023-06-15"), (date(2023, 9, 30), "2023-08-29"), (date(2024, 1, 30), "2023-12-21"),
     (date(2030, 1, 1), "2024-01-31")],
)  # fmt: skip
def test_as_of_picks_revision_in_effect(as_of: date, revision: str) -> None:
    assert load_campaign("23LJ01", as_of=as_of).campaign.revision.date.isoformat() == revision


def test_nothing_before_original() -> None:
    with pytest.raises(CampaignError, match="nothing was published by 2023-01-01"):
        load_campaign("23LJ01", as_of=date(2023, 1, 1))


def test_unknown_revision_lists_them() -> None:
    with pytest.raises(CampaignError, match="2023-08-29"):
        load_campaign("23LJ01", revision="2023-08-30")


@pytest.mark.parametrize(
    ("revision", "covered", "available"),
    [("2023-06-15", 18_000, [1]), ("2023-10-12", 75_000, [1, 2, 3]), ("2023-12-21", 214_000, [1, 2, 3, 4, 5])],
)
def test_data_each_date_implies(revision: str, covered: int, available: list[int]) -> None:
    c = load_campaign("23LJ01", revision=revision).campaign
    assert c.covered.vehicles == covered
    assert [p.number for p in c.phases if p.available(c.revision.date)] == available


def test_as_of_2023_10_12_shows_phases_1_to_3_available_and_later_estimates() -> None:
    loaded = load_campaign("23LJ01", as_of=date(2023, 10, 12))
    html = Renderer(loaded).html(document_spec(loaded.campaign, "faq"), RenderOptions(as_of=date(2023, 10, 12)))
    rows = next(b.text for b in html_blocks(parse(html)) if b.kind == "phase-timing")
    for n in (1, 2, 3):
        assert f"Phase {n} Remedy Available" in rows
    assert "Phase 4 November 2023 TBD" in rows and "Phase 5 January 2024 TBD" in rows


@pytest.mark.parametrize("revision", SEED_DATES)
def test_every_revision_renders_every_document(revision: str) -> None:
    loaded = load_campaign("23LJ01", revision=revision)
    renderer = Renderer(loaded)
    for name in documents_of(loaded.campaign):
        if name == "update-cover" and not loaded.campaign.updates:
            continue
        assert renderer.render(name, RenderOptions(as_of=loaded.campaign.revision.date)).document.pages


def test_merge_rules() -> None:
    base = {"phases": [{"number": 1, "a": 1}, {"number": 2, "a": 2}], "covered": {"v": 1, "pr": 2}, "x": [1, 2]}
    patch = {"phases": [{"number": 2, "a": 5}, {"number": 3, "a": 3}, {"number": 1, "remove": True}],
             "covered": {"v": 9}, "x": [3]}  # fmt: skip
    assert merge(base, patch, "") == {
        "phases": [{"number": 2, "a": 5}, {"number": 3, "a": 3}], "covered": {"v": 9, "pr": 2}, "x": [3],
    }  # fmt: skip
    assert base["phases"][1] == {"number": 2, "a": 2}  # the base is not modified


def test_bad_revision_file_is_named(project: Path) -> None:
    bad = project / "templates" / "23LJ01" / "revisions" / "2024-02-10.toml"
    bad.write_text("date = 2024-02-11\ntopics = []\n")
    with pytest.raises(ValidationError) as err:
        load_campaign("23LJ01")
    assert "2024-02-10.toml: date" in err.value.message and "2024-02-10.toml: topics" in err.value.message


def test_bad_value_in_an_overridden_revision_is_still_reported(project: Path) -> None:
    rev = project / "templates" / "23LJ01" / "revisions" / "2023-08-29.toml"
    rev.write_text(rev.read_text().replace("vehicles = 26000", 'vehicles = "lots"'))
    with pytest.raises(ValidationError, match=r"as revised by 2023-08-29.toml: phases\[1\].vehicles"):
        load_campaign("23LJ01")
