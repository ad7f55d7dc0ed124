"""A PDF's text as a reviewer compares it: lines with page numbers, stamps and running footers left out,
and the eligibility chart's phase digits named by the production month they sit under."""

from __future__ import annotations

import calendar
import re
from itertools import pairwise
from pathlib import Path
from typing import Any

from letters.errors import InputError
from letters.render.changes import Block

FOOTER = re.compile(r"Page \d+ of \d+$")
STAMP_SIZE = 40
"""Characters this large (points) are a stamp (DRAFT), left out of a PDF's text."""
MONTHS = {name: number for number, name in enumerate(calendar.month_abbr) if name}
PHASE = re.compile(r"^[1-9]$")


def _words(chars: list[dict[str, Any]]) -> list[tuple[str, float, float]]:
    """The line's words as (text, left, right), split where characters stand apart."""
    out: list[list[Any]] = []
    for char in sorted(chars, key=lambda c: c["x0"]):
        text = char.get("text", "")
        if not text.strip():
            continue
        if out and char["x0"] - out[-1][2] < 1.0:
            out[-1][0] += text
            out[-1][2] = char["x1"]
        else:
            out.append([text, char["x0"], char["x1"]])
    return [(t, x0, x1) for t, x0, x1 in out]


def _month_columns(lines: list[dict[str, Any]]) -> tuple[float, list[tuple[float, str]]]:
    """(bottom of the header, [(x centre, "February 2024")]) of a chart's month header, if the page has one."""
    for index, line in enumerate(lines):
        words = _words(line["chars"])
        months = [(w, (x0 + x1) / 2) for w, x0, x1 in words if w in MONTHS]
        if len(months) < 3 or len(months) < len(words) / 2:
            continue
        years = [(int(w), x0) for above in lines[max(0, index - 2) : index]
                 for w, x0, _ in _words(above["chars"]) if re.fullmatch(r"(19|20)\d\d", w)]  # fmt: skip
        year = min(years, key=lambda y: y[1])[0] if years else 0
        columns, previous = [], 0
        for word, centre in months:
            if MONTHS[word] < previous:
                year += 1
            previous = MONTHS[word]
            label = f"{calendar.month_name[MONTHS[word]]} {year}" if year else calendar.month_name[MONTHS[word]]
            columns.append((centre, label))
        return float(line["bottom"]), columns
    return 0.0, []


def _phases(line: dict[str, Any], columns: list[tuple[float, str]]) -> tuple[str, dict[str, str]]:
    """(the row's label, {month: phase digit}) for a chart row under ``columns``."""
    step = min((b[0] - a[0] for a, b in pairwise(columns)), default=10.0)
    found: dict[str, str] = {}
    label = []
    for word, x0, x1 in _words(line["chars"]):
        centre = (x0 + x1) / 2
        near = min(columns, key=lambda c: abs(c[0] - centre))
        if PHASE.match(word) and abs(near[0] - centre) < step * 0.6:
            found[near[1]] = word
        elif centre < columns[0][0] - step:
            label.append(word)
    return " ".join(label), found


def read_pdf(path: Path) -> tuple[list[Block], list[tuple[str, dict[str, str]]]]:
    """Lines of a PDF as blocks (with page numbers), and per line its chart row (label, phases by month)."""
    import pdfplumber

    try:
        with pdfplumber.open(path) as pdf:
            blocks, rows = [], []
            for number, page in enumerate(pdf.pages, start=1):
                # A DRAFT stamp is a few huge letters across the page: not text of the document.
                page = page.filter(lambda obj: obj.get("object_type") != "char" or obj.get("size", 0) < STAMP_SIZE)
                lines = page.extract_text_lines(return_chars=True)
                header, columns = _month_columns(lines)
                for line in lines:
                    text = " ".join(line["text"].split())
                    # Running footers repeat on every page and shift with pagination: noise.
                    if not text or FOOTER.search(text):
                        continue
                    blocks.append(Block("line", text, page=number))
                    rows.append(_phases(line, columns) if columns and line["top"] >= header else ("", {}))
            return blocks, rows
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except Exception as exc:  # pdfminer raises many kinds for a file that is not a PDF
        raise InputError(f"{path}: not a readable PDF ({type(exc).__name__})") from None
