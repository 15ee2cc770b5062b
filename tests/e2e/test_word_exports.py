"""Word files the app writes, read by LibreOffice Writer as a person's copy would
open them: every numbered list is a real Word list that starts at 1, and the
lines of a draft stay lines."""

from __future__ import annotations

import shutil

import pytest

from desktop_llm.core.drafting.formats import to_docx
from desktop_llm.core.store import History
from desktop_llm.core.store.export import export_conversation
from tests.e2e.test_translation_fidelity import libreoffice

pytestmark = pytest.mark.skipif(not shutil.which("soffice"), reason="needs LibreOffice (make test installs it)")


def as_text(docx_path, tmp_path) -> list[str]:
    made = libreoffice(docx_path, "txt:Text (encoded):UTF8", tmp_path / "profile", tmp_path / "text")
    return [line.strip().lstrip("\ufeff") for line in made.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_a_chat_export_numbers_each_list_from_one(tmp_path):
    history = History(tmp_path / "h.db")
    cid = history.create_conversation(first_message="How do I brew tea?")
    history.add_message(cid, "assistant", "Green tea:\n\n1. Boil water\n2. Wait a minute\n3. Pour\n\n"
                                          "Black tea:\n\n1. Boil water\n2. Pour at once\n")
    out = export_conversation(history, cid, "docx", tmp_path / "brew.docx")
    history.close()
    lines = as_text(out, tmp_path)
    assert lines[lines.index("Green tea:") + 1:][:3] == ["1. Boil water", "2. Wait a minute", "3. Pour"]
    assert lines[lines.index("Black tea:") + 1:][:2] == ["1. Boil water", "2. Pour at once"]  # not 4. and 5.


def test_a_drafts_lines_stay_lines_in_word(tmp_path):
    path = tmp_path / "letter.docx"
    path.write_bytes(to_docx("Dear Ms Green,\n\nThank you for your order.\nIt ships on Monday.\n\nBest,\nAnna"))
    lines = as_text(path, tmp_path)
    assert lines == ["Dear Ms Green,", "Thank you for your order.", "It ships on Monday.", "Best,", "Anna"]
