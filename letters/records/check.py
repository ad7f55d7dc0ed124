"""Validating whole tables at once, with the row parser as the judge of every doubtful row.

Each rule is applied as a vectorised expression that only says "certainly valid, and its
value is exactly what the row parser would make of it". Columns that take few distinct
values (model, year, date, location, state, ZIP, country, language, lessor) are judged
by the row parser's own functions once per distinct value. Every row a vectorised rule
does not clear (a bad check digit, a name with an accent or a double space, a long
street, a ragged row) goes to ``RowParser``, which cleans it or names its problems in
the words it always has. So the rules and messages live in one place, ``parse.py``,
and a differential test holds the two paths to the same results.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache, partial
from typing import Any, NamedTuple

import polars as pl

from letters import vin as vins
from letters.address import char_bounds, safe_length
from letters.campaign.values import parse_value
from letters.charset import PRINTABLE
from letters.records.csvio import Row
from letters.records.model import Owner, Vehicle
from letters.records.parse import (
    RowParser,
    language_of,
    lessor_of,
    parse_date,
    year_of,
)
from letters.records.table import EXTRA, LINE, MISSING

DTYPES: dict[str, Any] = {"text": pl.String, "enum": pl.String, "integer": pl.Int64, "date": pl.Date,
                          "boolean": pl.Boolean}  # fmt: skip
"""Polars type of each declared column or computed value type."""

VEHICLE_FIELDS = ("vin", "model", "model_year", "production_date", "location")
OWNER_TEXT = ("name", "name2", "urbanization", "address1", "address2", "city")
OWNER_SCHEMA: dict[str, Any] = {
    "vin": pl.String, "name": pl.String, "name2": pl.String, "urbanization": pl.String, "address1": pl.String,
    "address2": pl.String, "city": pl.String, "state": pl.String, "zip": pl.String, "language": pl.String,
    "email": pl.String, "lessor": pl.Boolean, LINE: pl.Int64,
}  # fmt: skip
VEHICLE_SCHEMA: dict[str, Any] = {
    "vin": pl.String, "model": pl.String, "model_year": pl.Int32, "production_date": pl.Date,
    "location": pl.String, LINE: pl.Int64,
}  # fmt: skip
REJECT_SCHEMA: dict[str, Any] = {LINE: pl.Int64, "given_vin": pl.String, "reason": pl.String}


class Checked(NamedTuple):
    """A table split into valid records and rejected rows."""

    valid: pl.DataFrame
    """Valid records, normalised (schema ``VEHICLE_SCHEMA`` or ``OWNER_SCHEMA``), in file order but for the
    rows the row parser cleared, which follow those of their chunk (the merge orders by ``_line`` where it matters)."""
    rejected: pl.DataFrame
    """Rejected rows: line, the VIN as given (stripped), and every problem of the row."""

    @property
    def rows(self) -> int:
        """Rows read."""
        return self.valid.height + self.rejected.height


def vehicle_schema(parser: RowParser) -> dict[str, Any]:
    """``VEHICLE_SCHEMA`` with the campaign's declared columns and computed values before the line."""
    schema = {k: v for k, v in VEHICLE_SCHEMA.items() if k != LINE}
    for name, column in parser.columns.items():
        schema[name] = DTYPES[column.type]
    for name, spec in parser.calculator.computed.items():
        schema[name] = DTYPES[spec.type]
    schema[LINE] = pl.Int64
    return schema


def vehicles(parser: RowParser, table: pl.DataFrame, file: str) -> Checked:
    """Valid vehicles and rejected rows of a vehicle table."""
    fields = (*VEHICLE_FIELDS, *parser.columns)
    table = _filled(table, fields)
    table = table.with_columns(
        _vins(table.get_column("vin")).alias("_vin"),
        _each(table, "model", parser.model, pl.String).alias("_model"),
        _each(table, "model_year", year_of, pl.Int32).alias("_year"),
        _each(table, "production_date", parse_date, pl.Date).alias("_date"),
        _each(table, "location", parser.location, pl.String).alias("_location"),
    )
    codes = _each(table, "_year", lambda y: vins.year_code(y) if y is not None else None, pl.String)
    ok = (
        _shaped()
        & pl.col("_vin").is_not_null()
        & pl.col("_vin").str.slice(0, 3).is_in(sorted(parser.wmis))
        & (pl.col("_model") != "")
        & pl.col("_year").is_not_null()
        & (codes == pl.col("_vin").str.slice(9, 1))
        & pl.col("_date").is_not_null()
        & pl.col("_location").is_not_null()
    )
    declared = []
    for name, column in parser.columns.items():
        # Each distinct cell once: (value, problem) by the row parser's own rule.
        judged = _each(table, name, partial(parse_value, name, column),
                       pl.Struct({"value": DTYPES[column.type], "problem": pl.String}))  # fmt: skip
        table = table.with_columns(judged.alias(f"_c.{name}"))
        ok = ok & (pl.col(f"_c.{name}").struct.field("problem") == "")
        declared.append(pl.col(f"_c.{name}").struct.field("value").alias(name))
    table = table.with_columns(ok.fill_null(False).alias("_ok"))
    fast = table.lazy().filter(pl.col("_ok")).select(
        pl.col("_vin").alias("vin"), pl.col("_model").alias("model"), pl.col("_year").alias("model_year"),
        pl.col("_date").alias("production_date"), pl.col("_location").alias("location"), *declared, pl.col(LINE),
    ).collect()  # fmt: skip
    fast, failed = _computed(parser, fast)
    schema = vehicle_schema(parser)
    checked = _with_doubtful(table, fast, fields, lambda row: parser.vehicle(row, file), _vehicle_row, schema)
    if failed.height:
        rejected = pl.concat([checked.rejected, failed]).sort(LINE)
        checked = Checked(checked.valid, rejected)
    return checked


def _computed(parser: RowParser, fast: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``fast`` with each computed value as a column, and the rows whose values cannot be computed (rejected)."""
    names = parser.calculator.names
    if not names:
        return fast, pl.DataFrame(schema=REJECT_SCHEMA)
    inputs = [c for c in fast.columns if c != LINE and (c != "vin" or parser.uses_vin)]
    distinct = fast.select(inputs).unique()
    results = [parser.compute({"vin": "", **row}) for row in distinct.iter_rows(named=True)]
    dtypes = {name: DTYPES[parser.calculator.computed[name].type] for name in names}
    judged = distinct.with_columns(
        *(pl.Series(name, [r.get(name) if isinstance(r, dict) else None for r in results], dtypes[name])
          for name in names),
        pl.Series("_problem", [r if isinstance(r, str) else "" for r in results], pl.String),
    )  # fmt: skip
    joined = fast.join(judged, on=inputs, how="left", maintain_order="left", nulls_equal=True)
    failed = joined.filter(pl.col("_problem") != "").select(LINE, pl.col("vin").alias("given_vin"),
                                                             pl.col("_problem").alias("reason"))  # fmt: skip
    return joined.filter(pl.col("_problem") == "").drop("_problem"), failed


def owners(parser: RowParser, table: pl.DataFrame, file: str) -> Checked:
    """Valid owners and rejected rows of an owner table."""
    fields = (*OWNER_TEXT, "vin", "state", "zip", "country", "language", "email", "lessor")
    table = _filled(table, fields)
    table = table.with_columns(
        _vins(table.get_column("vin")).alias("_vin"),
        _each(table, "state", parser.state, pl.Struct({"state": pl.String, "problem": pl.String})).alias("_state"),
        _each(table, "country", parser.country, pl.String).alias("_country"),
        _each(table, "language", language_of, pl.Struct({"language": pl.String, "problem": pl.String})).alias("_lang"),
        _each(table, "lessor", lessor_of, pl.Struct({"lessor": pl.Boolean, "problem": pl.String})).alias("_lessor"),
    ).unnest("_state", "_lang", "_lessor", separator=".")
    # A well-formed ZIP is judged by its prefix: whether the state is served there is all the
    # row parser asks of it. Anything else (ZIP+4 without its hyphen is fine) goes to the parser.
    digits = pl.col("zip").str.extract_groups(r"^ *([0-9]{5})(?:-?([0-9]{4}))? *$")
    table = table.with_columns(
        pl.when(digits.struct.field("2").is_null()).then(digits.struct.field("1"))
        .otherwise(digits.struct.field("1") + "-" + digits.struct.field("2")).alias("_zip.zip")
    )  # fmt: skip
    table = table.with_columns(pl.col("_zip.zip").str.slice(0, 3).fill_null("").alias("_prefix"))
    table = table.with_columns(
        _pairs(table, ("_prefix", "_state.state"), lambda prefix, state: parser.zip(f"{prefix}01", state)[1]
               if prefix else "zip: malformed", pl.String).alias("_zip.problem")
    )  # fmt: skip
    clean = [_clean(pl.col(name)) for name in OWNER_TEXT]
    together = pl.when(pl.col("address2") == "").then(pl.col("address1")) \
        .otherwise(pl.col("address1") + " " + pl.col("address2"))  # fmt: skip
    last = pl.col("city") + " " + pl.col("_state.state") + " " + pl.col("_zip.zip")
    ok = (
        _shaped()
        & pl.col("_vin").is_not_null()
        & pl.all_horizontal(clean)
        & (pl.col("name") != "")
        & (pl.col("address1") != "")
        & (pl.col("city") != "")
        & (pl.col("_state.problem") == "")
        & (pl.col("_zip.problem") == "")
        & (pl.col("_country") == "")
        & (pl.col("_lang.problem") == "")
        & (pl.col("_lessor.problem") == "")
        & pl.col("email").str.contains(r"^[\x20-\x7e]*$")
    )
    table = table.with_columns(ok.fill_null(False).alias("_ok"))
    lengths = [pl.col("name").str.len_bytes(), pl.col("name2").str.len_bytes(), pl.col("urbanization").str.len_bytes(),
               pl.col("address1").str.len_bytes() + pl.when(pl.col("address2") == "").then(0)
               .otherwise(1 + pl.col("address2").str.len_bytes()),
               pl.col("city").str.len_bytes() + 2 + pl.col("_state.state").str.len_bytes()
               + pl.col("_zip.zip").str.len_bytes()]  # fmt: skip
    table = table.with_columns(_fit(table, [pl.col("name"), pl.col("name2"), pl.col("urbanization"), together, last],
                                    lengths))  # fmt: skip
    fast = table.lazy().filter(pl.col("_ok")).select(
        pl.col("_vin").alias("vin"), *OWNER_TEXT, pl.col("_state.state").alias("state"),
        pl.col("_zip.zip").alias("zip"), pl.col("_lang.language").alias("language"),
        pl.col("email").str.strip_chars(" ").alias("email"), pl.col("_lessor.lessor").alias("lessor"), pl.col(LINE),
    ).collect()  # fmt: skip
    return _with_doubtful(table, fast, fields, lambda row: parser.owner(row, file), _owner_row, OWNER_SCHEMA)


def _fit(table: pl.DataFrame, lines: list[pl.Expr], lengths: list[pl.Expr]) -> pl.Expr:
    """``_ok`` and every line of the row fits the envelope window (as ``address.window_problems`` finds).

    Lines the widest capital cannot overflow pass on their length in bytes (no character
    prints as more letters than its UTF-8 bytes); longer ones are bounded by their
    characters' widths (``address.char_bounds``), each line built only for the rows where
    it is long. Only rows neither clears go to the row parser, which shapes them.
    """
    limit, window = safe_length(), _byte_weights()[1]
    candidates = table.lazy().with_row_index("_row").filter(pl.col("_ok"))
    too_wide = []
    for line, length in zip(lines, lengths, strict=True):
        long = candidates.filter(length > limit).select("_row", line.alias("_line")).collect()
        if long.height:
            too_wide.append(
                long.get_column("_row").filter(pl.Series(_printed_widths(long.get_column("_line")) > window))
            )
    if not too_wide:
        return pl.col("_ok")
    return (pl.col("_ok") & ~pl.int_range(pl.len(), dtype=pl.UInt32).is_in(pl.concat(too_wide).implode())).alias("_ok")


def _printed_widths(lines: pl.Series) -> Any:
    """An upper bound of each line's printed width (px), summed over its UTF-8 bytes in NumPy.

    Each byte weighs what the widest character it can start prints as; continuation bytes
    weigh nothing; the kerning slack is added per byte too (an overestimate, and zero for
    the shipped font).
    """
    import numpy as np

    array = lines.fill_null("").to_arrow(compat_level=pl.CompatLevel.oldest())
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int64)[array.offset : array.offset + len(array) + 1]
    data = np.frombuffer(array.buffers()[2] or b"", dtype=np.uint8)
    weights, _ = _byte_weights()
    total = np.concatenate([[0.0], np.cumsum(weights[data], dtype=np.float64)])
    return total[offsets[1:]] - total[offsets[:-1]]


@cache
def _byte_weights() -> tuple[Any, float]:
    import numpy as np

    bounds, slack, window = char_bounds()
    weights = np.full(256, window + 1.0)  # a byte no printable character starts: never clears
    weights[0x80:0xC0] = 0.0  # continuation bytes
    for ch, bound in bounds.items():
        lead = ch.encode()[0]
        weights[lead] = bound + slack if weights[lead] > window else max(weights[lead], bound + slack)
    return weights, window


def _with_doubtful(table: pl.DataFrame, fast: pl.DataFrame, fields: Sequence[str],
                   judge: Callable[[Row], Vehicle | Owner | list[str]], as_row: Callable[[Any], tuple[Any, ...]],
                   schema: dict[str, Any]) -> Checked:  # fmt: skip
    """Join the rows the expressions cleared to what the row parser makes of the others."""
    present = [f for f in fields if f in table.columns]
    doubtful = table.lazy().filter(~pl.col("_ok")).select(*present, LINE, EXTRA, MISSING).collect()
    valid_rows: list[tuple[Any, ...]] = []
    rejected: list[tuple[int, str, str]] = []
    for values in doubtful.iter_rows():
        line, extra, missing = values[-3:]
        row = Row(line, dict(zip(present, values[:-3], strict=True)), extra, missing)
        result = judge(row)
        if isinstance(result, list):
            rejected.append((line, row.values.get("vin", "").strip(), "; ".join(result)))
        else:
            valid_rows.append(as_row(result))
    valid = fast
    if valid_rows:
        valid = pl.concat([fast, pl.DataFrame(valid_rows, schema=schema, orient="row")], rechunk=False)
    return Checked(valid, pl.DataFrame(rejected, schema=REJECT_SCHEMA, orient="row"))


def _vehicle_row(v: Vehicle) -> tuple[Any, ...]:
    return (v.vin, v.model, v.model_year, v.production_date, v.location, *(value for _, value in v.values),
            v.source.line)  # fmt: skip


def _owner_row(o: Owner) -> tuple[Any, ...]:
    name2 = o.names[1] if len(o.names) > 1 else ""
    return (o.vin, o.names[0], name2, *o.address, o.city, o.state, o.zip,
            o.language, o.email, o.lessor, o.source.line)  # fmt: skip


def _filled(table: pl.DataFrame, fields: Sequence[str]) -> pl.DataFrame:
    """Absent columns and missing fields as "" (what the row parser reads them as)."""
    absent = [pl.lit("", pl.String).alias(f) for f in fields if f not in table.columns]
    table = table.with_columns(absent) if absent else table
    return table.with_columns(pl.col(*fields).fill_null(""))


def _shaped() -> pl.Expr:
    return (pl.col(EXTRA) == 0) & (pl.col(MISSING) == 0)


_WORD = "[" + "".join(f"\\x{{{ord(ch):x}}}" for ch in PRINTABLE if ch != " ") + "]+"


def _clean(text: pl.Expr) -> pl.Expr:
    """Printable text the row parser would leave as it is: no outer or repeated spaces.

    Text of printable characters only is already composed (NFC): none of them is a
    combining mark, so composition has nothing to join.
    """
    return text.str.contains(f"^(?:{_WORD}(?: {_WORD})*)?$")


def _vins(raw: pl.Series) -> pl.Series:
    """The normalised VIN where the raw value is certainly a valid one; null elsewhere.

    The check digit is arithmetic over 17 bytes a row: done on a (rows x 17) byte matrix
    in NumPy, some fifty times faster than per-character string expressions.
    """
    import numpy as np

    vin = raw.str.strip_chars(" ").str.to_uppercase()
    # 17 ASCII bytes; the byte table below then admits only VIN characters.
    shaped = ((vin.str.len_bytes() == 17) & (raw.str.len_bytes() == raw.str.len_chars())).fill_null(False)
    candidates = vin.filter(shaped)
    ok = np.zeros(len(raw), dtype=bool)
    if len(candidates):
        array = candidates.to_arrow(compat_level=pl.CompatLevel.oldest())
        offsets = np.frombuffer(array.buffers()[1], dtype=np.int64)
        start = int(offsets[array.offset])
        codes = np.frombuffer(array.buffers()[2], dtype=np.uint8, count=17 * len(candidates), offset=start)
        codes = codes.reshape(-1, 17)
        table, weights, years = _vin_tables()
        values = table[codes]
        # A column at a time in 16 bits (sums < 17 * 10 * 64), not a float product: BLAS's threads
        # spin, which cost more CPU than the arithmetic.
        total = np.zeros(len(values), dtype=np.uint16)
        for position, weight in enumerate(weights):
            if weight:
                total += values[:, position].astype(np.uint16) * np.uint16(weight)
        remainder = total % 11
        expected = np.where(remainder == 10, ord("X"), ord("0") + remainder)
        # Every character a VIN character (value < 64): the OR of values below 64 stays below 64.
        good = (np.bitwise_or.reduce(values, axis=1) < 64) & (codes[:, 8] == expected) & years[codes[:, 9]]
        ok[shaped.arg_true().to_numpy()] = good
    return vin.set(~pl.Series(ok), None)


@cache
def _vin_tables() -> tuple[Any, Any, Any]:
    import numpy as np

    values = np.full(256, 64, dtype=np.uint8)  # 64: not a VIN character
    for ch, value in vins.VALUES.items():
        values[ord(ch)] = value
    years = np.zeros(256, dtype=bool)
    years[[ord(ch) for ch in vins.YEAR_CODES]] = True
    return values, [int(w) for w in vins.WEIGHTS], years


def _each(table: pl.DataFrame, column: str, judge: Callable[[Any], Any], dtype: Any) -> pl.Series:
    """``judge`` of each value of ``column``, computed once per distinct value."""
    series = table.get_column(column)
    if series.is_empty():
        return pl.Series(column, [], dtype)
    distinct = series.unique()
    results = [judge(value) for value in distinct.to_list()]
    if isinstance(dtype, pl.Struct):
        names = [f.name for f in dtype.fields]
        results = [dict(zip(names, r, strict=True)) for r in results]
    judged = pl.Series(column, results, dtype=dtype)
    if len(distinct) == 1 and distinct.null_count() == 0:  # one value (a country, a language): no lookup a row
        return judged.gather(pl.zeros(len(series), pl.UInt32, eager=True))
    return series.replace_strict(distinct, judged, return_dtype=dtype)


def _pairs(table: pl.DataFrame, columns: tuple[str, str], judge: Callable[[Any, Any], Any], dtype: Any) -> pl.Expr:
    """``judge`` of each pair of values, once per distinct pair, as an expression over ``table``."""
    if table.is_empty():
        return pl.lit(None, dtype)
    distinct = table.select(pl.struct(*columns).alias("_key")).unique().get_column("_key")
    results = [judge(k[columns[0]], k[columns[1]]) for k in distinct.to_list()]
    if isinstance(dtype, pl.Struct):
        names = [f.name for f in dtype.fields]
        results = [dict(zip(names, r, strict=True)) for r in results]
    return pl.struct(*columns).replace_strict(distinct, pl.Series(results, dtype=dtype), return_dtype=dtype)
