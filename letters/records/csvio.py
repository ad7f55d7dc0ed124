"""Streaming CSV input: UTF-8 with or without BOM, tolerant headers, located errors."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import NamedTuple

from letters.errors import InputError

_HEADER_JUNK = re.compile(r"[\s\-./#]+")


def header_key(name: str) -> str:
    """ "Model Year", " model-year " and "MODEL_YEAR" all become "model_year"."""
    return _HEADER_JUNK.sub("_", name.strip().lower()).strip("_")


class Row(NamedTuple):
    """One data row of a CSV file."""

    line: int
    """Line number in the file where the row starts (the header is line 1)."""
    values: dict[str, str]
    """Canonical column name -> raw value."""
    extra: int
    """Fields beyond the header's count (non-zero means a malformed row)."""
    missing: int
    """Header columns the row did not reach."""


def read_rows(path: Path, aliases: Mapping[str, str], required: tuple[str, ...], kind: str = "") -> Iterator[Row]:
    """Yield the rows of ``path`` with columns renamed through ``aliases``.

    Raises ``InputError`` (naming the file and line, and ``kind``, what the file is, if
    given) for a file that cannot be read as UTF-8 CSV or lacks a required column;
    row-level problems are left to the caller, who rejects the row with a reason instead
    of stopping.
    """
    try:
        # Decoding the whole stream in C is several times faster than line by line; the
        # slow line-by-line pass runs only to say where a decoding error is.
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise InputError(f"{path}: cannot open ({exc.strerror})") from None
    with handle:
        reader = csv.reader(handle, strict=True)
        try:
            try:
                header = next(reader)
            except StopIteration:
                raise InputError(f"{path}: the file is empty; expected a header row") from None
            columns = header_columns(path, header, aliases, required, kind)
            width = len(columns)
            line = reader.line_num + 1
            for fields in reader:
                count = len(fields)
                if count == width:
                    yield Row(line, dict(zip(columns, fields, strict=True)), 0, 0)
                elif fields:  # blank lines carry no record
                    yield Row(
                        line, dict(zip(columns, fields, strict=False)), max(0, count - width), max(0, width - count)
                    )
                line = reader.line_num + 1
        except csv.Error as exc:
            raise InputError(f"{path}, line {reader.line_num}: malformed CSV: {exc}") from None
        except UnicodeDecodeError:
            raise _decoding_error(path) from None


def header_columns(
    path: Path, header: list[str], aliases: Mapping[str, str], required: tuple[str, ...], kind: str = ""
) -> list[str]:
    """The canonical name of each header column; ``InputError`` for a duplicate or missing column.

    A missing column is named by the headers that would give it (``Repair Date``, ...),
    not only by its internal name.
    """
    columns = [aliases.get(header_key(h), header_key(h)) for h in header]
    refuse_duplicates(path, header, columns)
    absent = [c for c in required if c not in columns]
    if absent:
        wanted = "; ".join(f"{column} (a header named {spellings(column, aliases)})" for column in absent)
        raise InputError(
            f"{path}, line 1: missing column(s){f' in the {kind}' if kind else ''}: {wanted}; found "
            f"{', '.join(h.strip() for h in header)}. Case, spaces, '-' and '_' in a header do not matter"
        )
    return columns


_ACRONYMS = frozenset({"vin", "my", "ro", "zip", "id", "po"})


def spellings(column: str, aliases: Mapping[str, str]) -> str:
    """The headers that give ``column``, as a user might write them: "Repair Date, Repaired or Date"."""
    keys = [key for key, name in aliases.items() if name == column]
    if column not in aliases:
        keys.append(column)  # a header spelled as the column's own name needs no alias
    shown = [" ".join(w.upper() if w in _ACRONYMS else w.capitalize() for w in key.split("_")) for key in keys]
    return shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} or {shown[-1]}"


def refuse_duplicates(path: Path, header: list[str], columns: list[str]) -> None:
    """Two headers meaning one column (``City`` twice, ``Owner Name`` beside ``name``) are an error.

    Otherwise the last one silently wins, and every letter prints whatever it holds.
    """
    seen: dict[str, list[str]] = {}
    for raw, column in zip(header, columns, strict=True):
        if column:
            seen.setdefault(column, []).append(raw.strip())
    clashes = {column: raws for column, raws in seen.items() if len(raws) > 1}
    if clashes:
        detail = "; ".join(
            f"{', '.join(repr(r) for r in raws)} all mean {column!r} "
            f"(columns {', '.join(str(i + 1) for i, c in enumerate(columns) if c == column)})"
            for column, raws in clashes.items()
        )
        raise InputError(f"{path}, line 1: duplicate column(s), so it is unclear which to use: {detail}")


def _decoding_error(path: Path) -> InputError:
    """The first line of ``path`` that is not UTF-8, as an error naming it."""
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                return InputError(
                    f"{path}, line {number}: not UTF-8 text (byte 0x{raw[exc.start]:02x} "
                    f"at column {exc.start + 1}); save the file as UTF-8"
                )
    return InputError(f"{path}: not UTF-8 text; save the file as UTF-8")
