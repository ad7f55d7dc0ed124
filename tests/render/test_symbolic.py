"""Keying by class (letters.render.symbolic): every letter keyed exactly as rendering it through its template keys it.

Each test keys the same letters twice, by class and for real (``fast.SYMBOLIC`` off), and
compares every letter's masked HTML, stamps, frame and key.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from letters.mail import mail
from letters.render import fast as fast_module
from letters.render import sym
from letters.render.fast import FastRenderer
from letters.render.pieces import VEHICLE_DATA, BatchJob, PieceInput
from letters.render.variants import Keyed
from tests.conftest import AS_OF, edit, options

BRANDS = ("JTH", "2T2", "58A", "JTJ")
MODELS = ("RX", "NX", "ES", "UX")
NAMES = ("ANA O'BRIEN & SONS", "LI <WEI>", 'JO "JOJO" SMITH', "MARÍA JOSÉ NÚÑEZ", "AL", "BARTHOLOMEW VANDERSLOOT")


def pieces(count: int) -> tuple[PieceInput, ...]:
    """Letters that differ in everything a template may branch on: VIN prefix and serial, model, model year, the
    name's length and characters (some to escape), 3 to 5 address lines, production date."""
    out = []
    for n in range(count):
        lines = [NAMES[n % len(NAMES)], f"{100 + n} MAIN ST", "APT 4" if n % 3 == 0 else "", "SPRINGFIELD IL 62704"]
        if n % 5 == 0:
            lines.insert(1, "C/O THE ESTATE")
        data = {"production_date": date(2021 + n % 3, 1 + n % 12, 1).isoformat(), "location": "Tahara",
                "values": []}  # fmt: skip
        vin = f"{BRANDS[n % 4]}BA1D2{n % 10}K{500000 + n * 7919 % 99999:06d}"[:17]
        fields = (("model", MODELS[n % 4]), ("model-year", str(2021 + n % 4)), (VEHICLE_DATA, json.dumps(data)))
        out.append(PieceInput(f"23LJ01-1-1-{n + 1:05d}" if n % 7 else "", vin, tuple(x for x in lines if x), "en",
                              fields))  # fmt: skip
    return tuple(out)


def keyed_both(count: int = 120) -> tuple[dict[Any, Keyed | str], dict[Any, Keyed | str], FastRenderer]:
    """The letters keyed by class and for real, by a fresh renderer of the project in use."""
    from letters.campaign import load_campaign

    revision = load_campaign("23LJ01").campaign.revision.date
    job = BatchJob("23LJ01", 1, 0, revision, AS_OF, Path("/dev/null"), pieces(count))
    versions = [(i, "en") for i in range(count)]
    by_class = FastRenderer("23LJ01", revision.isoformat())
    real = FastRenderer("23LJ01", revision.isoformat())
    try:
        fast_module.SYMBOLIC = False
        expected = real.key(job, versions)
    finally:
        fast_module.SYMBOLIC = True
    return by_class.key(job, versions), expected, by_class


def keyer_of(renderer: FastRenderer) -> Any:
    (keyer,) = renderer._keyers.values()
    return keyer


def assert_same(found: dict[Any, Keyed | str], expected: dict[Any, Keyed | str]) -> None:
    assert found.keys() == expected.keys()
    for version, want in expected.items():
        assert found[version] == want, f"letter {version} keyed differently by class"


CONSTRUCTS = {
    "filters and methods": """<p>{{ letter.brand.display|upper }} {{ letter.address[0]|title }}
{{ letter.address[0]|truncate(9) }}
{{ letter.vin|lower|replace("a", "<b>") }}
{{ letter.address[0].split()|join("+") }}
{{ letter.model|center(9) }} {{ "%s/%s"|format(letter.model, letter.model_year) }}
{{ letter.vin.startswith("JT") }}</p>""",
    "branches on values": """<p>{% if letter.vin[:3] == "2T2" %}Canada{% elif "58" in letter.vin %}Kentucky{% else %}
Japan{% endif %} {% if letter.address|length > 3 %}long address{% endif %}
{% if letter.model in ["RX", "NX"] %}SUV{% endif %} {% if (letter.vin[-2:]|int) % 3 == 1 %}third{% endif %}
{% if letter.model_year >= 2023 %}new{% endif %}</p>""",
    "arithmetic, concatenation and formatting": """<p>{{ letter.model_year + 1 }} {{ letter.model_year * 2 - 1 }}
{{ letter.model ~ "-" ~ letter.model_year }} {{ "%d" % letter.model_year }} {{ "{}/{}".format(letter.model, 3) }}
{{ letter.production_date.year }} {{ letter.production_date.month > 6 }} {{ letter.date|date }}
{{ -letter.model_year }} {{ letter.vin[4:9] }}</p>""",
    "captured output inspected": """{% set name %}{{ letter.address[0] }}{% endset %}
<p>{% if name|length > 10 %}LONG {{ name }}{% else %}short {{ name|upper }}{% endif %}</p>
{% macro shout(text) %}{{ text|upper }}!{% endmacro %}<p>{{ shout(letter.model) }} {{ shout(letter.model)|length }}</p>
{% filter upper %}<p>{{ letter.address[-1] }}</p>{% endfilter %}""",
    "loops, namespaces of one letter, lookups": """<ul>{% for line in letter.address %}<li>{{ loop.index }}:
{{ line }}{% if loop.last %}.{% endif %}</li>{% endfor %}</ul>
{% set codes = {"RX": "r-x", "NX": "n-x"} %}<p>{{ codes.get(letter.model, "none") }}
{{ codes[letter.model[:1] ~ "X"] if letter.model in codes else "" }}</p>
<p>{% for c in letter.vin[:3] %}{{ c }}.{% endfor %} {{ letter.vehicle }} {{ letter.vehicle.model }}
{{ remedy_status(letter).available }} {{ stage_label(letter.stage) }} {{ letter.vin|e }}</p>""",
    "translations and prose": """<p>{% trans name=letter.address[0] %}Hello {{ name }}{% endtrans %}
{{ _("Sincerely,") }} {{ letter.brand.signature_lines|join("; ") }} {{ letter.brand.display }}</p>""",
}
"""Ways a template may use a letter's values, each written into the owner letter of a scratch project."""


@pytest.mark.parametrize("name", list(CONSTRUCTS))
def test_every_construct_keys_each_letter_as_rendering_it_does(project: Path, name: str) -> None:
    edit(project / "templates" / "23LJ01" / "owner-letter.html", "{% block letter %}\n",
         "{% block letter %}\n" + CONSTRUCTS[name] + "\n")  # fmt: skip
    found, expected, renderer = keyed_both()
    assert_same(found, expected)
    keyer = keyer_of(renderer)
    assert keyer.stopped is None
    assert keyer.filled > 0, f"no letter was keyed from a class ({keyer.failure}): the comparison proved nothing"
    assert len({k.key for k in expected.values() if isinstance(k, Keyed)}) > 1 or name == "translations and prose"


@pytest.mark.parametrize(
    ("snippet", "reason"),
    [
        ("{% set c = cycler('a', 'b') %}<p>{{ c.next() }}</p>", "cycler"),
        ("<p>{{ letters|length }}</p>", "letters read outside"),
        ("<p>{{ loop.index }}</p>", "loop variable"),
        ("{% set ns = namespace(n=0) %}{% set ns.n = ns.n + 1 %}<p>{{ ns.n }}</p>", "namespace"),
    ],
)
def test_a_template_that_depends_on_other_letters_is_keyed_for_real(project: Path, snippet: str, reason: str) -> None:
    edit(project / "templates" / "23LJ01" / "owner-letter.html", "{% block letter %}\n",
         "{% block letter %}\n" + snippet + "\n")  # fmt: skip
    found, expected, renderer = keyed_both(12)
    assert_same(found, expected)
    keyer = keyer_of(renderer)
    assert keyer.stopped is not None and reason in keyer.stopped
    assert keyer.filled == 0


def test_a_trace_that_misses_an_observation_keys_letters_wrongly(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The comparison has teeth: a symbolic value whose truth is given without being recorded puts letters
    that answer differently in one class, and their keys differ from their real ones."""
    edit(project / "templates" / "23LJ01" / "owner-letter.html", "{% block letter %}\n",
         '{% block letter %}\n<p>{% if letter.vin[:3] == "2T2" %}Canada{% else %}Japan{% endif %}</p>\n')  # fmt: skip
    monkeypatch.setattr(sym.Sym, "__bool__", lambda self: bool(self.value))
    found, expected, _ = keyed_both(12)
    assert any(found[v] != expected[v] for v in expected)


def test_whole_mailings_key_alike(variant_project: Path, tmp_path: Path, records: tuple[Path, Path],
                                  monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """Every keying of a real mailing (the variant project's letters, which branch on brand, model, year, stage,
    phase, remedy estimate and production date, in both stages and both languages) done both ways."""
    calls: list[int] = []
    original = FastRenderer.key

    def both(self: FastRenderer, job: BatchJob, versions: Any) -> Any:
        monkeypatch.setattr(fast_module, "SYMBOLIC", False)
        expected = original(FastRenderer(job.campaign, job.revision.isoformat()), job, versions)
        monkeypatch.setattr(fast_module, "SYMBOLIC", True)
        found = original(self, job, versions)
        assert_same(found, expected)
        calls.append(len(versions))
        return found

    monkeypatch.setattr(FastRenderer, "key", both)
    report = mail("23LJ01", replace(options(tmp_path, records), phases=(1, 6), renderer="fast", batch_size=100))
    assert sum(calls) >= 20 and report.runs
    from letters.render.workers import _RENDERERS

    keyers = [k for r in _RENDERERS.values() for k in getattr(r, "_keyers", {}).values() if k.filled]
    assert keyers and all(k.stopped is None for k in keyers)
    assert sum(k.filled for k in keyers) > sum(k.learned for k in keyers)
