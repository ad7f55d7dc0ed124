"""Letter stages of a safety recall: interim, remedy and follow-up notices, repairs, required content, envelopes."""

from __future__ import annotations

import csv
import json
import re
import sqlite3
from collections import Counter
from datetime import date
from pathlib import Path

import pdfplumber
import pikepdf
import pytest
from click.testing import CliRunner

from letters.campaign import load_campaign
from letters.cli import cli
from letters.envelope import LABEL, WINDOWS_IN
from letters.errors import UsageError, ValidationError
from letters.kinds import ContentError, rules_of
from letters.ledger import Ledger
from letters.mail import MailOptions, mail, remail, status
from letters.press.finish import SPOT_RED, SPOT_RED_CMYK, proof_ops
from letters.sample import generate
from tests.conftest import approve_as_is, edit

INTERIM, REMEDY_1, REMEDY_2, FOLLOW = date(2024, 3, 1), date(2024, 3, 20), date(2024, 5, 21), date(2024, 6, 20)
"""24A07: before Phase 1's pumps (2024-03-18); after; after Phase 2's (2024-05-20); 92 days after REMEDY_1."""


@pytest.fixture(scope="module")
def recall_records(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("recall")
    files = generate(load_campaign("24A07", as_of=REMEDY_1).campaign, folder, 120, seed=11)
    return files.vehicles, files.owners


def opts(
    tmp: Path, records: tuple[Path, Path], as_of: date, phases: tuple[int, ...] = (1,), **kw: object
) -> MailOptions:
    # A proof: the shipped safety-recall kind has placeholder label logos, so a real mailing is refused.
    base: dict[str, object] = dict(
        phases=phases, vehicles=records[0], owners=records[1], as_of=as_of, batch_size=25, workers=1,
        ledger=tmp / "ledger.sqlite", out_dir=tmp / "out", proof=True,
    )  # fmt: skip
    base.update(kw)
    return MailOptions(**base)  # type: ignore[arg-type]


def pieces(ledger: Path) -> list[tuple[str, str, int]]:
    with sqlite3.connect(ledger) as db:
        return list(db.execute("SELECT stage, vin, phase FROM pieces WHERE remail = ''"))


def test_interim_then_remedy_then_follow_up_one_piece_per_stage_and_vin(
    recall_records: tuple[Path, Path], tmp_path: Path
) -> None:
    first = mail("24A07", opts(tmp_path, recall_records, INTERIM))  # no --stage: the phase's stage that day
    (run,) = first.runs
    assert run.job["stage"] == "interim" and run.run.run_id.endswith(run.run.run_id[-4:])
    interim_vins = {v for s, v, _ in pieces(tmp_path / "ledger.sqlite") if s == "interim"}
    assert interim_vins and len(interim_vins) == run.job["letters"]
    assert mail("24A07", opts(tmp_path, recall_records, INTERIM)).runs == []  # re-running mails nothing new

    remedy = mail("24A07", opts(tmp_path, recall_records, REMEDY_1))
    assert [r.job["stage"] for r in remedy.runs] == ["remedy"]
    remedy_vins = {v for s, v, _ in pieces(tmp_path / "ledger.sqlite") if s == "remedy"}
    assert remedy_vins == interim_vins  # the remedy notice goes to the VINs that had the interim one

    too_soon = mail("24A07", opts(tmp_path, recall_records, date(2024, 6, 1), stage="follow-up"))
    assert too_soon.runs == [] and "0 eligible" in too_soon.notes[0]
    follow = mail("24A07", opts(tmp_path, recall_records, FOLLOW, stage="follow-up"))
    assert [r.job["stage"] for r in follow.runs] == ["follow-up"]

    counts = Counter((s, v) for s, v, _ in pieces(tmp_path / "ledger.sqlite"))
    assert set(counts.values()) == {1}
    assert Counter(s for s, _ in counts) == {"interim": len(interim_vins), "remedy": len(interim_vins),
                                             "follow-up": len(interim_vins)}  # fmt: skip
    ids = [row[0] for row in sqlite3.connect(tmp_path / "ledger.sqlite").execute("SELECT piece_id FROM pieces")]
    assert len(ids) == len(set(ids))  # batch numbers run on across a phase's stages
    manifest = list(csv.DictReader((follow.runs[0].folder / "manifest.csv").open()))
    assert {row["stage"] for row in manifest} == {"follow-up"}
    job = json.loads((follow.runs[0].folder / "job.json").read_text())
    assert job["stage"] == "follow-up" and "stage" in job["manifest_columns"]
    # The vendor's example payload is one of this run's own pieces, not another campaign's.
    first = manifest[0]
    assert job["marks"]["datamatrix"]["payload_example"] == f"{first['piece_id']}|1/2|{int(first['batch']):04d}"
    assert job["marks"]["datamatrix"]["payload_example"].startswith("24A07-")


def test_repaired_vins_get_no_remedy_or_follow_up(recall_records: tuple[Path, Path], tmp_path: Path) -> None:
    mail("24A07", opts(tmp_path, recall_records, REMEDY_1))
    mailed = sorted({v for s, v, _ in pieces(tmp_path / "ledger.sqlite") if s == "remedy"})
    completed = tmp_path / "completed.csv"
    completed.write_text("VIN,Repair Date\n" + "".join(f"{v},2024-04-0{i % 9 + 1}\n" for i, v in enumerate(mailed[:7])))
    result = mail("24A07", opts(tmp_path, recall_records, FOLLOW, stage="follow-up", completed=completed))
    (run,) = result.runs
    assert run.job["outcomes"]["repaired"] == 7
    followed = {v for s, v, _ in pieces(tmp_path / "ledger.sqlite") if s == "follow-up"}
    assert followed == set(mailed[7:])
    rejects = (run.folder / "rejects.csv").read_text()
    assert rejects.count(",repaired,remedy completed 2024-04-0") == 7
    rows = status("24A07", tmp_path / "ledger.sqlite", *recall_records, FOLLOW, completed)
    follow_row = next(r for r in rows if r["phase"] == 1 and r["stage"] == "follow-up")
    assert follow_row["mailed"] == len(mailed) - 7 and follow_row["pending"] == 0


def test_bad_completed_file_lists_every_problem(recall_records: tuple[Path, Path], tmp_path: Path) -> None:
    completed = tmp_path / "completed.csv"
    completed.write_text("VIN,Repair Date\nNOTAVIN,2024-04-01\n5AUMS4B23PV201702,someday\n")
    with pytest.raises(ValidationError) as err:
        mail("24A07", opts(tmp_path, recall_records, REMEDY_1, completed=completed))
    assert f"{completed}, line 2: vin:" in err.value.message
    assert f"{completed}, line 3: date: 'someday' is not a date" in err.value.message
    assert not (tmp_path / "ledger.sqlite").exists() or pieces(tmp_path / "ledger.sqlite") == []


@pytest.mark.parametrize(
    ("stage", "as_of", "said"),
    [
        ("interim", REMEDY_1, "the interim stage is for phases whose remedy is not yet available"),
        ("remedy", INTERIM, "so its remedy letters cannot be mailed yet"),
        ("recall", REMEDY_1, "has no stage 'recall'; stages: interim, remedy, follow-up"),
    ],
)
def test_wrong_stage_is_refused(recall_records: tuple[Path, Path], tmp_path: Path, stage: str, as_of: date,
                                said: str) -> None:  # fmt: skip
    with pytest.raises(UsageError, match=said):
        mail("24A07", opts(tmp_path, recall_records, as_of, stage=stage))


def test_campaign_without_interim_refuses_an_unavailable_phase(records: tuple[Path, Path], tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"phase 7's remedy is not available .* nothing can be mailed yet"):
        mail("23LJ01", opts(tmp_path, records, date(2024, 2, 5), phases=(7,)))


REQUIRED = [r.item for r in rules_of("safety-recall").require]


@pytest.mark.parametrize("item", REQUIRED)
def test_letter_missing_a_required_item_is_refused(project: Path, recall_records: tuple[Path, Path],
                                                   tmp_path: Path, item: str) -> None:  # fmt: skip
    def unmark(match: re.Match[str]) -> str:
        return f'data-require="{" ".join(t for t in match[1].split() if t != item)}"'

    # Unmark the item wherever it is marked (alone, or beside another item in one block), in the
    # letter and in the shared parts it includes.
    for template in (project / "templates" / "24A07" / "owner-letter.html",
                     project / "templates" / "_shared" / "letter-parts.html"):  # fmt: skip
        text = template.read_text(encoding="utf-8")
        template.write_text(re.sub(r'data-require="([^"]*)"', unmark, text), encoding="utf-8")
    stage = "interim" if item == "when" else "remedy"
    as_of = INTERIM if stage == "interim" else REMEDY_1
    runner = CliRunner()
    args = ["mail", "24A07", "--phase", "1", "--as-of", as_of.isoformat(), "--vehicles", str(recall_records[0]),
            "--owners", str(recall_records[1]), "--workers", "1", "--proof", "--draft"]  # fmt: skip
    result = runner.invoke(cli, args)
    assert result.exit_code == 1, result.output
    assert f"lacks required content:\n  - {item} (49 CFR" in result.stderr or f"  - {item} (" in result.stderr
    assert not (project / "output" / "ledger.sqlite").exists() or pieces(project / "output" / "ledger.sqlite") == []
    # The preview speaks as of the mailing's date: an interim letter has no estimate to print once the remedy is out.
    result = runner.invoke(cli, ["render", "24A07", "owner-letter", "--stage", stage, "--as-of", as_of.isoformat(),
                                 "-o", str(tmp_path / "l.pdf")])  # fmt: skip
    assert result.exit_code == 1 and f"  - {item} (" in result.stderr


def test_every_item_is_in_the_bundled_letter_for_every_stage(tmp_path: Path) -> None:
    # Each stage as of a date it applies on (an interim letter prints the estimate, absent once the remedy is out).
    for stage, when in (("interim", INTERIM), ("remedy", REMEDY_1), ("follow-up", FOLLOW)):
        result = CliRunner().invoke(cli, ["render", "24A07", "owner-letter", "--stage", stage, "--as-of",
                                          when.isoformat(), "-o", str(tmp_path / f"{stage}.pdf")])  # fmt: skip
        assert result.exit_code == 0, result.output


def _colour(value: object) -> tuple[float, ...]:
    """A pdfplumber colour as a tuple (it gives one component as a bare number)."""
    return tuple(value) if isinstance(value, list | tuple) else (float(value),)  # type: ignore[arg-type]


def test_envelope_label_size_colours_text_and_place(recall_records: tuple[Path, Path], tmp_path: Path) -> None:
    (run,) = mail("24A07", opts(tmp_path, recall_records, REMEDY_1)).runs
    assert run.job["envelopes"]["en"] == "envelope-en.pdf"
    languages = run.job["languages"]
    assert ("es" in run.job["envelopes"]) == any("es" in code for code in languages)
    for lang, heading, line in (("en", "IMPORTANT SAFETY RECALL INFORMATION", "Issued in Accordance With Federal Law"),
                                ("es", "INFORMACIÓN IMPORTANTE", "Emitida de acuerdo con la ley federal")):  # fmt: skip
        if lang not in run.job["envelopes"]:
            continue
        with pdfplumber.open(run.folder / run.job["envelopes"][lang]) as pdf:
            (page,) = pdf.pages
            assert (round(float(page.width)), round(float(page.height))) == (684, 297)
            text = page.extract_text()
            assert heading in text and line in text
            label = next(r for r in page.rects if abs(r["width"] - 216) < 1 and abs(r["height"] - 72) < 1)
            band = max((r for r in page.rects if r["non_stroking_color"] and r["top"] >= label["top"] - 1
                        and r["width"] > 200 and r["height"] < 40), key=lambda r: r["width"])  # fmt: skip
            assert _colour(band["non_stroking_color"]) == (1,)  # full tint of the spot colour
            heading_chars = [c for c in page.chars if band["top"] <= c["top"] <= band["bottom"]]
            assert heading_chars and all(c["size"] >= 10 for c in heading_chars)
            assert {_colour(c["non_stroking_color"]) for c in heading_chars} == {(1,)}  # white: gray 1
            line_chars = [c for c in page.chars if c["top"] > band["bottom"] and c["size"] >= 9.9 and c["text"].strip()]
            assert line_chars and {_colour(c["non_stroking_color"]) for c in line_chars} == {(0,)}  # black: K only
            # Clear of both windows (inches -> points).
            for left, top, width, height in WINDOWS_IN.values():
                assert label["x0"] >= (left + width) * 72 or label["top"] >= (top + height) * 72
            assert (label["x0"], label["top"]) == pytest.approx((LABEL.left * 72, LABEL.top * 72), abs=1)
            assert "PLACEHOLDER" in text  # no logo files configured: marked placeholders
        # Colour-managed: the red is a named spot colour with a CMYK alternate; no RGB; K-only black.
        with pikepdf.open(run.folder / run.job["envelopes"][lang]) as doc:
            page_obj = doc.pages[0].obj
            spot = page_obj.Resources.ColorSpace[f"/{SPOT_RED}"]
            assert [str(spot[0]), str(spot[1]), str(spot[2])] == ["/Separation", f"/{SPOT_RED}", "/DeviceCMYK"]
            assert [float(v) for v in spot[3].C1] == list(SPOT_RED_CMYK)
            content = page_obj.Contents.read_bytes()
            ops = {str(op) for _, op in pikepdf.parse_content_stream(page_obj)}
            assert not ops & {"rg", "RG"} and {"cs", "scn"} <= ops
            assert proof_ops(684, 297) in content  # a proof run: PROOF stamped across the envelope
            assert doc.Root.OutputIntents[0].DestOutputProfile.read_bytes()[16:20] == b"CMYK"
    assert run.job["proof"] is True
    batch = run.folder / run.job["files"][0]["name"]
    with pikepdf.open(batch) as doc:  # and on every page of the letters
        assert all(proof_ops(612, 792) in p.obj.Contents.read_bytes() for p in doc.pages)


def test_real_mailing_refused_while_label_logos_are_placeholders(recall_records: tuple[Path, Path],
                                                                tmp_path: Path) -> None:  # fmt: skip
    args = ["mail", "24A07", "--phase", "1", "--as-of", REMEDY_1.isoformat(), "--vehicles", str(recall_records[0]),
            "--owners", str(recall_records[1]), "--workers", "1", "--ledger", str(tmp_path / "l.sqlite"),
            "-o", str(tmp_path / "out"), "--quiet"]  # fmt: skip
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1, result.output
    assert "error: " in result.stderr and "safety-recall.toml" in result.stderr
    assert "logos.dot" in result.stderr and "logos.nhtsa" in result.stderr and "--proof" in result.stderr
    assert "Traceback" not in result.output + result.stderr
    assert pieces(tmp_path / "l.sqlite") == []  # nothing reserved
    result = CliRunner().invoke(cli, [*args, "--proof", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["runs"][0]["proof"] is True


def test_real_mailing_with_logo_artwork_prints_no_placeholder_and_no_proof(
    project: Path, recall_records: tuple[Path, Path], tmp_path: Path
) -> None:
    import shutil

    shutil.copytree(
        Path(__file__).resolve().parent.parent / "locales", project / "locales", dirs_exist_ok=True
    )  # Puerto Rico letters
    shared = project / "templates" / "_shared"
    for key in ("dot", "nhtsa"):  # stand-in artwork: black on white, as the label prints the logos
        (shared / f"{key}-logo.svg").write_text(
            '<svg xmlns="http://www.w3.org/2000/svg" width="62" height="30"><rect x="5" y="5" width="52" height="20" '
            'fill="#000"/></svg>', encoding="utf-8")  # fmt: skip
    kind = project / "templates" / "_kinds" / "safety-recall.toml"
    text = kind.read_text(encoding="utf-8")
    kind.write_text(text.replace('dot = ""', 'dot = "dot-logo.svg"').replace('nhtsa = ""', 'nhtsa = "nhtsa-logo.svg"'),
                    encoding="utf-8")  # fmt: skip
    approve_as_is("24A07")  # the logos are part of what is approved
    (run,) = mail("24A07", opts(tmp_path, recall_records, REMEDY_1, proof=False)).runs
    assert run.job["proof"] is False and run.job["draft"] is False
    with pdfplumber.open(run.folder / run.job["envelopes"]["en"]) as pdf:
        assert "PLACEHOLDER" not in pdf.pages[0].extract_text()
    with pikepdf.open(run.folder / run.job["envelopes"]["en"]) as doc:
        assert proof_ops(684, 297) not in doc.pages[0].obj.Contents.read_bytes()
        assert not {str(op) for _, op in pikepdf.parse_content_stream(doc.pages[0].obj)} & {"rg", "RG"}


def test_customer_program_gets_no_envelope(records: tuple[Path, Path], tmp_path: Path) -> None:
    (run,) = mail("23LJ01", opts(tmp_path, records, date(2024, 2, 5))).runs
    assert run.job["envelopes"] == {} and not list(run.folder.glob("envelope-*.pdf"))


def test_an_old_ledger_opens_and_its_pieces_are_the_single_stage(records: tuple[Path, Path], tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.sqlite"
    mail("23LJ01", opts(tmp_path, records, date(2024, 2, 5)))
    with sqlite3.connect(ledger) as db:  # make it look like a ledger from before stages
        db.execute("DROP INDEX IF EXISTS pieces_stage")
        for table in ("pieces", "runs"):
            db.execute(f"ALTER TABLE {table} DROP COLUMN stage")
        db.execute("ALTER TABLE pieces DROP COLUMN fields")
    Ledger(ledger).close()
    assert {s for s, _, _ in pieces(ledger)} == {"remedy"}
    again = mail("23LJ01", opts(tmp_path, records, date(2024, 2, 5)))
    assert again.runs == [] and "nothing new to mail" in again.notes[0]


def test_status_reports_phase_and_stage(recall_records: tuple[Path, Path], tmp_path: Path) -> None:
    mail("24A07", opts(tmp_path, recall_records, INTERIM))
    result = CliRunner().invoke(cli, ["status", "24A07", "--ledger", str(tmp_path / "ledger.sqlite"), "--vehicles",
                                      str(recall_records[0]), "--owners", str(recall_records[1]), "--as-of",
                                      INTERIM.isoformat(), "--json"])  # fmt: skip
    rows = json.loads(result.stdout)
    assert [(r["phase"], r["stage"]) for r in rows] == [(p, s) for p in (1, 2) for s in ("interim", "remedy",
                                                                                          "follow-up")]  # fmt: skip
    interim = next(r for r in rows if (r["phase"], r["stage"]) == (1, "interim"))
    assert interim["mailed"] == interim["eligible"] > 0 and interim["pending"] == 0 and not interim["available"]
    # The plain table heads the column for the phase, so "yes" on an interim row is not read as the notice's.
    result = CliRunner().invoke(cli, ["status", "24A07", "--ledger", str(tmp_path / "ledger.sqlite"), "--vehicles",
                                      str(recall_records[0]), "--owners", str(recall_records[1]), "--as-of",
                                      REMEDY_1.isoformat()])  # fmt: skip
    header, *lines = result.stdout.splitlines()[1:]
    assert header.split() == ["phase", "stage", "phase_available", "eligible", "mailed", "in_progress", "pending",
                              "remailed"]  # fmt: skip
    assert [line.split()[:3] for line in lines][:3] == [["1", s, "yes"] for s in ("interim", "remedy", "follow-up")]


def test_letter_context_and_vehicle_field(recall_records: tuple[Path, Path], tmp_path: Path) -> None:
    (run,) = mail("24A07", opts(tmp_path, recall_records, REMEDY_1)).runs
    vehicles = {row["VIN"]: row for row in csv.DictReader(recall_records[0].open(encoding="utf-8"))}
    row = next(r for r in csv.DictReader((run.folder / "manifest.csv").open()) if r["language"] == "en")
    with pdfplumber.open(run.folder / row["file"]) as pdf:
        text = pdf.pages[int(row["first_page"]) - 1].extract_text()
    vehicle = vehicles[row["vin"]]
    assert f"Your vehicle: {vehicle['Model Year']} {vehicle['Model'].upper()}" in text
    assert run.job["fallbacks"] == {}  # stamped by the fast renderer, verified against full renders


def test_required_content_error_names_stage_and_rule() -> None:
    with pytest.raises(ContentError, match="interim letter of this safety-recall lacks"):
        from letters.kinds import check_letter

        check_letter("safety-recall", "interim", {}, "x.html")


def test_colour_raster_logo_is_refused(project: Path) -> None:
    from PIL import Image

    from letters.envelope import PlaceholderLogos, require_logos

    shared = project / "templates" / "_shared"
    Image.new("RGB", (62, 30), (0, 0, 200)).save(shared / "dot.png")
    Image.new("L", (62, 30), 0).save(shared / "nhtsa.png")
    kind = project / "templates" / "_kinds" / "safety-recall.toml"
    text = kind.read_text(encoding="utf-8")
    kind.write_text(text.replace('dot = ""', 'dot = "dot.png"').replace('nhtsa = ""', 'nhtsa = "nhtsa.png"'),
                    encoding="utf-8")  # fmt: skip
    with pytest.raises(PlaceholderLogos, match=r"logos.dot = 'dot.png' is a RGB image"):
        require_logos("safety-recall")
    Image.new("L", (62, 30), 0).save(shared / "dot.png")
    require_logos("safety-recall")  # grayscale artwork for both: a real mailing may go


# Stages only move forward per VIN (#27): the hostile cases, replayed.

STAGE_RANK = {"interim": 0, "remedy": 1, "follow-up": 2}


def letters_by_vin(ledger: Path) -> dict[str, list[tuple[str, str]]]:
    """VIN -> its pieces as (stage, remail reason), in the order they were reserved."""
    out: dict[str, list[tuple[str, str]]] = {}
    with sqlite3.connect(ledger) as db:
        for vin, stage, remail in db.execute("SELECT vin, stage, remail FROM pieces ORDER BY created, piece_id"):
            out.setdefault(vin, []).append((stage, remail))
    return out


def assert_in_order_and_once(ledger: Path) -> None:
    """No VIN had letters of its stages out of order, nor two regular letters (not remails) of one stage."""
    for vin, letters in letters_by_vin(ledger).items():
        ranks = [STAGE_RANK[stage] for stage, _ in letters]
        assert ranks == sorted(ranks), f"{vin} got {letters}"
        regular = Counter(stage for stage, remail in letters if not remail)
        assert set(regular.values()) <= {1}, f"{vin} got {letters}"
        assert Counter(stage for stage, _ in letters)["remedy"] <= 1, f"{vin} got two remedy letters: {letters}"


def vehicle_subset(records: tuple[Path, Path], folder: Path, keep: int) -> tuple[Path, Path]:
    """The first ``keep`` vehicle rows, with every owner row (owners of the others are owner_without_vehicle)."""
    lines = records[0].read_text(encoding="utf-8").splitlines(keepends=True)
    target = folder / "some-vehicles.csv"
    target.write_text("".join(lines[: keep + 1]), encoding="utf-8")
    return target, records[1]


def test_back_dated_interim_after_remedy_needs_a_flag_and_is_superseded(
    recall_records: tuple[Path, Path], tmp_path: Path
) -> None:
    ledger = tmp_path / "ledger.sqlite"
    (remedy,) = mail("24A07", opts(tmp_path, recall_records, REMEDY_1)).runs
    remedy_vins = {v for s, v, _ in pieces(ledger) if s == "remedy"}
    with pytest.raises(UsageError, match=r"--as-of 2024-03-01 is before 24A07's latest mailing in the ledger "
                                         r"\(as of 2024-03-20, run .*pass --backdate"):  # fmt: skip
        mail("24A07", opts(tmp_path, recall_records, INTERIM))
    report = mail("24A07", opts(tmp_path, recall_records, INTERIM, backdate=True))
    assert report.runs == []  # every VIN of the phase already had the remedy letter
    said = "\n".join(report.notes)
    assert "warning: --as-of 2024-03-01 is before 24A07's latest mailing" in said
    assert f"{len(remedy_vins):,} superseded (they already have a letter of a later stage)" in said
    assert {s for s, _, _ in pieces(ledger)} == {"remedy"}
    assert [p.name for p in (tmp_path / "out" / "24A07" / "phase-1").iterdir()] == [remedy.folder.name]
    assert_in_order_and_once(ledger)


def test_superseded_vins_are_counted_and_in_rejects(recall_records: tuple[Path, Path], tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.sqlite"
    mail("24A07", opts(tmp_path, vehicle_subset(recall_records, tmp_path, 60), REMEDY_1))
    had_remedy = {v for s, v, _ in pieces(ledger) if s == "remedy"}
    assert had_remedy
    (run,) = mail("24A07", opts(tmp_path, recall_records, INTERIM, backdate=True)).runs
    assert run.job["stage"] == "interim"
    interim = {v for s, v, _ in pieces(ledger) if s == "interim"}
    assert interim and not interim & had_remedy
    outcomes = run.job["outcomes"]
    assert outcomes["superseded"] == len(had_remedy)
    assert sum(outcomes.values()) == run.job["records_read"]
    assert outcomes["pending_phase_1"] == len(interim)  # the superseded left pending_phase_1
    rows = [
        r for r in csv.DictReader((run.folder / "rejects.csv").open(encoding="utf-8")) if r["outcome"] == "superseded"
    ]
    assert {r["vin"] for r in rows} == had_remedy
    assert all(r["record"] == "vehicle" and r["source_file"] == str(recall_records[0]) for r in rows)
    assert all(re.fullmatch(r"already sent the remedy letter \(piece 24A07-1-\d{4}-\d{6}, as of 2024-03-20\); "
                            r"the interim letter now would contradict it", r["reason"]) for r in rows)  # fmt: skip
    assert_in_order_and_once(ledger)


def test_remail_prints_the_stage_it_replaces_and_a_named_stage_counts_as_mailed(
    recall_records: tuple[Path, Path], tmp_path: Path
) -> None:
    ledger = tmp_path / "ledger.sqlite"
    mail("24A07", opts(tmp_path, recall_records, INTERIM))
    first, second, *_ = sorted({v for s, v, _ in pieces(ledger) if s == "interim"})
    # Remailed as of a date the remedy is available: it reprints the interim notice it replaces.
    (again,) = remail("24A07", [first], "returned mail", opts(tmp_path, recall_records, REMEDY_1)).runs
    assert again.job["stage"] == "interim" and again.job["kind"] == "remail"
    (named,) = remail("24A07", [second], "new address", opts(tmp_path, recall_records, REMEDY_1,
                                                              stage="remedy")).runs  # fmt: skip
    assert named.job["stage"] == "remedy"
    (regular,) = mail("24A07", opts(tmp_path, recall_records, REMEDY_1)).runs
    mailed = {row["vin"] for row in csv.DictReader((regular.folder / "manifest.csv").open())}
    assert first in mailed and second not in mailed  # the remail was the remedy letter of `second`
    assert letters_by_vin(ledger)[second] == [("interim", ""), ("remedy", "new address")]
    assert_in_order_and_once(ledger)
    row = next(
        r for r in status("24A07", ledger, *recall_records, REMEDY_1) if (r["phase"], r["stage"]) == (1, "remedy")
    )
    assert row["mailed"] == row["eligible"] and row["pending"] == 0


def test_remail_of_an_earlier_stage_is_refused(recall_records: tuple[Path, Path], tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.sqlite"
    mail("24A07", opts(tmp_path, recall_records, REMEDY_1))
    vin = sorted(v for s, v, _ in pieces(ledger))[0]
    with pytest.raises(UsageError, match=rf"the interim letter would come after .*: {vin} \(had the remedy letter\)"):
        remail("24A07", [vin], "returned", opts(tmp_path, recall_records, INTERIM, stage="interim", backdate=True))
    assert_in_order_and_once(ledger)


def test_remail_of_an_unknown_stage_is_refused(recall_records: tuple[Path, Path], tmp_path: Path) -> None:
    mail("24A07", opts(tmp_path, recall_records, REMEDY_1))
    vin = sorted(v for s, v, _ in pieces(tmp_path / "ledger.sqlite"))[0]
    with pytest.raises(UsageError, match=r"campaign 24A07 has no stage 'recall'; stages: interim, remedy, follow-up"):
        remail("24A07", [vin], "returned", opts(tmp_path, recall_records, REMEDY_1, stage="recall"))


def test_cli_refuses_a_back_dated_mailing_without_the_flag(recall_records: tuple[Path, Path], tmp_path: Path) -> None:
    base = ["--vehicles", str(recall_records[0]), "--owners", str(recall_records[1]), "--workers", "1",
            "--ledger", str(tmp_path / "ledger.sqlite"), "-o", str(tmp_path / "out"), "--quiet", "--proof"]  # fmt: skip
    runner = CliRunner()
    assert runner.invoke(cli, ["mail", "24A07", "--phase", "1", "--as-of", REMEDY_1.isoformat(), *base]).exit_code == 0
    refused = runner.invoke(cli, ["mail", "24A07", "--phase", "1", "--as-of", INTERIM.isoformat(), *base])
    assert refused.exit_code == 2 and "error: --as-of 2024-03-01 is before" in refused.stderr
    flagged = runner.invoke(cli, ["mail", "24A07", "--phase", "1", "--as-of", INTERIM.isoformat(), "--backdate",
                                  "--json", *base])  # fmt: skip
    assert flagged.exit_code == 0, flagged.output
    data = json.loads(flagged.stdout)
    assert data["runs"] == [] and any("superseded" in n for n in data["notes"])


def test_doubtful_completed_rows_are_warnings(recall_records: tuple[Path, Path], tmp_path: Path) -> None:
    from letters.vin import with_check_digit

    vehicles = list(csv.DictReader(recall_records[0].open(encoding="utf-8")))
    covered = {r["VIN"] for r in csv.DictReader((load_campaign("24A07").folder / "covered-vins.csv").open())}
    listed = [r["VIN"] for r in vehicles if r["VIN"] in covered]
    stranger = with_check_digit("5AUMS4B2XPV999999")  # a valid VIN no vehicle file row has
    assert stranger not in {r["VIN"] for r in vehicles}
    completed = tmp_path / "completed.csv"
    completed.write_text(f"VIN,Repair Date\n{listed[0]},2204-04-05\n{stranger},2024-03-02\n{listed[1]},2024-03-05\n")
    args = ["mail", "24A07", "--phase", "1", "--as-of", REMEDY_1.isoformat(), "--vehicles", str(recall_records[0]),
            "--owners", str(recall_records[1]), "--workers", "1", "--ledger", str(tmp_path / "ledger.sqlite"),
            "-o", str(tmp_path / "out"), "--completed", str(completed), "--quiet", "--proof"]  # fmt: skip
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    future = (f"warning: {completed}, line 2: VIN {listed[0]} repaired 2204-04-05, after the mailing date "
              "2024-03-20: counted as not repaired")  # fmt: skip
    unknown = f"warning: {completed}, line 3: VIN {stranger} is not a covered vehicle of 24A07 in the vehicle records"
    assert future in result.stderr and unknown in result.stderr  # warnings go to stderr
    assert "warning: Mailer ID 123456 is a test Mailer ID" in result.stderr  # the bundled campaigns' test ID
    (folder,) = (tmp_path / "out" / "24A07" / "phase-1").iterdir()
    job = json.loads((folder / "job.json").read_text())
    assert future[len("warning: ") :] in job["warnings"] and job["outcomes"]["repaired"] == 1
    assert any(w.startswith("Mailer ID 123456 is a test Mailer ID") for w in job["warnings"])


def test_manifest_names_each_pieces_envelope_bilingual_ones_included(
    recall_records: tuple[Path, Path], tmp_path: Path
) -> None:
    """``manifest.csv`` `envelope`: an English piece the English label, a Spanish or bilingual (es+en) one the
    Spanish label (49 CFR 577.14, Puerto Rico), and each file named is written in the run folder."""
    vehicles, owners = recall_records
    rows = list(csv.reader(owners.open(encoding="utf-8")))
    header = rows[0]
    state, zip_, lang = header.index("State"), header.index("ZIP"), header.index("Language")
    for n, row in enumerate(rows[1:7]):  # two bilingual (Puerto Rico, no language), two Spanish, two English
        row[state], row[zip_] = ("PR", "00907") if n < 4 else (row[state], row[zip_])
        row[lang] = ["", "", "es", "es", "en", "en"][n]
    written = tmp_path / "owners.csv"
    with written.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    (run,) = mail("24A07", opts(tmp_path, (vehicles, written), REMEDY_1, pr_language="bilingual")).runs
    with (run.folder / "manifest.csv").open(encoding="utf-8") as handle:
        manifest = list(csv.DictReader(handle))
    expected = {"en": "envelope-en.pdf", "es": "envelope-es.pdf", "es+en": "envelope-es.pdf"}
    assert {row["language"] for row in manifest} >= {"en", "es", "es+en"}
    assert all(row["envelope"] == expected[row["language"]] for row in manifest)
    assert all((run.folder / row["envelope"]).is_file() for row in manifest)
    assert set(run.job["envelopes"].values()) == {"envelope-en.pdf", "envelope-es.pdf"}


@pytest.mark.parametrize("refusal", ["placeholder-logos", "missing-content", "template-error", "unknown-stage"])
def test_a_refused_mailing_leaves_no_run_folder_and_reserves_nothing(
    project: Path, recall_records: tuple[Path, Path], tmp_path: Path, serial_registry: Path, refusal: str
) -> None:
    """#27: whatever refuses a plan (the label's logos, a letter lacking required content, a template failing at
    run time, a bad option), nothing is left behind: no run folder, no piece, no serial block held."""
    letter = project / "templates" / "24A07" / "owner-letter.html"
    extra: list[str] = ["--proof"]
    if refusal == "placeholder-logos":
        extra = []
    elif refusal == "missing-content":
        edit(letter, '<p data-require="risk">', "<p>")
    elif refusal == "template-error":
        edit(letter, '<p data-require="defect">{{ reason }}</p>', '<p data-require="defect">{{ [1].index(2) }}</p>')
    else:
        extra += ["--stage", "recall"]
    out, ledger = tmp_path / "out", tmp_path / "ledger.sqlite"
    args = ["mail", "24A07", "--phase", "1", "--as-of", REMEDY_1.isoformat(), "--vehicles", str(recall_records[0]),
            "--owners", str(recall_records[1]), "--workers", "1", "--ledger", str(ledger), "-o", str(out),
            "--quiet", *extra]  # fmt: skip
    result = CliRunner().invoke(cli, args)
    assert result.exit_code in (1, 2), result.output
    assert result.stderr.startswith("error: ") and "Traceback" not in result.output
    assert not out.exists() or not any(out.rglob("*")), sorted(out.rglob("*"))
    assert not ledger.exists() or pieces(ledger) == []
    for registry in serial_registry.glob("*.sqlite"):
        with sqlite3.connect(registry) as db:
            assert list(db.execute("SELECT count, state FROM blocks")) == []  # a block given back is deleted
