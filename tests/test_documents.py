"""Documents: read every format into blocks and write them back with the
structure kept (kinds of blocks, code, links, tables); bad files refused."""

import pytest

from desktop_llm.core.documents.readers import read_document
from desktop_llm.core.documents.writers import render
from desktop_llm.core.errors import UserError

CHAPTER = """# Brewing tea

Tea is **steeped**, not *boiled*. See [the guide](https://example.com/tea?x=1&y=2) for more.

## Steps

- Warm the pot
- Add leaves
   - Green: 1 tsp
   - Black: 2 tsp
- Pour water

1. First cup
2. Second cup

> A good cup takes time.

| Tea | Minutes |
| --- | --- |
| Green | 2 |
| Black | 4 |

```python
def brew(minutes):
    return "tea" * minutes  # *not* markdown
```

Use `brew(3)` for a quick cup.
"""


def shape(doc):
    """What must survive a round trip: kinds (with levels), code, links, table shapes."""
    kinds = [(b.kind, b.level if b.kind in ("heading", "list_item") else 0) for b in doc.blocks]
    code = [b.text for b in doc.blocks if b.kind == "code"] + \
        [s.text for b in doc.blocks for s in b.spans if s.code and b.kind != "code"]
    links = [s.link for b in doc.blocks for s in b.spans if s.link]
    tables = {t: [len(r) for r in rows] for t, rows in doc.tables().items()}
    return kinds, code, links, tables


@pytest.fixture
def chapter(tmp_path):
    path = tmp_path / "chapter.md"
    path.write_text(CHAPTER, encoding="utf-8")
    return path


def test_markdown_is_read_into_blocks_with_spans(chapter):
    doc = read_document(chapter)
    kinds, code, links, tables = shape(doc)
    assert kinds[:3] == [("heading", 1), ("paragraph", 0), ("heading", 2)]
    assert ("list_item", 2) in kinds and kinds.count(("list_item", 1)) == 5
    assert links == ["https://example.com/tea?x=1&y=2"]
    assert tables == {0: [2, 2, 2]}
    assert code[0].startswith("def brew(minutes):") and "brew(3)" in code
    para = doc.blocks[1]
    assert [(s.text, s.bold, s.italic) for s in para.spans][:4] == [
        ("Tea is ", False, False), ("steeped", True, False), (", not ", False, False), ("boiled", False, True)]
    assert [b for b in doc.blocks if b.kind == "list_item" and b.text == "First cup"][0].ordered


@pytest.mark.parametrize("fmt", ["md", "html", "docx"])
def test_writing_and_reading_back_keeps_the_structure(chapter, tmp_path, fmt):
    doc = read_document(chapter)
    out = tmp_path / f"out.{fmt}"
    out.write_bytes(render(doc, fmt))
    again = read_document(out)
    assert shape(again) == shape(doc)
    assert [b.text for b in again.blocks] == [b.text for b in doc.blocks]


def test_plain_text_and_other_encodings(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_bytes("Première ligne, café.\n\nDeuxième paragraphe, très long et français.".encode("cp1252"))
    doc = read_document(path)
    assert [b.text for b in doc.blocks] == ["Première ligne, café.", "Deuxième paragraphe, très long et français."]
    assert render(doc, "txt").decode() == "Première ligne, café.\n\nDeuxième paragraphe, très long et français.\n"


def test_pdf_text_is_read(tmp_path):
    pypdf = pytest.importorskip("pypdf")
    writer = pypdf.PdfWriter()
    writer.add_blank_page(200, 200)
    path = tmp_path / "blank.pdf"
    with open(path, "wb") as f:
        writer.write(f)
    with pytest.raises(UserError, match="no text layer"):
        read_document(path)
    writer.encrypt("secret")
    locked = tmp_path / "locked.pdf"
    with open(locked, "wb") as f:
        writer.write(f)
    with pytest.raises(UserError, match="password-protected"):
        read_document(locked)


@pytest.mark.parametrize("name,data,message", [
    ("empty.md", b"", "is empty"),
    ("photo.txt", b"\x89PNG\r\n\x1a\n\0\0\0IHDR", "not a text file"),
    ("report.docx", b"PK\x03\x04 not really a zip", "damaged or not a Word document"),
    ("report.pdf", b"%PDF-1.4 garbage", "damaged or not a PDF"),
    ("slides.pptx", b"whatever", "not supported"),
])
def test_bad_files_are_refused_clearly(tmp_path, name, data, message):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(UserError, match=message):
        read_document(path)
