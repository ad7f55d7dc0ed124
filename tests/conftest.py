"""Shared fixtures: the sample campaign, rendered PDFs, generated records, a scratch project."""

from __future__ import annotations

import csv
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from letters import paths
from letters.campaign import LoadedCampaign, load_campaign
from letters.documents import RenderOptions
from letters.notice import render_notice

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def loaded() -> LoadedCampaign:
    return load_campaign("23LJ01")


@pytest.fixture(scope="session")
def notice_pdf(loaded: LoadedCampaign, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 23LJ01 notice package, rendered once for the session."""
    target = tmp_path_factory.mktemp("notice") / "23LJ01-notice.pdf"
    render_notice(loaded, target, RenderOptions())
    return target


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A scratch copy of the project's templates and lists, used through LETTERS_HOME.

    Tests edit campaign files and templates here without touching the real ones.
    """
    shutil.copytree(ROOT / "templates", tmp_path / "templates")
    shutil.copytree(ROOT / "mailing_lists", tmp_path / "mailing_lists")
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
