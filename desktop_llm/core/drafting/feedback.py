"""Customer feedback in and out: one message per line or a CSV column;
the labelled rows as CSV."""

from __future__ import annotations

import csv
import io
import sys
from dataclasses import dataclass
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


@dataclass(frozen=True)
class FeedbackTable:
    """The rows as read — every column of a CSV kept, so the labels can be saved beside them."""
    columns: list[str]  # the CSV's header; ["text"] for one message per line
    records: list[dict]
    column: str  # the one holding the feedback

    @property
    def texts(self) -> list[str]:
        return [r.get(self.column) or "" for r in self.records]


def text_column(columns: list[str], records: list[dict]) -> str:
    """The column that holds prose: the most words per row, counting only words with letters
    (ids, dates, ratings and prices have none); the first column when nothing has words."""
    def words(column: str) -> float:
        sample = records[:200]
        return sum(sum(1 for w in (r.get(column) or "").split() if any(c.isalpha() for c in w))
                   for r in sample) / max(1, len(sample))
    return max(columns, key=lambda c: (words(c), -columns.index(c)))


def feedback_table(text: str, column: str | None, is_csv: bool) -> FeedbackTable:
    """The feedback to label: a CSV (its text column unless `column` names one), or one message per line."""
    if not text.strip():
        raise UserError("The file is empty: there is no feedback to analyse.")
    if not is_csv:
        if column:
            raise UserError("--column is for CSV files; this file is read one message per line.")
        return FeedbackTable(["text"], [{"text": line} for line in text.splitlines() if line.strip()], "text")
    columns = csv_columns(text)
    records = list(csv.DictReader(io.StringIO(text)))
    if column is None:
        column = text_column(columns, records)
    if column not in columns:
        raise UserError(f"The CSV has no column “{column}”. Columns: {', '.join(columns)}.")
    return FeedbackTable(columns, records, column)


def labelled_csv(analysis, table: FeedbackTable) -> str:
    """Every input row with every input column, and its label and reason added (blank rows
    were not labelled: their label is empty)."""
    label, reason = ("label", "reason") if "label" not in table.columns else ("sentiment", "sentiment_reason")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([*table.columns, label, reason])
    labelled = iter(analysis.rows)
    for record, text in zip(table.records, table.texts):
        row = next(labelled) if text.strip() else None
        if row is not None and row.text != text.strip():
            raise ValueError("the labels are out of step with the rows")  # a bug, never the user's input
        writer.writerow([record.get(c, "") for c in table.columns]
                        + ([row.label, row.reason] if row else ["", ""]))
    return out.getvalue()
