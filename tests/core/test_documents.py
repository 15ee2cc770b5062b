"""Documents: read every format into blocks and write them back with the
structure kept (kinds of blocks, code, links, tables); bad files refused."""

import pytest

from desktop_llm.core.documents.model import Block, Document, Span
from desktop_llm.core.documents.readers import read_document
from desktop_llm.core.documents.writers import render, save_document
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


@pytest.mark.parametrize("fmt", ["md", "html", "docx", "odt"])
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
    # Locked with an empty password: any viewer opens it without asking, and so does the app.
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(str(tmp_path / "blank.pdf")))
    writer.encrypt("", owner_password="owner")
    open_to_all = tmp_path / "open.pdf"
    with open(open_to_all, "wb") as f:
        writer.write(f)
    with pytest.raises(UserError, match="no text layer"):  # opened: it is the blank page, not a lock
        read_document(open_to_all)


@pytest.mark.parametrize("name,data,message", [
    ("empty.md", b"", "is empty"),
    ("photo.txt", b"\x89PNG\r\n\x1a\n\0\0\0IHDR", "not a text file"),
    ("report.docx", b"PK\x03\x04 not really a zip", "damaged or not a Word document"),
    ("report.pdf", b"%PDF-1.4 garbage", "damaged or not a PDF"),
    ("notes.odt", b"PK\x03\x04 not really a zip", "damaged or not an OpenDocument text"),
    ("slides.pptx", b"whatever", "not supported"),
])
def test_bad_files_are_refused_clearly(tmp_path, name, data, message):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(UserError, match=message):
        read_document(path)


def test_an_odt_made_by_libreoffice_is_read_with_the_structure_kept(chapter):
    """tests/data/chapter-libreoffice.odt: the chapter opened in LibreOffice Writer and saved as .odt."""
    from pathlib import Path

    made = read_document(Path(__file__).parents[1] / "data" / "chapter-libreoffice.odt")
    original = read_document(chapter)
    assert shape(made) == shape(original)
    assert [b.text for b in made.blocks] == [b.text for b in original.blocks]


def test_an_odt_written_the_way_libreoffice_writes_it_is_read_into_blocks(tmp_path, chapter):
    from odf.opendocument import OpenDocumentText
    from odf.style import Style, TextProperties
    from odf.teletype import addTextToElement
    from odf.text import A, H, List, ListItem, ListLevelStyleNumber, ListStyle, P, Span

    document = OpenDocumentText()
    auto = document.automaticstyles
    bold = Style(name="T1", family="text")
    bold.addElement(TextProperties(fontweight="bold"))
    code = Style(name="P1", family="paragraph", parentstylename="Preformatted_20_Text")
    numbers = ListStyle(name="L1")
    for level in (1, 2):
        numbers.addElement(ListLevelStyleNumber(level=level, numformat="1"))
    for style in (bold, code, numbers):
        auto.addElement(style)
    document.text.addElement(H(outlinelevel=2, text="Steps"))
    para = P(text="Steep ")
    para.addElement(Span(stylename="T1", text="gently"))
    para.addElement(A(href="https://example.com/tea", type="simple", text=" guide"))
    para.addElement(Span(stylename="Source_20_Text", text="brew(3)"))
    document.text.addElement(para)
    outer = List(stylename="L1")
    item = ListItem()
    item.addElement(P(text="Warm the pot"))
    inner = List()  # no style of its own: the outer list's level 2 applies
    inner_item = ListItem()
    inner_item.addElement(P(text="Rinse it"))
    inner.addElement(inner_item)
    item.addElement(inner)
    outer.addElement(item)
    document.text.addElement(outer)
    for line in ("def brew(n):", "    return n"):
        p = P(stylename="P1")
        addTextToElement(p, line)
        document.text.addElement(p)
    path = tmp_path / "libre.odt"
    document.save(str(path))
    doc = read_document(path)
    assert [(b.kind, b.level, b.ordered) for b in doc.blocks] == [
        ("heading", 2, False), ("paragraph", 0, False), ("list_item", 1, True), ("list_item", 2, True),
        ("code", 0, False)]
    assert [(s.text, s.bold, s.code, s.link) for s in doc.blocks[1].spans] == [
        ("Steep ", False, False, None), ("gently", True, False, None), (" guide", False, False, "https://example.com/tea"),
        ("brew(3)", False, True, None)]
    assert doc.blocks[4].text == "def brew(n):\n    return n"  # the lines and their indent, as one block
    docx_named_odt = tmp_path / "renamed.odt"
    docx_named_odt.write_bytes(render(read_document(chapter), "docx"))
    with pytest.raises(UserError, match="not an OpenDocument text"):
        read_document(docx_named_odt)


# -- chunking and summaries ------------------------------------------------------------
def long_report(paragraphs=48) -> str:
    topics = ["sales", "hiring", "the new office", "customer support", "the tea supplier", "shipping"]
    return "\n\n".join(
        f"Section {i}: In week {i} the team reviewed {topics[i % len(topics)]}. Revenue was {1000 + 37 * i} euros, "
        f"{i % 5 + 1} customers complained about delays, and the manager decided to "
        f"{['hire', 'wait', 'spend', 'save'][i % 4]} "
        f"before the next review. Notes mention {topics[(i + 2) % len(topics)]} and a plan for week {i + 1}."
        for i in range(paragraphs))


def test_chunks_follow_block_boundaries_and_fit_the_budget():
    from desktop_llm.core.documents.chunking import chunk_blocks
    from desktop_llm.core.documents.readers import read_text

    doc = read_text(long_report(20) + "\n\n" + "word " * 400)

    def count(text):
        return len(text.split())

    chunks = chunk_blocks(doc.blocks, count, 120)
    assert all(sum(count(b.text) + 2 for b in chunk) <= 120 for chunk in chunks)
    assert [b.text for chunk in chunks for b in chunk][:20] == [b.text for b in doc.blocks][:20]  # order kept
    assert " ".join(b.text for chunk in chunks for b in chunk[-1:]).count("word") > 0  # the long block was split


def test_a_document_larger_than_the_context_is_summarized_part_by_part(core, tmp_path):
    from desktop_llm.core.events import Finished, Progress

    path = tmp_path / "report.md"
    path.write_text(long_report(), encoding="utf-8")
    doc = read_document(path)
    job = core.summarizer.summarize(doc, core.resolve_model(), style="bullets", length="short")
    events = list(job.events())
    assert isinstance(events[-1], Finished), events[-1]
    summary = events[-1].result
    assert summary.input_tokens > 2 * 1024  # several times the test context
    parts = {e.done for e in events if isinstance(e, Progress) and e.label.startswith("Summarizing part")
             and "round" not in e.label}
    first_round = max(int(e.label.split(" of ")[1].split()[0].rstrip(",:")) for e in events
                      if isinstance(e, Progress) and e.label.startswith("Summarizing part") and "round" not in e.label)
    assert parts == set(range(first_round)) and first_round >= 3  # every part was summarized
    assert summary.chunks >= first_round and summary.text.strip()
    labels = [e.label for e in events if isinstance(e, Progress)]
    assert any(label.startswith("Summarizing part 1 of") and ": reading it," in label for label in labels)
    assert any(label.startswith("Summarizing part 1 of") and ": writing, 8 of at most" in label for label in labels)


def test_repetition_is_found_and_taken_out():
    from desktop_llm.core.repetition import repetitive, without_repeats

    loop = "- Tea is grown on hills.\n" + "- The report covers tea.\n" * 12
    assert repetitive(loop) and repetitive("Sales rose. " * 3)
    assert not repetitive("Sales rose in May. Costs fell in June. The team grew.")
    assert not repetitive("- Costs\n- Sales\n- Costs\n- Sales")  # short list items are not sentences
    assert without_repeats(loop) == "- Tea is grown on hills.\n- The report covers tea."


def test_a_summary_that_repeats_itself_is_written_again_or_cleaned_and_told(core):
    """The starter model is held to a loop by a grammar (on the retry too); what comes back does
    not repeat, and the user is told that the repeats were taken out."""
    from desktop_llm.core.documents.summary_steps import written
    from desktop_llm.core.engine import GenerationParams
    from desktop_llm.core.events import Finished, Progress
    from desktop_llm.core.repetition import repetitive

    messages = [{"role": "user", "content": "Summarize: the tea harvest was good this year."}]
    loop = 'root ::= "The harvest was good.\\n" ("The tea harvest was good.\\n"){12}'
    params = GenerationParams(max_tokens=150, temperature=0, grammar=loop)
    notes: list[str] = []

    def job(ctx):
        yield from ctx.engine_for(core.resolve_model())
        yield Finished((yield from written(ctx, messages, params, None, notes)))
    events = list(core.host.submit(job).events())
    text = events[-1].result
    assert text == "The harvest was good.\nThe tea harvest was good." and not repetitive(text)
    assert any(isinstance(e, Progress) and "repeated itself" in e.label for e in events)  # tried again
    assert "repeated sentences were taken out" in notes[0]


def test_summarize_cli_json_and_bad_input(app_home, capsys, tmp_path):
    from tests.core.test_models_hub import run_cli

    notes = tmp_path / "notes.txt"
    notes.write_text("The shop opens at nine. Tea tastings are on Fridays. Bring a friend.", encoding="utf-8")
    code, out, err = run_cli(capsys, "summarize", str(notes), "--style", "tldr", "--json")
    assert code == 0, err
    import json

    result = json.loads(out)
    assert set(result) == {"summary", "chunks", "input_tokens", "seconds", "notes"} and result["summary"]
    assert "Reading the document" in err  # no terminal: progress as lines on stderr, stdout only the answer
    out_file = tmp_path / "summary.txt"
    code, _, err = run_cli(capsys, "summarize", str(notes), "-o", str(out_file), "--progress", "json")
    assert code == 0 and out_file.read_text().strip()
    steps = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert any(step["label"] == "Writing the summary" for step in steps)
    assert all(set(step) == {"progress", "total", "label"} for step in steps)
    code, _, err = run_cli(capsys, "summarize", str(notes), "--progress", "none", "--json")
    assert code == 0 and err == ""
    bad = tmp_path / "broken.docx"
    bad.write_bytes(b"PK not a docx")
    code, _, err = run_cli(capsys, "summarize", str(bad), "-o", str(tmp_path / "never.txt"))
    assert code == 1 and "damaged" in err and not (tmp_path / "never.txt").exists()
    before = notes.read_bytes()
    code, _, err = run_cli(capsys, "summarize", str(notes), "-o", str(notes))  # the window refuses it too
    assert code == 1 and "the document itself" in err and notes.read_bytes() == before


# -- translation ----------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["md", "docx", "odt"])
def test_translation_keeps_structure_code_links_and_tables(core, chapter, tmp_path, fmt):
    from desktop_llm.core.documents.translate import translatable
    from desktop_llm.core.events import Finished

    source = tmp_path / f"chapter.{fmt}"
    if fmt != "md":
        source.write_bytes(render(read_document(chapter), fmt))
    else:
        source = chapter
    original = source.read_bytes()
    doc = read_document(source)
    job = core.translator.translate(source, doc, core.resolve_model(), "es")
    last = list(job.events())[-1]
    assert isinstance(last, Finished), last
    result = last.result
    assert result.output == tmp_path / f"chapter.es.{fmt}" and source.read_bytes() == original
    translated = read_document(result.output)
    kinds, code, links, tables = shape(doc)
    assert shape(translated)[0] == kinds  # the same sequence of block kinds
    assert [b.text for b in translated.blocks if b.kind == "code"] == [b.text for b in doc.blocks if b.kind == "code"]
    assert shape(translated)[3] == tables
    assert set(shape(translated)[2]) == set(links)  # URLs copied exactly, never invented or lost
    assert sorted(set(shape(translated)[1])) == sorted(set(code))  # inline code too
    assert result.translated_blocks == sum(1 for b in doc.blocks if translatable(b))
    assert not list(tmp_path.glob("*.translation.json"))


def test_inline_code_and_links_the_model_leaves_out_are_put_back():
    from desktop_llm.core.documents.readers import read_markdown
    from desktop_llm.core.documents.translate import from_marked, to_marked

    block = read_markdown("Call `steep(2)` for a [cup](https://x.org/a?b=1). Then `go`.").blocks[0]
    marked, holes = to_marked(block)
    assert marked == "Call ⟦1⟧ for a [cup](⟦2⟧). Then ⟦3⟧." and holes == ["steep(2)", "https://x.org/a?b=1", "go"]
    whole = from_marked(block, "Llame ⟦1⟧ para una [taza](⟦2⟧). Luego ⟦3⟧.", holes)
    assert [(s.text, s.code, s.link) for s in whole.spans if s.code or s.link] == [
        ("steep(2)", True, None), ("taza", False, "https://x.org/a?b=1"), ("go", True, None)]
    invented = from_marked(block, "Llame ⟦1⟧ para una [taza](⟦2⟧) y [más](#). Luego ⟦3⟧.", holes)
    assert {s.link for s in invented.spans if s.link} == {"https://x.org/a?b=1"} and "y más." in invented.text
    bare = from_marked(block, "Llame ⟦1⟧ para una taza ⟦2⟧. Luego ⟦3⟧.", holes)  # the address outside a link
    assert [(s.text, s.link) for s in bare.spans if s.link] == [("cup", "https://x.org/a?b=1")]
    misplaced = from_marked(block, "Llame [esto](⟦1⟧) para una [taza](⟦2⟧). Luego ⟦3⟧.", holes)
    assert sorted(s.text for s in misplaced.spans if s.code) == ["go", "steep(2)"]  # code is not an address
    assert {s.link for s in misplaced.spans if s.link} == {"https://x.org/a?b=1"}
    careless = from_marked(block, "Llame para una taza. Luego ⟦3⟧.", holes)
    assert careless.text.startswith("Llame para una taza. Luego go.")
    assert [(s.text, s.code, s.link) for s in careless.spans if s.code or s.link] == [
        ("go", True, None), ("steep(2)", True, None), ("cup", False, "https://x.org/a?b=1")]


def test_a_cancelled_translation_resumes_with_finished_blocks_kept(core, chapter, tmp_path):
    from desktop_llm.core.events import Failed, Finished, Progress

    doc = read_document(chapter)
    job = core.translator.translate(chapter, doc, core.resolve_model(), "French")
    for event in job.events():
        if isinstance(event, Progress) and event.done >= 3:
            job.cancel()
    assert isinstance(event, Failed)
    state = tmp_path / "chapter.fr.md.translation.json"
    assert state.exists() and not (tmp_path / "chapter.fr.md").exists()
    kept = len(__import__("json").loads(state.read_text())["blocks"])
    assert kept >= 3
    last = list(core.translator.translate(chapter, doc, core.resolve_model(), "fr").events())[-1]
    assert isinstance(last, Finished)
    from desktop_llm.core.documents.translate import translatable

    total = sum(1 for b in doc.blocks if translatable(b))
    assert last.result.translated_blocks == total - kept  # only the unfinished blocks were sent


def test_translate_cli_glossary_and_bad_input(app_home, capsys, chapter, tmp_path):
    import json

    from tests.core.test_models_hub import run_cli

    glossary = tmp_path / "glossary.csv"
    glossary.write_text("term,translation\ntea,XQZ\nsamovar,samowar\n", encoding="utf-8")
    code, out, err = run_cli(capsys, "translate", str(chapter), "--to", "de", "--glossary", str(glossary), "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["output"].endswith("chapter.de.md") and result["blocks"] == len(read_document(chapter).blocks)
    assert all(m.startswith("tea → XQZ") for m in result["glossary_misses"])  # samovar is not in the text
    code, _, err = run_cli(capsys, "translate", str(chapter), "--to", "Klingon")
    assert code == 1 and "Unknown language" in err
    code, _, err = run_cli(capsys, "translate", str(chapter), "--to", "es", "-o", str(chapter))
    assert code == 1 and "the document itself" in err


def test_the_source_language_is_detected_and_a_document_already_in_the_target_refused(core, tmp_path):
    from desktop_llm.core.documents.language import detect_language
    from desktop_llm.core.events import Failed

    assert detect_language("The pot is warmed before the leaves go in, and the water is poured slowly.") == "en"
    assert detect_language("La tetera se calienta antes de poner las hojas y el agua se vierte despacio.") == "es"
    assert detect_language("Die Kanne wird vorgewärmt, bevor die Blätter hineinkommen.") == "de"
    assert detect_language("12 34") == ""  # nothing to tell from
    spanish = tmp_path / "receta.md"
    spanish.write_text("# Té\n\nLa tetera se calienta antes de poner las hojas y el agua se vierte despacio.\n",
                       encoding="utf-8")
    doc = read_document(spanish)
    last = list(core.translator.translate(spanish, doc, core.resolve_model(), "es").events())[-1]
    assert isinstance(last, Failed) and "already seems to be in Spanish" in last.user_message
    assert not (tmp_path / "receta.es.md").exists()


def test_blocks_arrive_one_by_one_and_one_block_can_be_translated_again(core, chapter):
    from desktop_llm.core.documents.translate import TranslatedBlock, edited_block
    from desktop_llm.core.documents.writers import block_markdown
    from desktop_llm.core.events import Finished, Partial

    doc = read_document(chapter)
    events = list(core.translator.translate(chapter, doc, core.resolve_model(), "it").events())
    pieces = [e.piece for e in events if isinstance(e, Partial)]
    assert all(isinstance(p, TranslatedBlock) for p in pieces)
    assert [p.index for p in pieces] == list(range(len(doc.blocks)))  # every block, in order
    result = events[-1].result
    assert result.source_language == "en" and result.as_dict()["source_language"] == "en"
    assert [p.block for p in pieces] == result.document.blocks
    paragraph = 1
    job = core.translator.retranslate(doc.blocks[paragraph], core.resolve_model(), "it", "en")
    last = list(job.events())[-1]
    assert isinstance(last, Finished), last
    block, misses = last.result
    assert block.kind == "paragraph" and misses == []
    assert {s.link for s in block.spans if s.link} <= {"https://example.com/tea?x=1&y=2"}
    with pytest.raises(UserError, match="copied as they are"):
        core.translator.retranslate(next(b for b in doc.blocks if b.kind == "code"), core.resolve_model(), "it")
    # a person's edit keeps the block's kind and reads the inline marks back
    heading = doc.blocks[0]
    edited = edited_block(heading, "Preparare il **tè** con [la guida](https://example.com/tea?x=1&y=2)")
    assert edited.kind == "heading" and edited.level == 1
    assert [(s.text, s.bold, s.link) for s in edited.spans] == [
        ("Preparare il ", False, None), ("tè", True, None), (" con ", False, None),
        ("la guida", False, "https://example.com/tea?x=1&y=2")]
    assert edited_block(heading, block_markdown(doc.blocks[1])).spans == doc.blocks[1].spans


def test_saving_a_document_keeps_the_original_and_knows_its_formats(chapter, tmp_path):
    from desktop_llm.core.documents.writers import save_document

    doc = read_document(chapter)
    original = chapter.read_bytes()
    with pytest.raises(UserError, match="original"):
        save_document(doc, chapter, source=chapter)
    with pytest.raises(UserError, match=r"\.docx, \.odt, \.md, \.html or \.txt"):
        save_document(doc, tmp_path / "out.pdf")
    for name in ("out.docx", "out.odt"):
        save_document(doc, tmp_path / name, source=chapter)
        assert shape(read_document(tmp_path / name)) == shape(doc)
    assert chapter.read_bytes() == original


def test_a_summary_continues_as_a_conversation(core):
    from desktop_llm.core.documents.summarize import Summary, summary_conversation

    summary = Summary("- Tea is steeped.\n- Green takes 2 minutes.", 3, 5400, 12.0)
    conversation_id = summary_conversation(core.history, summary, "report.pdf", "starter")
    conversation = core.history.get_conversation(conversation_id)
    messages = core.history.messages(conversation_id)
    assert conversation.title == "Summary of report.pdf"
    assert [(m.role, m.content) for m in messages] == [("user", "Summarize report.pdf."),
                                                       ("assistant", summary.text)]


@pytest.mark.parametrize("suffix", ["docx", "odt"])
def test_a_zip_bomb_is_refused_within_a_few_mb(tmp_path, suffix):
    """A few hundred KB that would expand to 300 MB: refused from the archive's directory,
    as too large when expanded (not 'damaged'), without expanding it."""
    import tracemalloc
    import zipfile

    from desktop_llm.core.documents.model import Block, Document, Span
    from desktop_llm.core.documents.writers import render

    bomb = tmp_path / f"bomb.{suffix}"
    bomb.write_bytes(render(Document([Block("paragraph", (Span("Tea"),))]), suffix))
    with zipfile.ZipFile(bomb, "a", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("content-extra.xml", "w", force_zip64=True) as part:
            zeros = b"\0" * (1 << 20)
            for _ in range(300):
                part.write(zeros)
    assert bomb.stat().st_size < 2 << 20
    tracemalloc.start()
    try:
        with pytest.raises(UserError, match="too large when expanded") as caught:
            read_document(bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "damaged" not in caught.value.message and peak < 8 << 20


def test_html_text_outside_paragraphs_is_kept():
    """Text directly in <div>, <section>, <article> and <body>, beside inline marks and
    after a nested list, each becomes a block; nothing visible is lost."""
    from desktop_llm.core.documents.readers import read_html

    page = ("<html><head><title>Not shown</title><style>p{}</style></head><body>"
            "Opening words in the body."
            "<div>A <b>bold</b> idea in a div.<p>A real paragraph.</p>Words after it.</div>"
            "<section>Section text with a <a href='https://tea.example'>link</a>.</section>"
            "<article><h2>Title</h2>Article text.</article>"
            "<ul><li>One<ul><li>Inner</li></ul>Back in one</li><li>Two<li>Three</ul>"
            "<blockquote>Quoted words</blockquote><table><tr><td>A<td>B<tr><td>C</table>"
            "<pre><code class='language-python'>print('tea')\n</code></pre>"
            "<script>var hidden = 1;</script>Closing words.</body></html>")
    doc = read_html(page)
    got = [(b.kind, b.text) for b in doc.blocks]
    assert got == [
        ("paragraph", "Opening words in the body."), ("paragraph", "A bold idea in a div."),
        ("paragraph", "A real paragraph."), ("paragraph", "Words after it."),
        ("paragraph", "Section text with a link."), ("heading", "Title"), ("paragraph", "Article text."),
        ("list_item", "One"), ("list_item", "Inner"), ("list_item", "Back in one"), ("list_item", "Two"),
        ("list_item", "Three"), ("quote", "Quoted words"), ("table_cell", "A"), ("table_cell", "B"),
        ("table_cell", "C"), ("code", "print('tea')"), ("paragraph", "Closing words.")]
    assert [b.level for b in doc.blocks if b.kind == "list_item"] == [1, 2, 1, 1, 1]
    assert [b.cell for b in doc.blocks if b.kind == "table_cell"] == [(0, 0, 0), (0, 0, 1), (0, 1, 0)]
    assert any(s.bold and s.text == "bold" for s in doc.blocks[1].spans)
    assert any(s.link == "https://tea.example" for s in doc.blocks[4].spans)
    assert next(b for b in doc.blocks if b.kind == "code").language == "python"


def test_html_nested_ten_thousand_deep_loses_nothing():
    from desktop_llm.core.documents.readers import read_html

    depth = 10_000
    page = "<body>" + "<div>" * depth + "deep text" + "</div>" * depth + "<p>after</p>" + "<div>" * depth + \
           "unclosed at the end"
    assert [b.text for b in read_html(page).blocks] == ["deep text", "after", "unclosed at the end"]


def test_an_html_page_translates_every_paragraph(core, tmp_path):
    """The repro: five paragraphs, two of them directly in a <div> and a <section>."""
    from desktop_llm.core.events import Finished

    page = tmp_path / "page.html"
    page.write_text("<html><body><p>First tea.</p><div>Second tea, in a div.</div><p>Third tea.</p>"
                    "<section>Fourth tea, in a section.</section><p>Fifth tea.</p></body></html>", encoding="utf-8")
    doc = read_document(page)
    assert len(doc.blocks) == 5
    events = list(core.translator.translate(page, doc, core.resolve_model(), "es", "en").events())
    result = events[-1].result if isinstance(events[-1], Finished) else None
    assert result is not None and result.translated_blocks == 5
    assert len(read_document(result.output).blocks) == 5


def test_a_paragraph_longer_than_the_context_is_translated_and_summarized(app_home, tmp_path):
    """One paragraph of ~750 tokens with a context of 640: translated in pieces of whole
    sentences joined back into one block, summarized in parts; no state file is left."""
    import time

    from desktop_llm.core.app import AppCore
    from desktop_llm.core.documents.chunking import split_text
    from desktop_llm.core.events import Finished
    from tests.conftest import set_settings

    set_settings(app_home, n_ctx=640)
    core = AppCore()
    sentences = [f"On day {i} the team tasted a new green tea and wrote down its colour." for i in range(46)]
    source = tmp_path / "diary.md"
    source.write_text("# Diary\n\n" + " ".join(sentences) + "\n", encoding="utf-8")
    doc = read_document(source)
    assert len(doc.blocks) == 2
    started = time.perf_counter()
    pieces = split_text(" ".join(sentences * 100), lambda t: len(t.split()), 300)  # 8,000 sentences
    assert time.perf_counter() - started < 2 and all(len(p.split()) <= 300 for p in pieces)
    assert " ".join(pieces).split() == " ".join(sentences * 100).split()  # nothing lost or repeated
    events = list(core.translator.translate(source, doc, core.resolve_model(), "es", "en").events())
    assert isinstance(events[-1], Finished), events[-1]
    result = events[-1].result
    assert result.translated_blocks == 2 and len(read_document(result.output).blocks) == 2
    assert not list(tmp_path.glob("*.translation.json"))
    summary = core.summarizer.summarize(doc, core.resolve_model(), "tldr", "short").result()
    assert summary.chunks >= 2 and summary.text
    core.close()


def test_a_repaired_pdf_does_not_print_pypdf_notes(tmp_path, capfd):
    """pypdf notes what it repairs ('incorrect startxref pointer'); that goes to the log, not
    to the terminal ahead of the app's own message."""
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    buffer = io.BytesIO()
    writer.write(buffer)
    data = buffer.getvalue()
    damaged = tmp_path / "scan.pdf"
    damaged.write_bytes(data[:data.rfind(b"startxref")] + b"startxref\n999999\n%%EOF\n")
    with pytest.raises(UserError, match="OCR|no text"):
        read_document(damaged)
    assert "startxref" not in capfd.readouterr().err


def test_refill_puts_translated_words_into_the_source_pieces():
    from desktop_llm.core.documents.model import Span
    from desktop_llm.core.documents.refill import Anchor, refill

    plain, bold, link = (False, False, None, False), (True, False, None, False), (False, False, "u", False)
    # words keep their formatting when the translation moves them
    assert refill([plain, bold, plain], [Span("Aquí", bold=True), Span(" haz clic ahora")]) == [
        "", "Aquí", " haz clic ahora"]
    # an anchor (inline code, an image) stays where it is; the words after it follow it
    pieces = [plain, Anchor("code:x"), plain]
    assert refill(pieces, [Span("B "), Span("x", code=True), Span(" A")]) == ["B ", "", " A"]
    # a link's words always go back into the link, even when the translation moved it to the end
    assert refill([plain, link, plain], [Span("Antes y después "), Span("enlace", link="u")]) == [
        "Antes y después ", "enlace", ""]
    # no word is ever dropped: formatting the source lacks lands in a neighbouring piece
    assert "".join(refill([plain], [Span("uno "), Span("dos", italic=True)])) == "uno dos"


def test_saved_documents_get_the_users_normal_permissions(tmp_path):
    """Files the user asks for are made as other programs make them (umask), not private (0600);
    a file written over keeps its own permissions."""
    import os
    import stat

    doc = Document([Block("paragraph", (Span("Hello"),))])
    previous = os.umask(0o022)
    try:
        fresh = save_document(doc, tmp_path / "fresh.md")
        assert stat.S_IMODE(fresh.stat().st_mode) == 0o644
        shared = tmp_path / "shared.md"
        shared.write_text("old")
        shared.chmod(0o664)
        save_document(doc, shared)
        assert stat.S_IMODE(shared.stat().st_mode) == 0o664
    finally:
        os.umask(previous)


def test_cells_without_words_to_translate_are_not_sent():
    from desktop_llm.core.documents.translate import translatable

    def cell(text):
        return Block("table_cell", (Span(text),), cell=(0, 1, 1))
    assert not any(translatable(cell(t)) for t in ("24", "31.5", "2024-05-01", "AB-7", "X-12", "v2.3.1", "SKU123"))
    assert all(translatable(cell(t)) for t in ("Wheat", "Crop yield", "Top 10 farms"))
    assert translatable(Block("paragraph", (Span("v2 is out"),)))


def test_a_word_that_comes_back_as_a_sentence_is_flagged():
    from desktop_llm.core.documents.checks import problems

    assert problems("Yields", "Je mets les fonctions pour lesquels les résumés.") == ["much longer than the source"]
    assert problems("Soil Health", "Santé du sol") == []


def test_a_heading_that_starts_with_a_number_keeps_it_and_shows_without_escapes():
    from desktop_llm.core.documents.translate import from_marked
    from desktop_llm.core.documents.writers import block_markdown, to_markdown

    heading = Block("heading", (Span("1. Soil Health"),), level=2)
    assert block_markdown(heading) == "1. Soil Health"  # as the review shows it
    assert to_markdown(Document([heading], "md")).strip() == "## 1\\. Soil Health"  # as Markdown needs it
    assert from_marked(heading, "1. Santé du sol", []).text == "1. Santé du sol"
    item = Block("list_item", (Span("Water use"),), level=1, ordered=True)
    assert from_marked(item, "- Utilisation de l'eau", []).text == "Utilisation de l'eau"  # a bullet it added


def test_plain_text_numbers_a_list_one_two_three():
    from desktop_llm.core.documents.writers import to_text

    items = [Block("list_item", (Span(t),), level=1, ordered=True) for t in ("Soil", "Water", "Yields")]
    nested = Block("list_item", (Span("Rain"),), level=2, ordered=True)
    doc = Document([Block("paragraph", (Span("Plan"),)), *items[:2], nested, items[2]], "md")
    assert to_text(doc) == "Plan\n\n1. Soil\n2. Water\n  1. Rain\n3. Yields\n"
