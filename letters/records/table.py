"""Whole CSV files as columnar tables (Arrow, through Polars), with each row's line number.

Arrow's multithreaded CSV reader does the parsing in C++. It is more lenient than
Python's ``csv`` module in strict mode, and it does not say on which line a row began,
so a file is read the fast way only when that provably changes nothing:

- every row is one physical line (the count of line ends matches the rows read), so the
  row at index ``i`` is line ``i + 2``;
- every row has the header's number of fields;
- no quote sits where strict CSV forbids one (``"ab"c``).

Any other file (quoted line breaks, blank lines, ragged rows, odd quoting, a bad byte)
is read row by row with ``csvio.read_rows``, which locates every problem exactly as
before. Either way the table has the same columns: the canonical column names, plus
``_line`` (where the row starts), ``_extra`` and ``_missing`` (its field count against
the header's).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from letters.errors import InputError
from letters.records.csvio import header_key, read_rows, refuse_duplicates

if TYPE_CHECKING:
    import polars as pl

LINE = "_line"
EXTRA = "_extra"
MISSING = "_missing"
_CHUNK = 1 << 24
# A quote with a field character on both sides: a closing quote followed by text (which
# strict CSV refuses), or a quote inside an unquoted field (which it keeps). Written to
# start with the quote itself, so the search jumps from quote to quote.
_ODD_QUOTE = re.compile(rb'"(?<=[^,\r\n"]")(?=[^,\r\n"])')


def read_table(path: Path, aliases: Mapping[str, str], required: tuple[str, ...]) -> pl.DataFrame:
    """``path`` as a table of strings under canonical column names, with ``_line``, ``_extra``, ``_missing``.

    Raises ``InputError`` as ``csvio.read_rows`` does: unreadable file, empty file,
    duplicate or missing columns, malformed CSV, text that is not UTF-8.
    """
    columns = _header(path, aliases, required)
    table = _fast(path, columns)
    if table is None:
        table = _exact(path, aliases, required, columns)
    return table


def _header(path: Path, aliases: Mapping[str, str], required: tuple[str, ...]) -> list[str]:
    """The canonical column names, checked as ``read_rows`` checks them."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            header = next(csv.reader(handle, strict=True), None)
    except OSError as exc:
        raise InputError(f"{path}: cannot open ({exc.strerror})") from None
    except (csv.Error, UnicodeDecodeError):
        header = None  # the exact reader names the line and the problem
    if header is None:
        # Empty, undecodable or malformed: let the row reader raise its located error.
        for _ in read_rows(path, aliases, required):
            break
        raise InputError(f"{path}: the file is empty; expected a header row")
    columns = [aliases.get(header_key(h), header_key(h)) for h in header]
    refuse_duplicates(path, header, columns)
    absent = [c for c in required if c not in columns]
    if absent:
        raise InputError(
            f"{path}, line 1: missing column(s) {', '.join(absent)}; found {', '.join(h.strip() for h in header)}"
        )
    return columns


def _fast(path: Path, columns: list[str]) -> pl.DataFrame | None:
    """The table by Arrow's reader, or None when the file needs the exact reader."""
    import polars as pl
    import pyarrow as pa
    import pyarrow.csv as pacsv

    lines, odd, ends_open = _scan(path)
    if odd:
        return None
    names = [f"c{i}" for i in range(len(columns))]
    ragged: list[object] = []

    def invalid(row: object) -> str:
        ragged.append(row)
        return "skip"

    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, block_size=1 << 22),
            parse_options=pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=invalid),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, OSError):
        return None
    # One row per physical line after the header: no blank lines, no quoted line breaks.
    if ragged or table.num_rows != lines - 1 + (1 if ends_open else 0):
        return None
    keep = [(name, column) for name, column in zip(names, columns, strict=True) if column]
    frame = pl.from_arrow(table.select([n for n, _ in keep]).rename_columns([c for _, c in keep]))
    assert isinstance(frame, pl.DataFrame)
    return frame.with_columns(
        pl.int_range(2, frame.height + 2, dtype=pl.Int64).alias(LINE),
        pl.lit(0, pl.Int32).alias(EXTRA),
        pl.lit(0, pl.Int32).alias(MISSING),
    )


def _scan(path: Path) -> tuple[int, bool, bool]:
    """(line ends in the file, whether it has a quote strict CSV may refuse, whether the last line lacks an end)."""
    lines = 0
    odd = False
    tail = b""
    last = b"\n"
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            lines += chunk.count(b"\n")
            if not odd and b'"' in chunk:
                odd = _ODD_QUOTE.search(tail + chunk) is not None
            tail, last = chunk[-2:], chunk[-1:]
    return lines, odd, last != b"\n"


def _exact(path: Path, aliases: Mapping[str, str], required: tuple[str, ...], columns: list[str]) -> pl.DataFrame:
    """The table row by row (Python's strict CSV reader), every line number exact."""
    import polars as pl

    names = list(dict.fromkeys(c for c in columns if c))
    values: dict[str, list[str | None]] = {name: [] for name in names}
    lines: list[int] = []
    extra: list[int] = []
    missing: list[int] = []
    for row in read_rows(path, aliases, required):
        lines.append(row.line)
        extra.append(row.extra)
        missing.append(row.missing)
        get = row.values.get
        for name in names:
            values[name].append(get(name))
    schema = {name: pl.String for name in names}
    return pl.DataFrame(values, schema=schema).with_columns(
        pl.Series(LINE, lines, pl.Int64), pl.Series(EXTRA, extra, pl.Int32), pl.Series(MISSING, missing, pl.Int32)
    )
