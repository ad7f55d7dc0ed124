"""What a template sees: plain, read-only data (letters.render.view)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from markupsafe import Markup
from pydantic import BaseModel

from letters.campaign import load_campaign
from letters.documents import Letter
from letters.render.view import TemplateFunction, View, plain


def _leaves(value: Any) -> list[Any]:
    """Every value reachable from ``value`` through views and tuples."""
    if isinstance(value, View):
        return [value, *(leaf for item in value.values() for leaf in _leaves(item))]
    if isinstance(value, tuple):
        return [leaf for item in value for leaf in _leaves(item)]
    return [value]


@pytest.mark.parametrize("code", ["23LJ01", "24A07"])
def test_a_campaign_becomes_plain_data_all_the_way_down(code: str) -> None:
    view = plain(load_campaign(code).campaign)
    kinds = {type(leaf) for leaf in _leaves(view)}
    assert kinds <= {View, str, int, float, bool, date, type(None)}, kinds
    assert not any(isinstance(leaf, BaseModel) for leaf in _leaves(view))
    assert view.distributor.name == view["distributor"]["name"]
    assert isinstance(view.kind, str) and type(view.kind) is str  # not the Kind enum


def test_a_view_is_read_only_and_offers_only_its_names() -> None:
    view = plain(load_campaign("23LJ01").campaign)
    with pytest.raises(AttributeError):
        view.code = "EVIL"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        view.parse_raw  # noqa: B018
    with pytest.raises(AttributeError):
        view.models.append(1)  # a tuple
    assert "parse_raw" not in view._readable() and {"title", "phase", "get"} <= view._readable()


def test_methods_a_class_lists_become_template_functions_returning_plain_data() -> None:
    view = plain(load_campaign("24A07").campaign)
    assert isinstance(view.phase, TemplateFunction)
    phase = view.phase(1)
    assert isinstance(phase, View) and phase.number == 1
    assert phase.available(date(2030, 1, 1)) is True
    vehicle = plain(Letter(model="NX", model_year=2024)).vehicle  # letter.vehicle.NAME, printed as its label
    assert str(vehicle) == "2024 NX" and vehicle.model_year == 2024 and isinstance(vehicle, View)


def test_views_are_handed_back_to_the_engine_as_what_they_show() -> None:
    seen: list[object] = []
    letter = Letter(vin="JTJGKCEZ1RJ100002")
    TemplateFunction(seen.append)(plain(letter))
    assert seen == [letter]


def test_anything_but_data_is_refused() -> None:
    assert plain(Markup("<b>x</b>")) == Markup("<b>x</b>")
    with pytest.raises(TypeError, match="is not template data"):
        plain(object())
    with pytest.raises(TypeError, match="is not template data"):
        plain({"f": len})
