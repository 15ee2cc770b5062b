"""A translated document keeps everything but its words, checked with an independent
reader (pandoc's document tree) on files made by the tools people use: Markdown
with every common construct, and a Word file saved by LibreOffice Writer (real
numbering, footnotes, an embedded image, hyperlinks). The real starter model
translates: its words are poor, the structure must still be whole."""

from __future__ import annotations

import json
import re
import shutil
import struct
import subprocess
import zlib
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import run_cli, set_settings

pytestmark = pytest.mark.skipif(not (shutil.which("pandoc") and shutil.which("soffice")),
                                reason="needs pandoc and LibreOffice (make test installs them)")

NEWSLETTER = """\
---
title: Spring newsletter
---

# Spring newsletter

Our **garden club** meets every *Saturday* at the ~~old~~ new hall. Read the
[full schedule](https://example.org/club?season=spring|summer#dates "Schedule") before you come.[^when]

![A watering can on a wooden bench](can.png)

## What to bring

3. A pair of gloves
4. Seeds to swap, labelled with `name-and-year`
   - tomatoes
   - beans

- Water in a bottle
- A friend who likes soil

> Gardening is the slowest way to learn patience.

| Plant | Weeks | Notes |
|-------|------:|-------|
| Basil | 6 | Needs *full* sun |
| Mint | 4 | Keep it in a pot |

```python
def water(days):
    return "every " + str(days) + " days"
```

Questions? Write to <mailto:club@example.org> or see [our page][home].

[home]: https://example.org/club
[^when]: Meetings start at nine in the morning.
"""


def png(width: int = 4, height: int = 3) -> bytes:
    """A small real PNG (red pixels)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\0" + b"\xff\0\0" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def tree(path: Path) -> dict:
    """What pandoc finds in a file: counts of each element, and the things that must
    come back byte for byte (addresses, image sources, code, list start numbers)."""
    ast = json.loads(subprocess.run(["pandoc", str(path), "-t", "json"], capture_output=True, check=True).stdout)
    counts: Counter = Counter()
    exact: dict[str, list] = {"links": [], "images": [], "code": [], "code blocks": [], "list starts": []}

    def walk(x) -> None:
        if isinstance(x, dict):
            t, c = x.get("t"), x.get("c")
            if t in ("Header", "Image", "Link", "Note", "CodeBlock", "Code", "Table", "BlockQuote"):
                counts[t] += 1
            if t == "BulletList":
                counts["bullet items"] += len(c)
            elif t == "OrderedList":
                counts["numbered items"] += len(c[1])
                exact["list starts"].append(c[0][0])
            elif t == "Link":
                exact["links"].append(c[2][0])
            elif t == "Image":
                exact["images"].append(c[2][0])
            elif t == "Code":
                exact["code"].append(c[1])
            elif t == "CodeBlock":
                exact["code blocks"].append(c[1])
            elif t == "Table":
                counts["cells"] += table_cells(c)
            elif t == "DefinitionList":
                counts["definitions"] += len(c)
            elif t == "HorizontalRule":
                counts["rules"] += 1
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)

    walk(ast["blocks"])
    return {"counts": dict(counts), **exact}


def table_cells(table: list) -> int:
    """A pandoc table's cells: [attr, caption, colspecs, head, bodies, foot]; rows are [attr, cells]."""
    _, _, _, head, bodies, foot = table
    rows = head[1] + foot[1] + [row for body in bodies for row in body[2] + body[3]]
    return sum(len(row[1]) for row in rows)


@pytest.fixture
def newsletter(tmp_path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "can.png").write_bytes(png())
    path = folder / "newsletter.md"
    path.write_text(NEWSLETTER, encoding="utf-8")
    return path


def libreoffice(source: Path, to: str, profile: Path, folder: Path | None = None) -> Path:
    """Convert with LibreOffice Writer, headless, as a person's own copy would save it."""
    folder = folder or source.parent
    folder.mkdir(exist_ok=True)
    subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", to,
                    "--outdir", str(folder), str(source)], check=True, capture_output=True, timeout=180)
    made = folder / (source.stem + "." + to.split(":")[0])
    assert made.exists(), f"LibreOffice did not write {made.name}"
    return made


def translate(path: Path, home: Path) -> dict:
    run = run_cli("translate", str(path), "--to", "es", "--json", home=home, timeout=600)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def assert_kept(source: Path, output: Path, report: dict) -> None:
    before, after = tree(source), tree(output)
    assert after == before
    assert before["counts"]["Image"] == 1 and before["counts"]["Note"] == 1 and before["counts"]["Link"] >= 3
    assert before["counts"]["cells"] == 9
    assert report["structure_lost"] == [], report["structure"]
    assert all(count_in == count_out for count_in, count_out in report["structure"].values()), report["structure"]


def test_markdown_translation_changes_only_the_words(newsletter, app_home):
    set_settings(app_home, n_ctx=1024)
    report = translate(newsletter, app_home)
    output = Path(report["output"])
    assert output.name == "newsletter.es.md"
    assert_kept(newsletter, output, report)
    text = output.read_text(encoding="utf-8")
    # Everything that is not words is there byte for byte.
    assert re.search(r"!\[[^\]]+\]\(can\.png\)", text)  # the image, its description in words
    for line in ("---\ntitle: Spring newsletter\n---",
                 '(https://example.org/club?season=spring|summer#dates "Schedule")', "3. ", "4. ",
                 "`name-and-year`", "|-------|------:|-------|", "[home]: https://example.org/club",
                 '    return "every " + str(days) + " days"', "<mailto:club@example.org>", "[^when]: "):
        assert line in text, line


def test_word_file_saved_by_libreoffice_keeps_numbering_notes_images_and_links(newsletter, app_home, tmp_path):
    set_settings(app_home, n_ctx=1024)
    profile = tmp_path / "lo-profile"
    odt = newsletter.with_suffix(".odt")
    subprocess.run(["pandoc", newsletter.name, "-o", odt.name], cwd=newsletter.parent, check=True)
    docx = libreoffice(odt, "docx:MS Word 2007 XML", profile)
    report = translate(docx, app_home)
    output = Path(report["output"])
    assert output.name == "newsletter.es.docx"
    assert_kept(docx, output, report)
    # Numbering is Word's own (w:numPr), and the output opens in LibreOffice.
    assert b"w:numPr" in subprocess.run(["unzip", "-p", str(output), "word/document.xml"],
                                        capture_output=True).stdout
    assert libreoffice(output, "pdf", profile).stat().st_size > 1000


def test_opendocument_saved_by_libreoffice_keeps_lists_notes_images_and_links(newsletter, app_home, tmp_path):
    set_settings(app_home, n_ctx=1024)
    profile = tmp_path / "lo-profile"
    subprocess.run(["pandoc", newsletter.name, "-o", "newsletter.docx"], cwd=newsletter.parent, check=True)
    odt = libreoffice(newsletter.with_suffix(".docx"), "odt", profile, newsletter.parent / "saved")
    (odt.parent / "can.png").write_bytes(png())
    report = translate(odt, app_home)
    output = Path(report["output"])
    assert output.name == "newsletter.es.odt"
    assert_kept(odt, output, report)
    assert libreoffice(output, "pdf", profile).stat().st_size > 1000


PAGE = """\
<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Garden club</title>
<style>td { padding: 4px; }</style></head>
<body>
<h1>Garden club</h1>
<p>We meet on <strong>Saturdays</strong> at the <a href="https://example.org/hall?room=2#map">village hall</a>.<br>
Bring <em>gloves</em> and <code>seed-list.txt</code>. <img src="can.png" alt="A watering can"></p>
<div>Text straight in a division is read too.</div>
<ol start="5"><li>Dig the bed</li><li>Sow the <span translate="no">Basilico Genovese</span> seeds</li></ol>
<dl><dt>Compost</dt><dd>Old leaves that feed the soil.</dd></dl>
<hr>
<table><tr><th>Plant</th><th>Weeks</th></tr><tr><td>Basil</td><td>6</td></tr></table>
<pre><code>water --every 3 --days</code></pre>
<!-- kept as it is -->
</body></html>
"""


def test_web_page_translation_replaces_only_text(tmp_path, app_home):
    set_settings(app_home, n_ctx=1024)
    page = tmp_path / "club.html"
    page.write_text(PAGE, encoding="utf-8")
    report = translate(page, app_home)
    output = Path(report["output"])
    before, after = tree(page), tree(output)
    assert after == before and before["counts"]["Image"] == 1 and before["list starts"] == [5]
    assert before["counts"]["cells"] == 4 and before["counts"]["definitions"] == 1 and before["counts"]["rules"] == 1
    assert report["structure_lost"] == []
    text = output.read_text(encoding="utf-8")
    assert re.search(r'<img src="can.png" alt="[^"]+">', text)
    for kept in ('<a href="https://example.org/hall?room=2#map">',
                 '<span translate="no">Basilico Genovese</span>', "<code>seed-list.txt</code>", "<hr>",
                 "<pre><code>water --every 3 --days</code></pre>", "<!-- kept as it is -->",
                 "<style>td { padding: 4px; }</style>", '<ol start="5">', "<td>6</td>"):
        assert kept in text, kept


REPORT = """\
# Harvest report

The orchard gave more apples this year than in any of the last five years. The rain came early in
spring, the frost stayed away in May, and the new rows planted three years ago bore their first fruit.

## What went well

- The pickers finished a week early
- Every crate was sold at the market
- The cider press worked without a fault

## What to change

Next year the club will buy a second ladder, repair the fence on the north side and ask the village
school to help with the pressing day, which the children enjoyed very much this autumn.
"""


def test_a_pdf_is_read_into_headings_paragraphs_and_list_items_not_pages(tmp_path):
    from desktop_llm.core.documents.readers import read_document

    source = tmp_path / "report.md"
    source.write_text(REPORT, encoding="utf-8")
    subprocess.run(["pandoc", source.name, "-o", "report.odt"], cwd=tmp_path, check=True)
    pdf = libreoffice(tmp_path / "report.odt", "pdf", tmp_path / "lo-profile")
    doc = read_document(pdf)
    kinds = [(b.kind, b.level) for b in doc.blocks]
    assert kinds == [("heading", 1), ("paragraph", 0), ("heading", 2), ("list_item", 1), ("list_item", 1),
                     ("list_item", 1), ("heading", 2), ("paragraph", 0)], [(k, b.text[:30]) for k, b in
                                                                           zip(kinds, doc.blocks)]
    assert doc.blocks[1].text.startswith("The orchard gave") and doc.blocks[1].text.endswith("first fruit.")
    assert doc.blocks[4].text == "Every crate was sold at the market"
