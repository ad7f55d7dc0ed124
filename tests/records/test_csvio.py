"""CSV input: encodings, BOM, header spelling, malformed files."""

from __future__ import annotations

from pathlib import Path

import pytest

from letters.errors import InputError
from letters.records.csvio import header_key, read_rows
from letters.records.parse import VEHICLE_COLUMNS, VEHICLE_REQUIRED

ROW = "JTJGKCEZ4PJ100001,NX,2023,2023-03-15,Japan\n"


def rows(path: Path) -> list[dict[str, str]]:
    return [r.values for r in read_rows(path, VEHICLE_COLUMNS, VEHICLE_REQUIRED)]


@pytest.mark.parametrize(
    "header", ["VIN,Model,Model Year,Production Date,Location", " vin , MODEL , model-year , Prod Date , PLANT "]
)
@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_bom_and_tolerant_headers(tmp_path: Path, header: str, bom: bytes) -> None:
    path = tmp_path / "v.csv"
    path.write_bytes(bom + (header + "\n" + ROW).encode())
    assert rows(path) == [
        {
            "vin": "JTJGKCEZ4PJ100001",
            "model": "NX",
            "model_year": "2023",
            "production_date": "2023-03-15",
            "location": "Japan",
        }
    ]


def test_other_encoding_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "v.csv"
    path.write_bytes(
        ("VIN,Model,Model Year,Production Date,Location\n" + ROW + "JTJ,Se\u00f1or,2023,2023-01-01,Japan\n").encode(
            "latin-1"
        )
    )
    with pytest.raises(InputError, match=r"v.csv, line 3: not UTF-8"):
        rows(path)


def test_missing_column_names_it(tmp_path: Path) -> None:
    path = tmp_path / "v.csv"
    path.write_text("VIN,Model,Production Date,Location\n")
    with pytest.raises(
        InputError, match=r"line 1: missing column\(s\): model_year \(a header named Model Year, MY or Year\)"
    ):
        rows(path)


def test_a_completed_file_missing_its_date_names_the_headers_to_write(tmp_path: Path) -> None:
    """Not "missing column(s) date", an internal name: the file, what it is, and the headers that would do."""
    from letters.records.repairs import read_completed

    path = tmp_path / "done.csv"
    path.write_text("VIN,Dealer\n5AUMS4B23PV201702,X\n")
    with pytest.raises(InputError) as err:
        read_completed(path)
    assert err.value.message.startswith(f"{path}, line 1: missing column(s) in the completed-repairs file: date "
                                        "(a header named Repair Date, Repaired, Repaired On, Completed, Completion "
                                        "Date, Date or RO Date); found VIN, Dealer")  # fmt: skip
    path.write_text("Dealer\nX\n")
    with pytest.raises(InputError, match=r": vin \(a header named VIN or Vehicle Identification Number\); date \("):
        read_completed(path)


def test_malformed_quote_names_line(tmp_path: Path) -> None:
    path = tmp_path / "v.csv"
    path.write_text("VIN,Model,Model Year,Production Date,Location\n" + ROW + 'X,"NX\n')
    with pytest.raises(InputError, match=r"v.csv, line \d+: malformed CSV"):
        rows(path)


def test_wrong_field_count_is_kept_for_the_caller(tmp_path: Path) -> None:
    path = tmp_path / "v.csv"
    path.write_text("VIN,Model,Model Year,Production Date,Location\n" + ROW.strip() + ",extra\n")
    (row,) = list(read_rows(path, VEHICLE_COLUMNS, VEHICLE_REQUIRED))
    assert row.extra == 1 and row.line == 2


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot open"):
        rows(tmp_path / "absent.csv")


def test_header_key() -> None:
    assert header_key("  Model-Year ") == "model_year"
    assert header_key("ZIP Code") == "zip_code"


@pytest.mark.parametrize(
    ("header", "named"),
    [
        (
            "VIN,Model,Model Year,Production Date,Location,Location",
            "'Location', 'Location' all mean 'location' (columns 5, 6)",
        ),
        ("VIN,Model,Model Year,Build Date,Production Date,Location", "'Build Date', 'Production Date' all mean"),
        ("vin,MODEL,Model,Model Year,Production Date,Location", "'MODEL', 'Model' all mean 'model' (columns 2, 3)"),
    ],
)
def test_duplicate_columns_are_refused_naming_them(tmp_path: Path, header: str, named: str) -> None:
    path = tmp_path / "v.csv"
    path.write_text(header + "\n" + ROW.rstrip("\n") + ",x\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        rows(path)
    assert str(path) in err.value.message and "line 1: duplicate column" in err.value.message
    assert named in err.value.message


def test_duplicate_owner_city_is_refused(tmp_path: Path) -> None:
    from letters.records.parse import OWNER_COLUMNS, OWNER_REQUIRED

    path = tmp_path / "o.csv"
    path.write_text("VIN,Owner Name,Address,City,State,Zip,City\nX,A,1 B St,Austin,TX,73301,Paris\n")
    with pytest.raises(InputError, match="'City', 'City' all mean 'city' \\(columns 4, 7\\)"):
        list(read_rows(path, OWNER_COLUMNS, OWNER_REQUIRED))
