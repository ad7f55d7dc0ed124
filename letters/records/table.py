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
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from letters.errors import InputError
from letters.records.csvio import header_columns, read_rows

if TYPE_CHECKING:
    import polars as pl
    import pyarrow as pa

LINE = "_line"
EXTRA = "_extra"
MISSING = "_missing"
_CHUNK = 1 << 24
# A quote with a field character on both sides: a closing quote followed by text (which
# strict CSV refuses), or a quote inside an unquoted field (which it keeps). Written to
# start with the quote itself, so the search jumps from quote to quote.
_ODD_QUOTE = re.compile(rb'"(?<=[^,\r\n"]")(?=[^,\r\n"])')


T = TypeVar("T")
CHUNK_ROWS = 100_000
"""Rows judged at a time: the working columns of one chunk, not of the whole file, are in memory."""
BLOCK_BYTES = 1 << 22
"""Bytes Arrow's reader parses at a time."""


class _NotFast(Exception):
    """The file turned out to need the exact reader."""


def map_chunks(path: Path, aliases: Mapping[str, str], required: tuple[str, ...], fn: Callable[[pl.DataFrame], T],
               restart: Callable[[], None] | None = None) -> list[T]:  # fmt: skip
    """``fn`` of each chunk of ``path``, in file order.

    A chunk is a table of strings under canonical column names, with ``_line``, ``_extra``
    and ``_missing``. Raises ``InputError`` as ``csvio.read_rows`` does: unreadable file,
    empty file, duplicate or missing columns, malformed CSV, text that is not UTF-8.

    The fast reader's results are thrown away and the exact reader's taken instead when
    the file proves not to be one row per line; ``fn`` must have no other effect, or
    ``restart`` undo them (it is called before the exact reader starts).
    """
    columns = _header(path, aliases, required)
    try:
        return [fn(chunk) for chunk in _fast(path, columns)]
    except _NotFast:
        if restart is not None:
            restart()
        return [fn(chunk) for chunk in _exact(path, aliases, required, columns)]


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
    return header_columns(path, header, aliases, required)


def _fast(path: Path, columns: list[str]) -> Iterator[pl.DataFrame]:
    """The table in chunks by Arrow's streaming reader; raises ``_NotFast`` when the file needs the exact one."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    lines, odd, ends_open = _scan(path)
    if odd:
        raise _NotFast
    names = [f"c{i}" for i in range(len(columns))]
    keep = [(name, column) for name, column in zip(names, columns, strict=True) if column]
    ragged: list[object] = []

    def invalid(row: object) -> str:
        ragged.append(row)
        return "skip"

    try:
        reader = pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, block_size=BLOCK_BYTES),
            parse_options=pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=invalid),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                include_columns=[n for n, _ in keep],
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
        done, pending, waiting = 0, [], 0
        for batch in reader:
            if ragged:
                raise _NotFast
            pending.append(batch)
            waiting += batch.num_rows
            if waiting >= CHUNK_ROWS:
                yield _chunk(pa.Table.from_batches(pending), keep, done)
                done, pending, waiting = done + waiting, [], 0
        # One row per physical line after the header: no blank lines, no quoted line breaks.
        if ragged or done + waiting != lines - 1 + (1 if ends_open else 0):
            raise _NotFast
        if pending:
            yield _chunk(pa.Table.from_batches(pending), keep, done)
    except (pa.ArrowInvalid, OSError):
        raise _NotFast from None
    finally:
        # Polars copied what it keeps: give back the pool's freed blocks, which it would otherwise hold.
        pa.default_memory_pool().release_unused()


def _chunk(table: pa.Table, keep: list[tuple[str, str]], start: int) -> pl.DataFrame:
    import polars as pl

    frame = pl.from_arrow(table.select([n for n, _ in keep]).rename_columns([c for _, c in keep]))
    assert isinstance(frame, pl.DataFrame)
    return frame.with_columns(
        pl.int_range(start + 2, start + 2 + frame.height, dtype=pl.Int64).alias(LINE),
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


def _exact(path: Path, aliases: Mapping[str, str], required: tuple[str, ...],
           columns: list[str]) -> Iterator[pl.DataFrame]:  # fmt: skip
    """The table in chunks, row by row (Python's strict CSV reader), every line number exact."""
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
        if len(lines) == CHUNK_ROWS:
            yield _exact_frame(values, lines, extra, missing)
            values, lines, extra, missing = {name: [] for name in names}, [], [], []
    if lines:
        yield _exact_frame(values, lines, extra, missing)


def _exact_frame(values: dict[str, list[str | None]], lines: list[int], extra: list[int],
                 missing: list[int]) -> pl.DataFrame:  # fmt: skip
    import polars as pl

    return pl.DataFrame(values, schema={name: pl.String for name in values}).with_columns(
        pl.Series(LINE, lines, pl.Int64), pl.Series(EXTRA, extra, pl.Int32), pl.Series(MISSING, missing, pl.Int32)
    )
