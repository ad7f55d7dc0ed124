"""The third bundled campaign, 25X09: a two-brand warranty extension whose letters state each vehicle's
coverage end date (ten years from its in-service date, never before a calendar floor)."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import pdfplumber
import pytest
from click.testing import CliRunner

from letters import vin as vins
from letters.campaign import load_campaign
from letters.cli import cli
from letters.mail import MailOptions, mail
from tests.conftest import approve_as_is, edit, write_csv

PHASE_1, PHASE_2 = date(2025, 7, 1), date(2026, 1, 5)
"""25X09: Corvo coverage in effect since 2025-06-16; Kestrel since the 2025-11-17 revision."""


def corvo(year: int, serial: int) -> str:
    return vins.with_check_digit(f"1TSCV4T20{vins.year_code(year)}F{100000 + serial:06d}")


def kestrel(year: int, serial: int) -> str:
    return vins.with_check_digit(f"2VRKS7R30{vins.year_code(year)}B{100000 + serial:06d}")


# (VIN, model, model year, built, in service, the coverage end its letter must print)
FLEET = [
    # Ten years from 2016-05-02 would end 2026-05-02, before the floor: the floor applies.
    (corvo(2017, 1), "Corvo", 2017, "2016-03-14", "2016-05-02", "June 30, 2026"),
    # In service on a leap day: ten years later has no 29 February, so the 28th.
    (corvo(2020, 2), "Corvo", 2020, "2020-01-20", "2020-02-29", "February 28, 2030"),
    # An ordinary case, written as M/D/YYYY in the file.
    (corvo(2018, 3), "Corvo", 2018, "2017-11-06", "3/15/2018", "March 15, 2028"),
    # The floor's own day: ten years ending after it keep their own date.
    (corvo(2017, 4), "Corvo", 2017, "2016-04-01", "2016-07-01", "July 1, 2026"),
    # Virel vehicles (phase 2): their own brand, and the rental benefit.
    (kestrel(2019, 1), "Kestrel", 2019, "2018-10-01", "2019-02-28", "February 28, 2029"),
    (kestrel(2018, 2), "Kestrel", 2018, "2017-06-12", "2017-08-01", "August 1, 2027"),
]
BRANDS = {"Corvo": ("TESSARO", "Tessaro Customer Relations", "1-800-555-0177", "www.tessaro.example/owners"),
          "Kestrel": ("VIREL", "Virel Owner Care", "1-888-555-0142", "www.virel.example/care")}  # fmt: skip


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("fleet")
    vehicles = write_csv(
        folder / "vehicles.csv", ["VIN", "Model", "Model Year", "Production Date", "Location", "In-Service Date"],
        [[v, m, str(y), b, "Fairhaven" if m == "Corvo" else "Brantford", s] for v, m, y, b, s, _ in FLEET],
    )  # fmt: skip
    owners = write_csv(
        folder / "owners.csv", ["VIN", "Name", "Address", "City", "State", "ZIP"],
        [[v, f"OWNER {i}", f"{100 + i} MAIN ST", "LANSING", "MI", "48933"] for i, (v, *_) in enumerate(FLEET)],
    )  # fmt: skip
    return vehicles, owners


def letters_by_vin(folder: Path) -> dict[str, str]:
    """Each piece's letter text (its pages), by VIN, read from the batch files through the manifest."""
    out: dict[str, str] = {}
    with (folder / "manifest.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        with pdfplumber.open(folder / row["file"]) as pdf:
            pages = pdf.pages[int(row["first_page"]) - 1 : int(row["last_page"])]
            out[row["vin"]] = "\n".join(p.extract_text() or "" for p in pages)
    return out


@pytest.mark.parametrize("renderer", ["fast", "full"])
def test_every_letter_states_its_vehicles_coverage_end_and_speaks_with_its_brand(
    fleet: tuple[Path, Path], tmp_path: Path, renderer: str
) -> None:
    texts: dict[str, str] = {}
    pages_of: dict[str, list[str]] = {}
    for phase, as_of in ((1, PHASE_1), (2, PHASE_2)):
        options = MailOptions(phases=(phase,), vehicles=fleet[0], owners=fleet[1], as_of=as_of, batch_size=10,
                              workers=1, ledger=tmp_path / "ledger.sqlite", out_dir=tmp_path / "out",
                              renderer=renderer)  # fmt: skip
        (run,) = mail("25X09", options).runs
        assert run.job["letters"] == sum(1 for f in FLEET if (f[1] == "Corvo") == (phase == 1))
        texts.update(letters_by_vin(run.folder))
        with (run.folder / "manifest.csv").open(encoding="utf-8") as handle:
            manifest = list(csv.DictReader(handle))
        assert {row["envelope"] for row in manifest} == {"envelope-en.pdf"}
        assert {row["brand"] for row in manifest} == {"tessaro" if phase == 1 else "virel"}
        assert run.job["envelopes"] == {"en": "envelope-en.pdf"} and run.job["stage"] == "notice"
        with pdfplumber.open(run.folder / "envelope-en.pdf") as pdf:
            assert "IMPORTANT WARRANTY EXTENSION INFORMATION" in (pdf.pages[0].extract_text() or "")
        for row in manifest:
            with pdfplumber.open(run.folder / row["file"]) as pdf:
                pages = pdf.pages[int(row["first_page"]) - 1 : int(row["last_page"])]
                pages_of[row["vin"]] = [p.extract_text() or "" for p in pages if (p.extract_text() or "").strip()]
    assert set(texts) == {f[0] for f in FLEET}
    for vin, model, *_ in FLEET:
        name, _, phone, _ = BRANDS[model]
        # Every printed page of the letter names its brand and phone (the pad page of duplex is blank).
        assert pages_of[vin] and all(f"{name} · {phone}" in page for page in pages_of[vin]), pages_of[vin]
    for vin, model, _, _, in_service, ends in FLEET:
        text = " ".join(texts[vin].split())
        assert f"Its valve body coverage ends on: {ends}" in text, (vin, text)
        since = date.fromisoformat(in_service) if "-" in in_service else date(2018, 3, 15)
        assert f"went into service on: {since.strftime('%B')} {since.day}, {since.year}" in text
        name, office, phone, site = BRANDS[model]
        other = BRANDS["Kestrel" if model == "Corvo" else "Corvo"]
        assert text.startswith(name) and office in text and phone in text and site in text
        assert f"Dear {name.title()} Owner:" in text
        assert other[1] not in text and other[2] not in text and other[3] not in text
        assert ("rental vehicle at no charge" in text) == (model == "Kestrel")


def test_check_lookup_and_json_show_coverage_and_brand(fleet: tuple[Path, Path]) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["check", "25X09", "--vehicles", str(fleet[0]), "--owners", str(fleet[1]),
                                 "--as-of", PHASE_2.isoformat(), "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    ends = data["vehicle_values"]["coverage_ends"]
    assert ends == {"source": "computed", "type": "date", "title": "Coverage ends", "letters_with_value": 6,
                    "min": "2026-06-30", "max": "2030-02-28"}  # fmt: skip
    assert data["vehicle_values"]["in_service"]["min"] == "2016-05-02"
    leap = FLEET[1][0]
    result = runner.invoke(cli, ["lookup", "25X09", leap, FLEET[4][0], "--vehicles", str(fleet[0]), "--as-of",
                                 PHASE_2.isoformat(), "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    first, second = json.loads(result.output)
    assert first["values"] == {"in_service": "2020-02-29", "coverage_ends": "2030-02-28"}
    assert (first["brand"], second["brand"]) == ("tessaro", "virel")
    text = runner.invoke(cli, ["lookup", "25X09", leap, "--vehicles", str(fleet[0]), "--as-of", "2025-07-01"])
    assert "2020 Tessaro CORVO" in text.output and "Coverage ends 2030-02-28" in text.output
    assert "coverage in effect" in text.output and "remedy" not in text.output


def test_bundled_campaign_checks_and_renders() -> None:
    loaded = load_campaign("25X09")
    assert [b.name for b in loaded.campaign.brands] == ["tessaro", "virel"]
    assert loaded.campaign.letter_languages == ["en"]
    runner = CliRunner()
    result = runner.invoke(cli, ["check", "25X09", "--as-of", PHASE_2.isoformat(), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["letters"] > 0 and data["warnings"] == []
    assert data["vehicle_values"]["coverage_ends"]["min"] >= "2026-06-30"


def test_a_two_page_letter_names_its_brand_on_every_page(project: Path, tmp_path: Path) -> None:
    from letters.documents import Letter, Renderer, RenderOptions

    edit(project / "templates" / "25X09" / "owner-letter.html", "{% block letter %}",
         "{% block letter %}" + "<p>Filler paragraph to make the letter run onto a second page.</p>" * 60)  # fmt: skip
    loaded = load_campaign("25X09")
    renderer = Renderer(loaded)
    for vin, model, year, *_ in (FLEET[1], FLEET[4]):
        letter = Letter(vin=vin, address=("OWNER", "1 MAIN ST", "LANSING MI 48933"), date=PHASE_2, piece_id="X-1",
                        phase=1 if model == "Corvo" else 2, model=model.upper(), model_year=year)  # fmt: skip
        rendered = renderer.render("owner-letter", RenderOptions(letter=letter, mailing=True, as_of=PHASE_2))
        target = tmp_path / f"{vin}.pdf"
        rendered.document.write_pdf(target)
        name, _, phone, _ = BRANDS[model]
        with pdfplumber.open(target) as pdf:
            texts = [page.extract_text() or "" for page in pdf.pages]
        assert len(texts) >= 2 and all(f"{name} · {phone}" in text for text in texts), texts


def test_i18n_check_passes_an_english_only_campaign_and_checks_a_spanish_one(project: Path) -> None:
    import shutil

    from tests.conftest import ROOT

    shutil.copytree(ROOT / "locales", project / "locales", dirs_exist_ok=True)
    runner = CliRunner()
    result = runner.invoke(cli, ["i18n", "check"])
    assert result.exit_code == 0, result.output
    # The same campaign declared Spanish: its untranslated messages and prose are listed.
    edit(project / "templates" / "25X09" / "campaign.toml", 'languages = ["en"]', 'languages = ["en", "es"]')
    edit(
        project / "templates" / "25X09" / "campaign.toml",
        "\n[facts]\n",
        '\n[translations.es]\nprogram = "Programa"\n\n[facts]\n',
    )
    result = runner.invoke(cli, ["i18n", "check"])
    assert result.exit_code == 1
    assert "es: untranslated: 'IMPORTANT WARRANTY EXTENSION'" in result.output
    assert "es: campaign 25X09: no translation for translations.es.reason" in result.output


def test_a_new_warranty_extension_declares_its_in_service_column_and_coverage_end(project: Path) -> None:
    result = CliRunner().invoke(cli, ["new", "26X01", "--kind", "warranty-extension", "--json"])
    assert result.exit_code == 0, result.output
    campaign = load_campaign("26X01").campaign
    assert list(campaign.vehicles.columns) == ["in_service"] and list(campaign.vehicles.computed) == ["coverage_ends"]
    assert [s.name for s in campaign.stages] == ["notice"]  # the kind's default stage, not "remedy"
    text = (project / "templates" / "26X01" / "owner-letter.html").read_text()
    assert "letter.vehicle.coverage_ends" in text and "letter.brand" in text


def test_a_two_brand_mailing_prints_each_owners_brand_on_every_page(
    project: Path, fleet: tuple[Path, Path], tmp_path: Path
) -> None:
    """Through ``mail``: letters long enough for two sheets carry their own brand, and never the other's, on
    every printed page of the batch files (the duplex pad page aside)."""
    edit(project / "templates" / "25X09" / "owner-letter.html", "{% block letter %}",
         "{% block letter %}" + "<p>Filler paragraph to make the letter run onto further pages.</p>" * 70)  # fmt: skip
    approve_as_is("25X09")  # the edited letter, approved as it now is
    model_of = {vin: model for vin, model, *_ in FLEET}
    seen: dict[str, int] = {}
    for phase, as_of in ((1, PHASE_1), (2, PHASE_2)):
        options = MailOptions(phases=(phase,), vehicles=fleet[0], owners=fleet[1], as_of=as_of, batch_size=10,
                              workers=1, ledger=tmp_path / "ledger.sqlite", out_dir=tmp_path / "out",
                              renderer="full")  # fmt: skip
        (run,) = mail("25X09", options).runs
        with (run.folder / "manifest.csv").open(encoding="utf-8") as handle:
            manifest = list(csv.DictReader(handle))
        for row in manifest:
            name, office, phone, site = BRANDS[model_of[row["vin"]]]
            other = BRANDS["Kestrel" if model_of[row["vin"]] == "Corvo" else "Corvo"]
            with pdfplumber.open(run.folder / row["file"]) as pdf:
                pages = [p.extract_text() or "" for p in pdf.pages[int(row["first_page"]) - 1 : int(row["last_page"])]]
            printed = [text for text in pages if text.strip()]
            assert len(printed) >= 2, row
            for text in printed:
                assert f"{name} · {phone}" in text, (row["vin"], text[:300])
                assert all(word not in text for word in other[1:]), (row["vin"], text[:300])
            assert office in printed[0] and site in "".join(printed)
            seen[row["brand"]] = seen.get(row["brand"], 0) + 1
    assert seen == {"tessaro": 4, "virel": 2}


def test_the_update_cover_shows_the_history_as_it_happened(tmp_path: Path) -> None:
    """A superseded earlier program (before the original publication), the original's own topic and the
    revision's, newest first; topics quote campaign values."""
    loaded = load_campaign("25X09")
    target = tmp_path / "cover.pdf"
    result = CliRunner().invoke(cli, ["render", "25X09", "update-cover", "-o", str(target)])
    assert result.exit_code == 0, result.output
    with pdfplumber.open(target) as pdf:
        text = " ".join(" ".join(p.extract_text() or "" for p in pdf.pages).split())
    code = loaded.campaign.facts["superseded_code"]
    superseded = f"Program {code} extended valve body coverage of the 2017-2018 Corvo to 7 years"
    original = "Warranty extension published: 10 years or 150,000 miles for approx."
    assert "{{" not in text and superseded in text and original in text
    revision = " ".join(loaded.history[-1].topics[0].split()[:3])
    assert revision in text
    assert text.index(revision) < text.index(original) < text.index(superseded)
