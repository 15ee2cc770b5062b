"""Customer feedback in and out: one message per line or a CSV column;
the labelled rows as CSV."""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

from desktop_llm.core.documents.readers import decode_text
from desktop_llm.core.errors import UserError


def read_text_file(name: str) -> str:
    """A text file's contents in whatever common encoding it has ("-" is stdin)."""
    if name == "-":
        return sys.stdin.read()
    path = Path(name)
    if not path.is_file():
        raise UserError(f"No file {name}. Check the path.")
    return decode_text(path.read_bytes(), path.name)


def csv_columns(text: str) -> list[str]:
    if not text.strip():
        raise UserError("The file is empty: there is no feedback to analyse.")
    return next(csv.reader(io.StringIO(text)), [])


def feedback_rows(text: str, column: str | None, is_csv: bool) -> list[str]:
    """The feedback to label: a CSV column, or one message per line."""
    if not text.strip():
        raise UserError("The file is empty: there is no feedback to analyse.")
    if not is_csv:
        if column:
            raise UserError("--column is for CSV files; this file is read one message per line.")
        return [line for line in text.splitlines() if line.strip()]
    columns = csv_columns(text)
    if column is None:
        if len(columns) != 1:
            raise UserError(f"Choose the column with the feedback: --column NAME. Columns: {', '.join(columns)}.")
        column = columns[0]
    if column not in columns:
        raise UserError(f"The CSV has no column “{column}”. Columns: {', '.join(columns)}.")
    return [row.get(column) or "" for row in csv.DictReader(io.StringIO(text))]


def labelled_csv(analysis) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["text", "label", "reason"])
    for row in analysis.rows:
        writer.writerow([row.text, row.label, row.reason])
    return out.getvalue()
