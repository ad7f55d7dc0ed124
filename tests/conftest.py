"""Shared fixtures: the sample campaign, rendered PDFs, generated records, a scratch project."""

from __future__ import annotations

import csv
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from letters import paths
from letters.campaign import LoadedCampaign, load_campaign
from letters.documents import RenderOptions
from letters.mail import MailOptions
from letters.notice import render_notice
from letters.sample import generate

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session", autouse=True)
def session_serials(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The IMb serial registry of mailings made by module and session fixtures: never the checkout's output/."""
    folder = tmp_path_factory.mktemp("session-serials")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LETTERS_SERIALS", str(folder))
        yield folder


@pytest.fixture(autouse=True)
def serial_registry(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test's own IMb serial registry folder (``LETTERS_SERIALS``), shared by every ledger the test opens."""
    folder = tmp_path_factory.mktemp("serials")
    monkeypatch.setenv("LETTERS_SERIALS", str(folder))
    return folder


@pytest.fixture(scope="session")
def loaded() -> LoadedCampaign:
    return load_campaign("23LJ01")


@pytest.fixture(scope="session")
def notice_pdf(loaded: LoadedCampaign, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 23LJ01 notice package, rendered once for the session."""
    target = tmp_path_factory.mktemp("notice") / "23LJ01-notice.pdf"
    render_notice(loaded, target, RenderOptions())
    return target


AS_OF = date(2024, 2, 5)
"""A mailing date on which 23LJ01's Phases 1-5 are available."""


@pytest.fixture(scope="session")
def records(loaded: LoadedCampaign, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """260 synthetic 23LJ01 vehicles and their owners (vehicle file, owner file)."""
    folder = tmp_path_factory.mktemp("records")
    files = generate(loaded.campaign, folder, 260, seed=8)
    return files.vehicles, files.owners


def options(tmp: Path, records: tuple[Path, Path], **kw: object) -> MailOptions:
    """Mail options for a small, serial Phase 1 mailing into ``tmp``."""
    base: dict[str, object] = dict(
        phases=(1,), vehicles=records[0], owners=records[1], as_of=AS_OF, batch_size=10, workers=1,
        ledger=tmp / "ledger.sqlite", out_dir=tmp / "out",
    )  # fmt: skip
    base.update(kw)
    return MailOptions(**base)  # type: ignore[arg-type]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A scratch copy of the project's templates, lists and catalogs, used through LETTERS_HOME.

    Tests edit campaign files and templates here without touching the real ones.
    """
    shutil.copytree(ROOT / "templates", tmp_path / "templates")
    shutil.copytree(ROOT / "mailing_lists", tmp_path / "mailing_lists")
    # The catalogs too: Spanish letters render from them, and approvals cover what they print.
    shutil.copytree(ROOT / "locales", tmp_path / "locales")
    (tmp_path / "output").mkdir()
    monkeypatch.setenv("LETTERS_HOME", str(tmp_path))
    assert paths.home() == tmp_path
    yield tmp_path


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    """A UTF-8 CSV file with ``header`` and ``rows``."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def edit(path: Path, old: str, new: str) -> None:
    """Replace ``old`` (which must be present) with ``new`` in ``path``."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def approve_as_is(*codes: str) -> None:
    """Approve every revision of ``codes`` as it is now: a test that edits a campaign, then mails it."""
    from letters.review.status import record, states

    for code in codes:
        for revision, review in states(code).items():
            if not review.approved:
                record(code, revision, "approve", "Test Reviewer", "approved as edited by the test")


VARIANT_BRANDS = """
[[brands]]
name = "lexus"
display = "Lexus"
office = "Lexus Guest Experience Center"
street = "PO Box 259001"
city = "Plano"
state = "TX"
zip = "75025"
phone = "1-800-255-3987"
website = "www.lexus.example"
signature = "Lexus Guest Experience Center"
wmis = ["JTH", "JTJ"]

[[brands]]
name = "lexus-na"
display = "Lexus North America"
office = "Lexus North America Owner Care"
street = "75 Foundry Row, Suite 300"
city = "Georgetown"
state = "KY"
zip = "40324"
phone = "1-888-555-0142"
website = "www.lexus-na.example/care"
signature = "Lexus North America Owner Care\\nA plant of Lexus North America"
wmis = ["2T2", "58A"]

[[stages]]
name = "interim"
when = "remedy-unavailable"

[[stages]]
name = "remedy"
when = "remedy-available"
"""
VARIANT_PARAGRAPHS = """{% block letter %}
<div data-block="variant-facts">
<p>{{ letter.brand.display }} writes to you: your vehicle was {% if letter.vin[:3] == "2T2" %}built in Canada
{% elif letter.vin[:3] == "58A" %}built in Kentucky{% else %}built in Japan{% endif %}.</p>
<p>{% if letter.model == "RX" %}Your RX keeps its Smart Key in the tray.{% elif letter.model == "NX" %}Your NX pairs
its key in ten minutes.{% else %}Your {{ letter.model }} is covered by this program.{% endif %}</p>
<p>{% if letter.model_year == 2024 %}A paragraph only model year 2024 letters carry, long enough to wrap onto a second
line of the letter and move everything below it.{% else %}Model year {{ letter.model_year }}.{% endif %}</p>
<p>{% if letter.stage == "interim" %}Parts are expected in {{ remedy_status(letter).estimate|month }}; a second
letter will follow.{% else %}Parts are available now for phase {{ letter.phase }}.{% endif %}</p>
<p>{% if letter.production_date and letter.production_date.year < letter.date.year %}Built in a year before this
letter's.{% else %}Built in the year of this letter.{% endif %}</p>
<p>Vehicle: <span class="field" data-field="vehicle">{{ letter.vehicle }}</span></p>
</div>
"""


@pytest.fixture
def variant_project(project: Path) -> Path:
    """The project with 23LJ01 made a two-brand, two-stage campaign whose owner letter branches on the letter.

    The brand (from ``letter.brand`` and ``letter.vin[:3]``), model, model year, stage, phase,
    the remedy's estimated month and the production date against the letter's date each change
    the text; the vehicle is a declared single-line field the fast renderer stamps.
    """
    toml = project / "templates" / "23LJ01" / "campaign.toml"
    # 23LJ01 declares its one stage (remedy); this campaign has two, interim first.
    one_stage = '[[stages]]\nname = "remedy"\nwhen = "remedy-available"\n'
    text = toml.read_text(encoding="utf-8")
    assert one_stage in text
    toml.write_text(text.replace(one_stage, "") + VARIANT_BRANDS, encoding="utf-8")
    edit(project / "templates" / "23LJ01" / "owner-letter.html", "{% block letter %}\n", VARIANT_PARAGRAPHS)
    approve_as_is("23LJ01")  # the edited campaign, approved as it now is
    return project


@contextmanager
def live_server(app: Any) -> Iterator[str]:
    """``app`` served by uvicorn on a free local port in a thread, for browser tests; yields its URL."""
    import uvicorn

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    running = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not running.started and time.monotonic() < deadline and thread.is_alive():
        time.sleep(0.05)
    assert running.started, "the review server did not start within 120 s"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        running.should_exit = True
        thread.join(10)
