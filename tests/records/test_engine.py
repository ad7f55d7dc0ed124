"""The columnar records engine against the row-at-a-time oracle it replaced: same letters, same reports."""

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
from letters.records.table import map_chunks
from letters.sample import OWNER_HEADER, VEHICLE_HEADER, generate
from letters.vin import with_check_digit
from tests.records.oracle import Oracle, reconcile_rows

AS_OF = date(2024, 1, 31)
V = with_check_digit("JTJGKCEZ0PJ100001")


@pytest.fixture(autouse=True, params=["whole", "chunked", "buckets"])
def chunks(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every comparison also with files judged in chunks of a few rows (Arrow blocks of 1 KB), and
    merged a few VINs at a time from disk (a bucket per 2 KB of CSV)."""
    if request.param in ("chunked", "buckets"):
        monkeypatch.setattr("letters.records.table.CHUNK_ROWS", 7)
        monkeypatch.setattr("letters.records.table.BLOCK_BYTES", 1024)
    if request.param == "buckets":
        monkeypatch.setattr("letters.records.spill.BUCKET_BYTES", 2048)


def assert_same(new: Reconciliation, old: Oracle) -> None:
    assert new.records_read == old.records_read
    assert +new.outcomes == +old.outcomes
    assert new.pieces == old.pieces
    key = lambda r: (r.kind != "vehicle", r.source.line)  # noqa: E731
    assert new.reported == sorted(old.reported, key=key)
    assert +new.covered == +old.covered
    assert +new.not_covered_reasons == +old.not_covered_reasons


def both(loaded: LoadedCampaign, vehicles: Path, owners: Path,
         repaired: dict[str, date] | None = None) -> tuple[Reconciliation, Oracle]:  # fmt: skip
    campaign = loaded.campaign
    return reconcile(campaign, vehicles, owners, AS_OF, repaired), reconcile_rows(campaign, vehicles, owners, AS_OF,
                                                                                   repaired or {})  # fmt: skip


def write(path: Path, header: list[str], rows: list[list[str]], **kwargs: object) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, **kwargs).writerows([header, *rows])  # type: ignore[arg-type]
    return path


def test_generated_files_with_every_defect(tmp_path: Path, loaded: LoadedCampaign) -> None:
    files = generate(loaded.campaign, tmp_path, 3000, seed=7, with_errors=True)
    repaired = {}
    with files.vehicles.open(encoding="utf-8") as handle:
        for i, row in enumerate(csv.reader(handle)):
            if i and i % 97 == 0:
                repaired[row[0]] = date(2024, 1, 1) if i % 2 else date(2024, 3, 1)
    new, old = both(loaded, files.vehicles, files.owners, repaired)
    assert_same(new, old)
    assert old.outcomes["repaired"] and old.outcomes["co_owner"] and old.outcomes["conflicting_vehicle"]


HOSTILE_OWNERS = [
    # (column, value): each replaces one field of a clean owner row.
    ("name", "Zoe\u0301 Nu\u0301n\u0303ez"), ("name", "  Ana   Lima "), ("name", "Ana\tLima"), ("name", "李小龍"),
    ("name", "José Ñandú"), ("name", ""), ("name", "Pacific Northwest Automotive Leasing and Fleet Services Corp."),
    ("name", "A" * 40), ("name", "W" * 41), ("name", "\u00a0Ana"), ("name", "Ana\x1f"), ("name", "An\x00a"),
    ("name2", "Bo  Li"),
    ("urbanization", "Urb El Vedado"), ("address1", "12345 North Martin Luther King Junior Memorial Boulevard"),
    ("address1", "1 Main Street"), ("address1", "12345 Wolfeschlegelsteinhausenbergerdorff Kaleidoscope Way"),
    ("address2", "Apartment 4B"), ("address2", "#12"), ("city", "San Buenaventura de los Caballeros del Norte"),
    ("city", "\uff34okyo"), ("state", " tx "), ("state", "XX"), ("state", ""), ("zip", "733011234"),
    ("zip", "7330"), ("zip", "00907"), ("zip", " 73301 "), ("country", "usa"), ("country", "Canada"),
    ("language", "Spanish"), ("language", "fr"), ("lessor", "Yes"), ("lessor", "maybe"), ("email", " a@b.c "),
    ("email", "\u00a0a@b.c"), ("vin", V.lower()), ("vin", f"  {V} "), ("vin", f"\u00a0{V}"), ("vin", V[:-1] + "O"),
    ("vin", V[:8] + "X" + V[9:]), ("vin", "\uff11" + V[1:]),
]  # fmt: skip
HOSTILE_VEHICLES = [
    ("vin", V.lower()), ("vin", f" {V}"), ("model", " nx "), ("model", "Tacoma"), ("model", ""),
    ("model_year", "\uff12\uff10\uff12\uff13"), ("model_year", "²²²²"), ("model_year", "23"), ("model_year", "2024"),
    ("production_date", "3/15/2023"), ("production_date", "2023-02-30"), ("production_date", " 2023-03-15 "),
    ("location", "japan"), ("location", "Mars"),
]  # fmt: skip


def _clean_owner(vin: str) -> dict[str, str]:
    return dict(zip(["vin", "name", "name2", "urbanization", "address1", "address2", "city", "state", "zip",
                     "country", "language", "email", "lessor"],
                    [vin, "Ana Lima", "", "", "12 Elm St", "", "Austin", "TX", "73301", "US", "", "", ""],
                    strict=True))  # fmt: skip


def _hostile_files(tmp_path: Path, **kwargs: object) -> tuple[Path, Path]:
    vehicles, owners = [], []
    keys = ["vin", "model", "model_year", "production_date", "location"]
    for n, (column, value) in enumerate(HOSTILE_OWNERS + HOSTILE_VEHICLES, start=1):
        vin = with_check_digit(f"JTJGKCEZ0PJ1{n:05d}")
        vehicle = dict(zip(keys, [vin, "NX", "2023", "2023-03-15", "Japan"], strict=True))
        owner = _clean_owner(vin)
        (vehicle if (column, value) in HOSTILE_VEHICLES else owner)[column] = value.replace("JTJGKCEZ0PJ100001", vin)
        if column == "vin" and (column, value) in HOSTILE_OWNERS:
            owner["vin"] = value.replace(V, vin).replace(V.lower(), vin.lower()).replace(V[:-1], vin[:-1])
        vehicles.append([vehicle[k] for k in keys])
        owners.append([owner[k] for k in owner])
    # Several owners on one VIN: lessor, duplicate, co-owner, another address.
    shared = vehicles[0][0]
    owners += [[shared, "Lease Corp", "", "", "1 Bank Plz", "", "Austin", "TX", "73301", "US", "", "", "Y"],
               owners[0], [shared, "Bo Li", *owners[0][2:]]]  # fmt: skip
    vehicles += [vehicles[1], [vehicles[2][0], "NX", "2023", "2023-03-16", "Japan"]]
    return (write(tmp_path / "v.csv", VEHICLE_HEADER, vehicles, **kwargs),
            write(tmp_path / "o.csv", OWNER_HEADER, owners, **kwargs))  # fmt: skip


@pytest.mark.parametrize("quoting", [csv.QUOTE_MINIMAL, csv.QUOTE_ALL], ids=["minimal", "all-quoted"])
def test_hostile_values(tmp_path: Path, loaded: LoadedCampaign, quoting: int) -> None:
    vehicles, owners = _hostile_files(tmp_path, quoting=quoting)
    new, old = both(loaded, vehicles, owners)
    assert_same(new, old)
    assert old.outcomes["rejected_owner"] >= 10 and old.outcomes["rejected_vehicle"] >= 5


@pytest.mark.parametrize(
    "mangle",
    [
        lambda text: text.replace("\n", "\r\n"),
        lambda text: "\ufeff" + text,
        lambda text: text.rstrip("\n"),
        lambda text: text + "\n\n",
        lambda text: text.replace("\n", "\n\n", 3),
        lambda text: text.replace("Ana Lima", '"Ana\nLima"', 2),
        lambda text: text.replace(",US,", ",US,extra,", 2),
        lambda text: text.replace(",TX,73301,US,,,", ",TX,73301", 2),
        lambda text: text.replace("Ana Lima", 'Ana "Lima"', 1),
        lambda text: text.replace("\n", "\r"),
        lambda text: text.replace("Ana Lima", "A" * 3000, 1),
    ],
    ids=[
        "crlf",
        "bom",
        "no-final-newline",
        "trailing-blank-lines",
        "blank-lines",
        "quoted-newline",
        "extra-fields",
        "missing-fields",
        "stray-quote",
        "cr-only",
        "row-longer-than-a-block",
    ],
)
def test_file_forms(tmp_path: Path, loaded: LoadedCampaign, mangle: object) -> None:
    vehicles, owners = _hostile_files(tmp_path)
    owners.write_text(mangle(owners.read_text(encoding="utf-8")), encoding="utf-8", newline="")  # type: ignore[operator]
    new, old = both(loaded, vehicles, owners)
    assert_same(new, old)


def test_malformed_quote_refused_like_before(tmp_path: Path, loaded: LoadedCampaign) -> None:
    from letters.errors import InputError

    vehicles, owners = _hostile_files(tmp_path)
    owners.write_text(owners.read_text().replace("Ana Lima", '"Ana" Lima', 1))
    with pytest.raises(InputError) as new:
        reconcile(loaded.campaign, vehicles, owners, AS_OF)
    with pytest.raises(InputError) as old:
        reconcile_rows(loaded.campaign, vehicles, owners, AS_OF, {})
    assert str(new.value) == str(old.value) and "malformed CSV" in str(new.value)


def test_fast_reader_numbers_lines_like_the_row_reader(tmp_path: Path) -> None:
    from letters.records.csvio import read_rows
    from letters.records.parse import OWNER_COLUMNS, OWNER_REQUIRED

    path = write(tmp_path / "o.csv", OWNER_HEADER, [list(_clean_owner(V).values())] * 5)
    chunks = map_chunks(path, OWNER_COLUMNS, OWNER_REQUIRED, lambda t: t.get_column("_line").to_list())
    lines = [line for chunk in chunks for line in chunk]
    assert lines == [r.line for r in read_rows(path, OWNER_COLUMNS, OWNER_REQUIRED)]


_TEXT = st.text(alphabet=st.sampled_from([*"aZ 9,\"'.-#\t\u00e9\u0301\u00a0\u4e00\x1f\n"]), max_size=12)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_field_values(loaded: LoadedCampaign, data: st.DataObject) -> None:
    owners = []
    for n in range(6):
        row = _clean_owner(with_check_digit(f"JTJGKCEZ0PJ1{n:05d}"))
        for column in data.draw(st.lists(st.sampled_from(sorted(row)), max_size=3)):
            row[column] = data.draw(_TEXT)
        owners.append(list(row.values()))
    vehicles = [[with_check_digit(f"JTJGKCEZ0PJ1{n:05d}"), "NX", "2023", "2023-03-15", "Japan"] for n in range(6)]
    with tempfile.TemporaryDirectory() as tmp:
        v = write(Path(tmp) / "v.csv", VEHICLE_HEADER, vehicles)
        o = write(Path(tmp) / "o.csv", OWNER_HEADER, owners)
        new, old = both(loaded, v, o)
        assert_same(new, old)
        assert sum(new.outcomes.values()) == new.records_read == 12
        assert Counter(r.outcome for r in new.reported) <= new.outcomes
