"""Word-level differences between a passage and its rewrite, for review."""

from __future__ import annotations

import difflib
import html
import re

TOKEN = re.compile(r"\s+|[^\s]+")


def word_diff(old: str, new: str) -> list[tuple[str, str]]:
    """("equal" | "delete" | "insert", text) pieces that turn `old` into `new`."""
    a, b = TOKEN.findall(old), TOKEN.findall(new)
    pieces = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op in ("delete", "replace"):
            pieces.append(("delete", "".join(a[i1:i2])))
        if op in ("insert", "replace"):
            pieces.append(("insert", "".join(b[j1:j2])))
        if op == "equal":
            pieces.append(("equal", "".join(a[i1:i2])))
    return pieces


def diff_html(old: str, new: str) -> str:
    """Deleted words struck through in red, inserted ones underlined in green."""
    styles = {"delete": '<span style="color:#c62828; text-decoration:line-through">{}</span>',
              "insert": '<span style="color:#2e7d32; text-decoration:underline">{}</span>',
              "equal": "{}"}
    body = "".join(styles[op].format(html.escape(text)) for op, text in word_diff(old, new))
    return body.replace("\n", "<br>")
