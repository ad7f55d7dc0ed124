"""Spanish and bilingual letters: complete, strict, Babel-formatted, and counted right."""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pdfplumber
import pytest
from click.testing import CliRunner

from letters.campaign import load_campaign
from letters.campaign.author import check_all
from letters.cli import cli
from letters.documents import Letter, RenderOptions
from letters.i18n import MissingTranslation, load_translations, po_path, translate_period
from letters.mail import MailOptions, mail
from letters.notice import render_one
from letters.sample import OWNER_HEADER, VEHICLE_HEADER
from letters.vin import with_check_digit
from tests.conftest import write_csv

LETTER_DATE = date(2024, 2, 5)
ADDRESS = ("BEGOÑA ARGÜELLES IBÁÑEZ", "URB EL VEDADO", "CALLE ÉXITO 12", "SAN JUAN PR 00907-1234")


def text_of(path: Path) -> str:
    with pdfplumber.open(path) as pdf:
        return "\n".join(p.extract_text() or "" for p in pdf.pages)


def sentences(text: str) -> set[str]:
    flat = " ".join(text.split())
    return {s.strip() for s in re.split(r"(?<=[.!?:])\s+", flat) if len(s.strip()) > 25}


@pytest.fixture(scope="module")
def letters_by_lang(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    loaded = load_campaign("23LJ01")
    out = {}
    for lang in ("en", "es"):
        target = tmp_path_factory.mktemp(lang) / "letter.pdf"
        letter = Letter(with_check_digit("JTJGKCEZ0PJ100001"), ADDRESS, LETTER_DATE, "23LJ01-5-0001-000001")
        render_one(loaded, "owner-letter", target, RenderOptions(letter=letter, lang=lang, strict=True))
        out[lang] = target
    return out


def test_spanish_letter_is_spanish(letters_by_lang: dict[str, Path]) -> None:
    es, en = text_of(letters_by_lang["es"]), text_of(letters_by_lang["en"])
    assert "Estimado cliente de Lexus:" in es and "¿Qué debe hacer usted?" in es
    assert "5 de febrero de 2024" in es and "Desde noviembre de 2022" in es
    assert with_check_digit("JTJGKCEZ0PJ100001") in es
    shared = sentences(es) & sentences(en)
    assert shared == set(), shared


def test_every_spanish_character_renders_in_the_shipped_font(letters_by_lang: dict[str, Path]) -> None:
    text = text_of(letters_by_lang["es"])
    for ch in "ñáéíóú¿¡ÑÜÁÉ":  # lower case from the letter, upper case from the USPS address block
        assert ch in text, ch
    from fontTools.ttLib import TTFont

    fonts = Path(__file__).parent.parent / "templates" / "_shared" / "fonts"
    for face in fonts.glob("*.ttf"):
        cmap = TTFont(face).getBestCmap()
        assert all(ord(ch) in cmap for ch in "ñáéíóúü¿¡ÑÜÁÉÍÓÚ"), face.name
    fonts = subprocess.run(["pdffonts", str(letters_by_lang["es"])], capture_output=True, text=True, check=True)
    assert all("Letters-Sans" in row for row in fonts.stdout.splitlines()[2:])


@pytest.mark.parametrize("document", ["faq", "disclosure-form"])
def test_spanish_documents(document: str, tmp_path: Path) -> None:
    target = tmp_path / "doc.pdf"
    render_one(load_campaign("23LJ01"), document, target, RenderOptions(lang="es", strict=True))
    text = " ".join(text_of(target).split())
    if document == "faq":
        assert "Preguntas frecuentes" in text and "P15: ¿Quién puede contestar otras preguntas?" in text
        assert "Fase 6 marzo de 2024 Por determinar" in text and "~75,500" in text
        with pdfplumber.open(target) as pdf:
            rows = [row for page in pdf.pages for table in page.extract_tables() for row in table]
        es_row = next(r for r in rows if r[0] == "2023 ES")
        assert " ".join(es_row[1].split()) == "mediados de octubre de 2022 - principios de enero de 2023"
        assert "Página 1 de 4" in text
    else:
        assert "FORMULARIO DE CONTACTO DEL CLIENTE Y DIVULGACIÓN DEL VEHÍCULO" in text and "Firma del cliente" in text


def test_dealer_letter_stays_english() -> None:
    result = CliRunner().invoke(cli, ["render", "23LJ01", "dealer-letter", "--lang", "es"])
    assert result.exit_code == 2 and "English only" in result.stderr


@pytest.mark.parametrize(
    ("text", "expected"),
    [("Early November 2022 - Early January 2023", "principios de noviembre de 2022 - principios de enero de 2023"),
     ("Mid-January 2023 \u2013 Late October 2023", "mediados de enero de 2023 - finales de octubre de 2023"),
     ("Sometime soon", None)],
)  # fmt: skip
def test_periods_through_babel(text: str, expected: str | None) -> None:
    assert translate_period(text, "es") == expected


def test_catalogs_are_complete() -> None:
    assert check_all(["es"]).problems == ()


def _break_catalog(project: Path, msgid: str, replacement: str) -> None:
    po = project / "locales" / "es" / "LC_MESSAGES" / "messages.po"
    text = po.read_text(encoding="utf-8")
    block = re.search(rf'msgid "{re.escape(msgid)}"\nmsgstr "[^"]*"\n', text)
    assert block, msgid
    po.write_text(text.replace(block.group(0), replacement), encoding="utf-8")


@pytest.mark.parametrize(
    ("replacement", "problem"),
    [('msgid "Sincerely,"\nmsgstr ""\n', "es: untranslated: 'Sincerely,'"),
     ('#, fuzzy\nmsgid "Sincerely,"\nmsgstr "Atentamente,"\n', "es: fuzzy: 'Sincerely,'"),
     ('msgid "Dear %(brand)s Guest:"\nmsgstr "Estimado cliente de %(marca)s:"\n', "placeholders differ")],
)  # fmt: skip
def test_check_lists_each_bad_message(project: Path, replacement: str, problem: str) -> None:
    import shutil

    shutil.copytree(Path(__file__).parent.parent / "locales", project / "locales", dirs_exist_ok=True)
    msgid = "Dear %(brand)s Guest:" if "brand" in replacement else "Sincerely,"
    _break_catalog(project, msgid, replacement)
    result = CliRunner().invoke(cli, ["i18n", "check", "es"])
    assert result.exit_code == 1
    assert any(problem in line for line in result.stdout.splitlines())


def test_strict_refuses_and_lenient_warns(project: Path, tmp_path: Path) -> None:
    import shutil

    shutil.copytree(Path(__file__).parent.parent / "locales", project / "locales", dirs_exist_ok=True)
    _break_catalog(project, "Sincerely,", 'msgid "Sincerely,"\nmsgstr ""\n')
    with pytest.raises(MissingTranslation, match="Sincerely"):
        load_translations("es", strict=True).gettext("Sincerely,")
    result = CliRunner().invoke(
        cli, ["render", "23LJ01", "owner-letter", "--lang", "es", "-o", str(tmp_path / "a.pdf")]
    )
    assert result.exit_code == 0 and "no es translation for 'Sincerely,': English used" in result.stderr
    result = CliRunner().invoke(cli, ["render", "23LJ01", "owner-letter", "--lang", "es", "--strict"])
    assert result.exit_code == 1 and "Sincerely" in result.stderr


def test_extract_update_compile(project: Path) -> None:
    import shutil

    shutil.copytree(Path(__file__).parent.parent / "locales", project / "locales", dirs_exist_ok=True)
    runner = CliRunner()
    assert "messages" in runner.invoke(cli, ["i18n", "extract"]).stdout
    assert runner.invoke(cli, ["i18n", "update"]).exit_code == 0
    assert runner.invoke(cli, ["i18n", "compile"]).exit_code == 0
    mo = po_path("es").with_suffix(".mo")
    assert mo.is_file()
    assert load_translations("es", strict=True).gettext("Sincerely,") == "Atentamente,"
    assert runner.invoke(cli, ["i18n", "check"]).exit_code == 0


@pytest.mark.parametrize(
    ("pr_language", "expected"),
    [("bilingual", ["en", "es", "es+en", "en"]), ("es", ["en", "es", "es", "en"]), ("en", ["en", "es", "en", "en"])],
)
def test_language_per_owner_and_page_counts(tmp_path: Path, pr_language: str, expected: list[str]) -> None:
    vins = [with_check_digit(f"JTJGKCEZ0PJ10000{i}") for i in range(1, 5)]
    vehicles = write_csv(tmp_path / "v.csv", VEHICLE_HEADER, [[v, "NX", "2023", "2023-03-15", "Japan"] for v in vins])
    owners = write_csv(tmp_path / "o.csv", OWNER_HEADER, [
        [vins[0], "Ann Lee", "", "", "1 Elm St", "", "Austin", "TX", "73301", "US", "", "", ""],
        [vins[1], "José Díaz", "", "", "2 Oak St", "", "Miami", "FL", "33101", "US", "es", "", ""],
        [vins[2], "Ana Núñez", "", "URB EL VEDADO", "3 Calle A", "", "San Juan", "PR", "00907", "US", "", "", ""],
        [vins[3], "Luis Ruiz", "", "", "4 Calle B", "", "Ponce", "PR", "00716", "US", "en", "", ""],
    ])  # fmt: skip
    options = MailOptions((4,), vehicles, owners, date(2024, 2, 5), 10, 1, tmp_path / "l.sqlite", tmp_path / "out",
                          pr_language=pr_language)  # fmt: skip
    (run,) = mail("23LJ01", options).runs
    rows = {r["vin"]: r for r in csv.DictReader((run.folder / "manifest.csv").open(encoding="utf-8"))}
    assert [rows[v]["language"] for v in vins] == expected
    with pdfplumber.open(run.folder / "batch-0001.pdf") as pdf:
        for vin in vins:
            row = rows[vin]
            pages = pdf.pages[int(row["first_page"]) - 1 : int(row["last_page"])]
            texts = [p.extract_text() or "" for p in pages]
            spanish = sum("Estimado cliente" in t for t in texts)
            english = sum("Dear Lexus Guest" in t for t in texts)
            assert (spanish, english) == {"en": (0, 1), "es": (1, 0), "es+en": (1, 1)}[row["language"]]
            assert int(row["pages"]) == len(pages) and int(row["pages"]) % 2 == 0
    assert run.job["languages"] == {lang: expected.count(lang) for lang in set(expected)}


def test_mail_is_strict(project: Path, tmp_path: Path) -> None:
    import shutil

    shutil.copytree(Path(__file__).parent.parent / "locales", project / "locales", dirs_exist_ok=True)
    _break_catalog(project, "Sincerely,", 'msgid "Sincerely,"\nmsgstr ""\n')
    vin = with_check_digit("JTJGKCEZ0PJ100001")
    vehicles = write_csv(tmp_path / "v.csv", VEHICLE_HEADER, [[vin, "NX", "2023", "2023-03-15", "Japan"]])
    owners = write_csv(tmp_path / "o.csv", OWNER_HEADER,
                    [[vin, "Ana", "", "", "3 Calle A", "", "San Juan", "PR", "00907", "US", "", "", ""]])  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-m", "letters", "mail", "23LJ01", "--phase", "4", "--vehicles", str(vehicles), "--owners",
         str(owners), "--as-of", "2024-02-05", "--workers", "1", "--ledger", str(tmp_path / "l.sqlite"), "-o",
         str(tmp_path / "out"), "--draft"],
        capture_output=True, text=True, env={**__import__("os").environ, "LETTERS_HOME": str(project)},
    )  # fmt: skip
    assert result.returncode != 0 and "no es translation for template text 'Sincerely,'" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()  # stopped before anything was planned or written
