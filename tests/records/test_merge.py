"""Reconciliation: every row of both files ends in exactly one outcome, for a stated reason."""

from __future__ import annotations

import csv
import tempfile
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from letters.campaign import LoadedCampaign
from letters.records import Reconciliation, reconcile
from letters.sample import OWNER_HEADER, VEHICLE_HEADER, generate
from letters.vin import with_check_digit
from tests.conftest import write_csv

AS_OF = date(2024, 1, 31)
V = with_check_digit("JTJGKCEZ0PJ100001")  # NX built in Japan, model year 2023
V2 = with_check_digit("JTJGKCEZ0PJ100002")
V3 = with_check_digit("JTJGKCEZ0PJ100003")
V24 = with_check_digit("JTJGKCEZ0RJ100004")  # model year 2024


def vehicle(
    vin: str = V, built: str = "2023-03-15", model: str = "NX", year: str = "2023", loc: str = "Japan"
) -> list[str]:
    return [vin, model, year, built, loc]


def owner(
    vin: str = V,
    name: str = "Ana O'Neil",
    street: str = "12 Elm St",
    city: str = "Austin",
    state: str = "TX",
    zip_code: str = "73301",
    lessor: str = "",
    urb: str = "",
) -> list[str]:
    return [vin, name, "", urb, street, "", city, state, zip_code, "US", "", "", lessor]


def run(tmp_path: Path, campaign: LoadedCampaign, vehicles: list[list[str]], owners: list[list[str]]) -> Reconciliation:
    vpath = write_csv(tmp_path / "vehicles.csv", VEHICLE_HEADER, vehicles)
    opath = write_csv(tmp_path / "owners.csv", OWNER_HEADER, owners)
    return reconcile(campaign.campaign, vpath, opath, AS_OF)


def assert_accounted(rec: Reconciliation, vehicle_rows: int, owner_rows: int) -> None:
    """Each row's (file, line) appears exactly once among letters and reported records."""
    assert rec.records_read == vehicle_rows + owner_rows
    assert sum(rec.outcomes.values()) == rec.records_read
    seen = Counter()
    for piece in rec.pieces:
        seen[(piece.vehicle.source.file, piece.vehicle.source.line)] += 1
        for src in piece.owner_sources:
            seen[(src.file, src.line)] += 1
    for r in rec.reported:
        seen[(r.source.file, r.source.line)] += 1
    assert len(seen) == rec.records_read
    assert set(seen.values()) == {1}


def test_clean_pair_becomes_one_letter(tmp_path: Path, loaded: LoadedCampaign) -> None:
    rec = run(tmp_path, loaded, [vehicle()], [owner()])
    assert rec.outcomes == Counter({"mailable_phase_4": 1, "addressee": 1})
    assert rec.pieces[0].owner.names == ("Ana O'Neil",)
    assert_accounted(rec, 1, 1)


@pytest.mark.parametrize(
    ("vehicles", "owners", "expected"),
    [
        ([vehicle()], [], {"no_owner": 1}),
        ([], [owner()], {"owner_without_vehicle": 1}),
        ([vehicle(), vehicle()], [owner()], {"mailable_phase_4": 1, "duplicate_vehicle": 1, "addressee": 1}),
        ([vehicle(), vehicle(built="2023-03-16")], [owner()], {"conflicting_vehicle": 2, "owner_not_mailed": 1}),
        ([vehicle()], [owner(), owner()], {"mailable_phase_4": 1, "addressee": 1, "duplicate_owner": 1}),
        ([vehicle()], [owner(), owner(name="Bo Li")], {"mailable_phase_4": 1, "addressee": 1, "co_owner": 1}),
        (
            [vehicle()],
            [owner(), owner(name="Bo Li", street="9 Oak Rd")],
            {"mailable_phase_4": 1, "addressee": 1, "other_owner": 1},
        ),
        ([vehicle(), vehicle(V2)], [owner(), owner(V2)], {"mailable_phase_4": 2, "addressee": 2}),
        ([vehicle(built="2021-01-01")], [owner()], {"not_covered": 1, "owner_not_mailed": 1}),
        ([vehicle(built="2024-02-01", year="2024", vin=V24)], [owner(V24)], {"pending_phase_7": 1, "addressee": 1}),
        ([vehicle(V3[:-1] + "4")], [owner(V3)], {"rejected_vehicle": 1, "owner_without_vehicle": 1}),
        ([vehicle(V3, year="2020")], [owner(V3)], {"rejected_vehicle": 1, "owner_not_mailed": 1}),
        ([vehicle()], [owner(zip_code="7330")], {"no_owner": 1, "rejected_owner": 1}),
    ],
    ids=[
        "vehicle-without-owner",
        "owner-without-vehicle",
        "identical-duplicate-vehicle",
        "conflicting-vehicles",
        "identical-duplicate-owner",
        "co-owner-same-address",
        "second-owner-elsewhere",
        "one-owner-two-vins",
        "not-covered",
        "pending-phase",
        "vin-typo",
        "rejected-vehicle",
        "rejected-owner",
    ],
)
def test_merge_rules(
    tmp_path: Path, loaded: LoadedCampaign, vehicles: list[list[str]], owners: list[list[str]], expected: dict[str, int]
) -> None:
    rec = run(tmp_path, loaded, vehicles, owners)
    assert dict(rec.outcomes) == expected
    assert_accounted(rec, len(vehicles), len(owners))


def test_lessee_preferred_over_lessor(tmp_path: Path, loaded: LoadedCampaign) -> None:
    rec = run(tmp_path, loaded, [vehicle()], [owner(name="Lease Corp", lessor="Y", street="1 Bank Plz"), owner()])
    assert rec.pieces[0].owner.names == ("Ana O'Neil",)
    assert rec.outcomes["other_owner"] == 1


def test_lessor_alone_gets_the_letter(tmp_path: Path, loaded: LoadedCampaign) -> None:
    rec = run(tmp_path, loaded, [vehicle()], [owner(name="Lease Corp", lessor="yes")])
    assert rec.pieces[0].owner.lessor and rec.pieces[0].owner.names == ("Lease Corp",)


def test_puerto_rico_flagged_and_urbanization_kept(tmp_path: Path, loaded: LoadedCampaign) -> None:
    rec = run(
        tmp_path, loaded, [vehicle()], [owner(state="PR", zip_code="00907", city="San Juan", urb="URB EL VEDADO")]
    )
    piece = rec.pieces[0]
    assert piece.owner.puerto_rico
    assert piece.owner.envelope_lines() == ("ANA ONEIL", "URB EL VEDADO", "12 ELM ST", "SAN JUAN PR 00907")


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (owner(street=""), "address1: empty"),
        (owner(city=""), "city: empty"),
        (owner(state="XX"), "state: 'XX' is not a USPS state"),
        (owner(zip_code="7330"), "zip: '7330' is not a ZIP or ZIP+4 (leading zero lost?)"),
        (owner(zip_code="ABCDE"), "zip: 'ABCDE'"),
        (owner(state="PR", zip_code="73301"), "not a Puerto Rico ZIP"),
        (owner(name=""), "name: empty"),
        (owner(name="李小龍"), "name: '李小龍' has characters a letter cannot print (U+674E, U+5C0F, U+9F8D"),
        (owner(city="\uff34okyo"), "has characters a letter cannot print (U+FF34"),
        # 62 characters: the window would clip it, so the record is refused rather than misprinted.
        (
            owner(name="Pacific Northwest Automotive Leasing and Fleet Services Corp."),
            "name: 'PACIFIC NORTHWEST AUTOMOTIVE LEASING AND FLEET SERVICES CORP' prints 4.52 in wide",
        ),
        # Too wide even with Pub 28 abbreviations (a long street shortened to fit is kept).
        (owner(street="12345 Wolfeschlegelsteinhausenbergerdorff Kaleidoscope Way"), "(address_too_long"),
        (
            owner(city="San Buenaventura de los Caballeros del Norte"),
            "city: 'SAN BUENAVENTURA DE LOS CABALLEROS DEL NORTE TX 73301' prints",
        ),
    ],
)
def test_address_problems_name_field_and_value(
    tmp_path: Path, loaded: LoadedCampaign, row: list[str], reason: str
) -> None:
    rec = run(tmp_path, loaded, [vehicle()], [row])
    rejected = [r for r in rec.reported if r.outcome == "rejected_owner"]
    assert len(rejected) == 1 and reason in rejected[0].reason
    assert rejected[0].source.line == 2 and rejected[0].source.file.endswith("owners.csv")


def test_zip_plus_four_normalised(tmp_path: Path, loaded: LoadedCampaign) -> None:
    rec = run(tmp_path, loaded, [vehicle()], [owner(zip_code="733011234")])
    assert rec.pieces[0].owner.zip == "73301-1234"


def test_generated_data_with_errors_reconciles_exactly(tmp_path: Path, loaded: LoadedCampaign) -> None:
    files = generate(loaded.campaign, tmp_path, 2000, seed=5, with_errors=True)
    rec = reconcile(loaded.campaign, files.vehicles, files.owners, AS_OF)
    assert_accounted(rec, files.vehicle_rows, files.owner_rows)
    assert rec.outcomes["duplicate_vehicle"] >= files.defects["duplicate_vehicle"] - 1
    assert rec.outcomes["conflicting_vehicle"] >= files.defects["conflicting_vehicle"]
    assert rec.outcomes["rejected_vehicle"] >= files.defects["bad_check_digit"]


_VEHICLE_DEFECTS = st.sampled_from(["keep", "keep", "drop", "dup", "conflict", "bad_vin", "bad_date", "old"])
_OWNER_DEFECTS = st.sampled_from(["keep", "keep", "drop", "dup", "co", "other", "bad_zip", "orphan"])


@pytest.fixture(scope="module")
def base_rows(
    loaded: LoadedCampaign, tmp_path_factory: pytest.TempPathFactory
) -> tuple[list[list[str]], list[list[str]]]:
    files = generate(loaded.campaign, tmp_path_factory.mktemp("base"), 25, seed=11)
    read = lambda p: list(csv.reader(p.open(encoding="utf-8")))[1:]  # noqa: E731
    return read(files.vehicles), read(files.owners)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_no_record_lost_or_counted_twice(
    loaded: LoadedCampaign, base_rows: tuple[list[list[str]], list[list[str]]], data: st.DataObject
) -> None:
    base_vehicles, base_owners = base_rows
    vehicles: list[list[str]] = []
    for row in base_vehicles:
        action = data.draw(_VEHICLE_DEFECTS)
        if action == "drop":
            continue
        row = list(row)
        if action == "bad_vin":
            row[0] = row[0][:8] + ("0" if row[0][8] != "0" else "1") + row[0][9:]
        elif action == "bad_date":
            row[3] = "not a date"
        elif action == "old":
            row[3] = "2020-01-01"
        vehicles.append(row)
        if action == "dup":
            vehicles.append(list(row))
        elif action == "conflict":
            vehicles.append([*row[:3], "2023-01-02" if row[3] != "2023-01-02" else "2023-01-03", row[4]])
    owners: list[list[str]] = []
    for row in base_owners:
        action = data.draw(_OWNER_DEFECTS)
        if action == "drop":
            continue
        row = list(row)
        if action == "bad_zip":
            row[8] = "1"
        elif action == "orphan":
            row[0] = V
        owners.append(row)
        if action == "dup":
            owners.append(list(row))
        elif action == "co":
            owners.append([row[0], "Second Person", *row[2:]])
        elif action == "other":
            owners.append(
                [row[0], "Other Person", "", "", "1 Elsewhere Ave", "", "Reno", "NV", "89501", "US", "", "", ""]
            )
    order = data.draw(st.permutations(range(len(owners))))
    owners = [owners[i] for i in order]
    with tempfile.TemporaryDirectory() as tmp:
        rec = run(Path(tmp), loaded, vehicles, owners)
        assert_accounted(rec, len(vehicles), len(owners))
        assert len(rec.pieces) == sum(v for k, v in rec.outcomes.items() if k.startswith(("mailable", "pending")))
        assert len({p.vehicle.vin for p in rec.pieces}) == len(rec.pieces)


def test_decomposed_accents_are_composed_not_rejected(tmp_path: Path, loaded: LoadedCampaign) -> None:
    rec = run(tmp_path, loaded, [vehicle()], [owner(name="Zoe\u0301 Nu\u0301n\u0303ez", city="Mayagu\u0308ez")])
    (piece,) = rec.pieces
    assert piece.owner.names == ("Zo\u00e9 N\u00fa\u00f1ez",) and piece.owner.city == "Mayag\u00fcez"


def test_long_street_abbreviated_by_pub28_is_kept(tmp_path: Path, loaded: LoadedCampaign) -> None:
    street = "12345 North Martin Luther King Junior Memorial Boulevard"  # 4.0 in as written, fits abbreviated
    rec = run(tmp_path, loaded, [vehicle()], [owner(street=street)])
    assert rec.pieces[0].owner.envelope_lines()[1] == "12345 N MARTIN LUTHER KING JUNIOR MEMORIAL BLVD"


def test_longest_line_that_fits_is_kept(tmp_path: Path, loaded: LoadedCampaign) -> None:
    from letters.address import WINDOW_WIDTH_IN, width_in

    street = "1234 South Westmoreland Boulevard Apt 12"  # about 3.3 in: fits
    assert width_in(street.upper()) < WINDOW_WIDTH_IN
    rec = run(tmp_path, loaded, [vehicle()], [owner(street=street)])
    assert rec.pieces[0].owner.address == ("", street, "")


def test_large_list_merged_from_disk_like_in_memory(tmp_path: Path, loaded: LoadedCampaign,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    files = generate(loaded.campaign, tmp_path, 400, seed=3, with_errors=True)
    whole = reconcile(loaded.campaign, files.vehicles, files.owners, date(2024, 1, 31))
    monkeypatch.setattr("letters.records.spill.BUCKET_BYTES", 8192)
    split = reconcile(loaded.campaign, files.vehicles, files.owners, date(2024, 1, 31))
    assert whole.workdir is None and split.workdir is not None
    folder = Path(split.workdir.name)
    kept = sorted(p.name for p in folder.iterdir())  # the buckets' rows deleted once merged, their letters kept
    assert len(kept) > 1 and all(name.startswith("letters-") and name.endswith(".arrow") for name in kept)
    assert split.pieces == whole.pieces and split.reported == whole.reported
    assert split.outcomes == whole.outcomes and split.letter_count == whole.letter_count == len(whole.pieces)
    del split
    assert not folder.exists()  # the working files go with their reconciliation


def test_no_room_for_working_files_is_an_error_naming_tmpdir(tmp_path: Path, loaded: LoadedCampaign,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    from letters.errors import OutputError

    files = generate(loaded.campaign, tmp_path, 200, seed=3)
    monkeypatch.setattr("letters.records.spill.BUCKET_BYTES", 8192)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "missing"))
    with pytest.raises(OutputError, match=r"missing.*set TMPDIR to a folder with room"):
        reconcile(loaded.campaign, files.vehicles, files.owners, date(2024, 1, 31))
