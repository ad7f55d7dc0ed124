"""Shared fixtures: the sample campaign, rendered PDFs, generated records, a scratch project."""

from __future__ import annotations

import csv
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

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
