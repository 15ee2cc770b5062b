"""Writing templates, drafting with enforced constraints, rewriting and
feedback labelling — with the real starter model."""

import json

import pytest

from desktop_llm.core.drafting.limits import cut_to_length
from desktop_llm.core.drafting.sentiment import LABELS
from desktop_llm.core.drafting.templates import fill, find_template, load_templates
from desktop_llm.core.errors import NotFound, UserError
from desktop_llm.core.events import Failed, Finished
from tests.core.test_models_hub import run_cli

BUILT_INS = {"blog-outline", "blog-post", "marketing-copy", "product-description", "social-post", "seo-meta",
             "email", "customer-reply", "faq", "lesson"}


def result_of(job):
    events = list(job.events())
    assert isinstance(events[-1], Finished), events[-1]
    return events[-1].result


def required_values(template):
    return {f.name: f"sample {f.label.lower()}" for f in template.fields if f.required}


def test_the_built_in_templates_are_all_there():
    templates = load_templates()
    assert set(templates) == BUILT_INS
    for t in templates.values():
        assert t.title and t.prompt and any(f.required for f in t.fields), t.id


@pytest.mark.parametrize("template_id", sorted(BUILT_INS))
def test_every_template_runs_and_its_constraints_hold(core, template_id):
    template = core.templates()[template_id]
    values = required_values(template)
    draft = result_of(core.writer.draft(template, values, core.resolve_model()))
    output = template.output
    assert draft.template == template_id
    assert len(draft.variants) == output.variants  # exactly as many as the template says
    assert all(v.strip() for v in draft.variants)
    limit = output.limit_for(template.values(values))
    if limit:
        assert all(len(v) <= limit for v in draft.variants), draft
    if output.shape == "json":
        assert set(draft.data) == {p.name for p in output.parts}
        for part in output.parts:
            if part.items:
                assert len(draft.data[part.name]) == part.items
            if part.max_chars:
                assert len(draft.data[part.name]) <= part.max_chars


def test_variant_count_is_exact_and_the_platform_sets_the_limit(core):
    template = core.templates()["social-post"]
    draft = result_of(core.writer.draft(template, {"topic": "a tea shop opening", "platform": "Bluesky"},
                                        core.resolve_model(), variants=4))
    assert len(draft.variants) == 4 and all(len(v) <= 300 for v in draft.variants)
    with pytest.raises(UserError, match="1 to 10 variants"):
        core.writer.draft(template, {"topic": "x"}, core.resolve_model(), variants=11)


def test_a_json_template_writes_as_many_variants_as_asked(app_home, capsys):
    code, out, _ = run_cli(capsys, "draft", "seo-meta", "--topic", "green tea", "--variants", "2", "--json")
    assert code == 0
    result = json.loads(out)
    assert len(result["variants"]) == 2 and len(result["all_data"]) == 2
    for parts in result["all_data"]:
        assert len(parts["title"]) <= 60 and len(parts["description"]) <= 160 and len(parts["keywords"]) == 5
    assert result["data"] == result["all_data"][0]


def test_prompt_lines_of_empty_optional_fields_are_left_out():
    text = "Write about {topic}.\nAudience: {audience}.\nAt most {max_chars} characters."
    assert fill(text, {"topic": "tea", "audience": "", "max_chars": 160}) == \
        "Write about tea.\nAt most 160 characters."


def test_bad_fields_are_explained():
    templates = load_templates()
    seo = templates["seo-meta"]
    with pytest.raises(UserError, match="has no field colour. Its fields: topic, keyword, summary"):
        seo.values({"topic": "tea", "colour": "red"})
    with pytest.raises(UserError, match="needs “Page topic”"):
        seo.values({})
    with pytest.raises(UserError, match="must be one of: cold, follow-up, newsletter"):
        templates["email"].values({"purpose": "x", "kind": "angry"})
    with pytest.raises(NotFound, match="No template “poem”. Templates: blog-outline"):
        find_template(templates, "poem")


def test_user_templates_add_and_override_and_a_broken_one_is_skipped(core):
    folder = core.paths.templates_dir
    folder.mkdir(parents=True)
    (folder / "seo.toml").write_text('id = "seo-meta"\ntitle = "Our SEO"\nprompt = "Snippet for {topic}."\n'
                                     '[output]\nshape = "variants"\nvariants = 2\nmax_chars = 100\n'
                                     '[[fields]]\nname = "topic"\nlabel = "Topic"\nrequired = true\n')
    (folder / "haiku.toml").write_text('id = "haiku"\ntitle = "Haiku"\nprompt = "A haiku about {topic}."\n'
                                       '[[fields]]\nname = "topic"\nlabel = "Topic"\n')
    (folder / "broken.toml").write_text('id = "broken"\ntitle = [')
    templates = core.templates()
    assert templates["seo-meta"].title == "Our SEO" and templates["seo-meta"].source == "user"
    assert "haiku" in templates and "broken" not in templates
    draft = result_of(core.writer.draft(templates["seo-meta"], {"topic": "tea"}, core.resolve_model()))
    assert len(draft.variants) == 2 and all(len(v) <= 100 for v in draft.variants)


@pytest.mark.parametrize("text,limit,expected", [
    ("Short.", 160, "Short."),
    ("One sentence here. Another one that is far too long to fit.", 30, "One sentence here."),
    ("no sentence ends in this long run of words at all", 20, "no sentence ends in…"),
])
def test_cut_to_length_ends_at_a_sentence_or_a_word(text, limit, expected):
    assert cut_to_length(text, limit) == expected
    assert len(cut_to_length(text, limit)) <= limit


def test_feedback_gets_a_valid_label_per_row_and_trends(core):
    rows = ["The tea arrived fast and tastes wonderful.", "The lid was broken and nobody answered my email.",
            "It is a teapot.", "Great value, will buy again!", "Too expensive for what it is.",
            "Lovely colour.", "Shipping took three weeks.", "Fine.", "Best tea shop online.", "Meh."]
    analysis = result_of(core.writer.analyze(rows + ["", "  "], core.resolve_model()))
    assert [r.text for r in analysis.rows] == rows  # every row, in order; blank lines skipped
    assert all(r.label in LABELS and r.reason for r in analysis.rows)
    assert sum(analysis.counts.values()) == len(rows)
    assert analysis.trends.strip()


def test_each_label_opens_with_the_words_of_its_own_message(core):
    """The grammar holds every answer to its row: the model writes back the message's first
    words before its label, so a label or reason cannot slide onto the next row."""
    from desktop_llm.core.completions import complete
    from desktop_llm.core.drafting.sentiment import batch_schema, opening
    from desktop_llm.core.drafting.structured import parse_json
    from desktop_llm.core.engine import GenerationParams

    batch = ["The courier lost my parcel twice.", "Gorgeous packaging, like a gift.",
             "Refund took two months and three phone calls!", "Tastes of nothing at all."]
    messages = [{"role": "user", "content": "Label each message:\n" + "\n".join(batch)}]
    params = GenerationParams(max_tokens=400, temperature=0.2, json_schema=batch_schema(batch))

    def job(ctx):
        yield from ctx.engine_for(core.resolve_model())
        yield Finished(parse_json((yield from complete(ctx, messages, params))))
    results = result_of(core.host.submit(job))["results"]
    assert [r["message"] for r in results] == [opening(text) for text in batch]
    assert all(r["label"] in LABELS for r in results)


def test_feedback_progress_names_the_step(core):
    rows = [f"Message number {i} about the tea." for i in range(10)]
    labels = [e.label for e in core.writer.analyze(rows, core.resolve_model()).events() if hasattr(e, "label")]
    assert any(label.startswith("Reading messages 1–8 of 10") for label in labels)
    assert any(label.startswith("Reading messages 9–10 of 10") for label in labels)
    assert "Labelling message 8 of 10" in labels and "Labelling message 10 of 10" in labels
    assert labels[-1] == "Summarizing the trends" and "Reading the prompt" not in labels


def test_empty_feedback_and_empty_rewrite_are_refused(core):
    with pytest.raises(UserError, match="no feedback"):
        core.writer.analyze(["", " "], core.resolve_model())
    with pytest.raises(UserError, match="no text to rewrite"):
        core.writer.rewrite("  ", "shorter", core.resolve_model())


def test_stop_ends_a_draft_with_a_message(core):
    template = core.templates()["blog-post"]
    job = core.writer.draft(template, {"topic": "tea"}, core.resolve_model())
    job.cancel()
    assert isinstance(list(job.events())[-1], Failed)


# -- the CLI ------------------------------------------------------------------------
def test_cli_draft_json_and_list(app_home, capsys):
    code, out, _ = run_cli(capsys, "draft", "--list", "--json")
    assert code == 0 and {t["id"] for t in json.loads(out)} == BUILT_INS
    code, out, _ = run_cli(capsys, "draft", "product-description", "--field", "product=a glass teapot",
                           "--variants", "2", "--json")
    assert code == 0
    result = json.loads(out)
    assert result["template"] == "product-description" and len(result["variants"]) == 2
    assert all(len(v) <= 300 for v in result["variants"])


def test_cli_draft_bad_input(app_home, capsys):
    code, _, err = run_cli(capsys, "draft", "poem")
    assert code == 1 and "No template “poem”" in err and "blog-outline" in err
    code, _, err = run_cli(capsys, "draft", "seo-meta", "--field", "colour=red", "--topic", "tea")
    assert code == 1 and "Its fields: topic, keyword, summary" in err
    code, _, err = run_cli(capsys, "draft", "customer-reply")
    assert code == 1 and "needs “Customer's message”" in err


def test_cli_rewrite_reads_stdin(app_home, capsys, monkeypatch):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("This sentence is long, wordy and rather repetitive, really."))
    code, out, _ = run_cli(capsys, "rewrite", "--style", "simpler", "--json")
    assert code == 0
    result = json.loads(out)
    assert result["style"] == "simpler" and result["rewritten"].strip()


@pytest.mark.parametrize("answer,expected", [
    ("Sure! Here is a shorter version:\nOur tea is good.", "Our tea is good."),
    ("Here's the rewritten text:\n\n\"Our tea is good.\"\n\nLet me know if you need more.", "Our tea is good."),
    ("Certainly.\nOur tea is good.", "Our tea is good."),
    ("Here is where our tea grows.", "Here is where our tea grows."),  # the text itself, not a preamble
    ("Our tea is good.", "Our tea is good."),
])
def test_a_rewrite_is_the_text_alone(answer, expected):
    from desktop_llm.core.drafting.rewrite import without_chatter
    assert without_chatter(answer, "Our tea is very very good.") == expected


def test_a_rewrite_keeps_the_selections_paragraph_breaks():
    from desktop_llm.core.drafting.rewrite import with_paragraphs
    original = "First part of it.\n\nSecond part of it.\n\n"
    assert with_paragraphs("First.\nSecond.", original) == "First.\n\nSecond.\n\n"
    assert with_paragraphs("One line.", "\nA line.\n") == "\nOne line.\n"


def test_a_shorter_rewrite_is_shorter_or_says_it_is_not(core):
    text = ("Our family tea shop has been open since 1952. We sell green, black and white teas from small farms, "
            "and every tea is tasted by us before it goes on sale.\n\n"
            "Orders ship the next working day in recyclable boxes. Returns are free for thirty days.")
    result = result_of(core.writer.rewrite(text, "shorter", core.resolve_model()))
    assert not result.text.lower().startswith(("sure", "here is", "here's", "certainly"))
    if len(result.text) >= len(text):
        assert result.notes and "not shorter" in result.notes[0]
    else:
        assert not result.notes


def test_cli_analyze_csv_column_and_bad_files(app_home, capsys, tmp_path):
    feedback = tmp_path / "feedback.csv"
    feedback.write_text("id,comment\n1,Love the tea\n2,The box was damaged\n3,ok\n", encoding="utf-8")
    feedback.write_text("id,comment,stars\n1,Love the tea,5\n2,The box was damaged,1\n3,ok,3\n4,,2\n",
                        encoding="utf-8")
    code, _, err = run_cli(capsys, "analyze", str(feedback), "--column", "text")
    assert code == 1 and "no column “text”" in err
    out_file = tmp_path / "labelled.csv"
    code, out, err = run_cli(capsys, "analyze", str(feedback), "-o", str(out_file), "--json")
    assert code == 0 and "column “comment”" in err
    result = json.loads(out)
    assert [r["text"] for r in result["rows"]] == ["Love the tea", "The box was damaged", "ok"]
    assert set(result["counts"]) == set(LABELS) and sum(result["counts"].values()) == 3
    saved = out_file.read_text().splitlines()
    assert saved[0] == "id,comment,stars,label,reason" and saved[4] == "4,,2,,"  # a blank row kept, unlabelled
    assert [line.split(",")[:3] for line in saved[1:4]] == [["1", "Love the tea", "5"],
                                                            ["2", "The box was damaged", "1"], ["3", "ok", "3"]]
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    code, _, err = run_cli(capsys, "analyze", str(empty))
    assert code == 1 and "empty" in err
    binary = tmp_path / "photo.txt"
    binary.write_bytes(b"\x89PNG\0\0\0")
    code, _, err = run_cli(capsys, "analyze", str(binary))
    assert code == 1 and "not a text file" in err


# -- drafts, formats, diff ------------------------------------------------------------
def test_drafts_autosave_and_keep_versions(core, monkeypatch):
    from desktop_llm.core.store import drafts as drafts_module

    drafts = core.drafts
    draft = drafts.create(template="blog-outline", fields={"topic": "Tea"})
    drafts.save(draft.id, "first words")
    drafts.save(draft.id, "first words, more")  # an autosave moments later: no new version
    assert [v.body for v in drafts.versions(draft.id)] == ["first words"]
    drafts.save(draft.id, "# Tea\n\nUsed variant 2", note="Used variant 2")
    assert [v.note for v in drafts.versions(draft.id)] == ["Used variant 2", "Autosave"]
    monkeypatch.setattr(drafts_module, "VERSION_EVERY_S", 0)
    drafts.save(draft.id, "# Tea\n\nlater edit")
    assert len(drafts.versions(draft.id)) == 3
    again = drafts.get(draft.id)
    assert again.body == "# Tea\n\nlater edit" and again.fields == {"topic": "Tea"}
    assert again.display_title == "Tea"
    assert [d.id for d in drafts.list()] == [draft.id]
    drafts.delete(draft.id)
    assert drafts.list() == [] and drafts.versions(draft.id) == []


def test_a_draft_as_plain_text_html_and_docx(tmp_path):
    import docx

    from desktop_llm.core.drafting.formats import to_docx, to_html, to_plain

    text = "# Tea\n\nSome **bold** words\nwrapped.\n\n- one\n- two\n\n1. first\n"
    assert to_plain(text) == "Tea\nSome bold words\nwrapped.\n• one\n• two\n1. first\n"  # its lines kept
    assert "<h1>Tea</h1>" in to_html(text) and "<strong>bold</strong> words<br />" in to_html(text)
    path = tmp_path / "tea.docx"
    path.write_bytes(to_docx(text))
    paragraphs = docx.Document(str(path)).paragraphs
    assert [(p.style.name, p.text) for p in paragraphs] == [
        ("Heading 1", "Tea"), ("Normal", "Some bold words\nwrapped."), ("List Bullet", "one"),
        ("List Bullet", "two"), ("List Number", "first")]
    assert any(r.bold for r in paragraphs[1].runs if r.text == "bold")


def test_word_diff_marks_what_changed():
    from desktop_llm.core.drafting.diff import diff_html, word_diff

    assert word_diff("The cat sat.", "The dog sat.") == [
        ("equal", "The "), ("delete", "cat"), ("insert", "dog"), ("equal", " sat.")]
    assert "line-through\">cat</span>" in diff_html("The cat sat.", "The dog sat.")


def test_tone_reaches_templates_without_a_tone_field(core):
    template = core.templates()["faq"]
    assert "tone" not in template.field_names()
    toned = template.with_tone()
    values = toned.values({"topic": "tea", "facts": "We sell green tea.", "tone": "playful"})
    assert toned.messages(values)[-1]["content"].endswith("Tone: playful.")
    assert toned.with_tone() is toned
    job = core.writer.draft(template, {"topic": "tea", "facts": "We sell green tea."}, core.resolve_model(),
                            tone="playful")
    assert result_of(job).variants[0]


def test_a_json_answer_cut_off_is_written_again_and_says_so(core):
    """Too few tokens for the JSON: a second try (another seed, a repetition penalty) is announced
    through the caller's relabel, which starts its count again; then the failure is clear."""
    from desktop_llm.core.drafting.structured import STRUCTURED_TRIES, structured
    from desktop_llm.core.engine import GenerationParams
    from desktop_llm.core.events import Progress

    model = core.resolve_model()
    seen = []

    def relabel(event):
        seen.append(event)
        return event

    def job(ctx):
        yield from ctx.engine_for(model)
        params = GenerationParams(max_tokens=6, seed=3, json_schema={
            "type": "object", "properties": {"summary": {"type": "string", "minLength": 40}}, "required": ["summary"]})
        data = yield from structured(ctx, [{"role": "user", "content": "Summarize: tea is good."}], params, relabel)
        yield Finished(data)

    events = list(core.host.submit(job).events())
    notes = [e.label for e in seen if isinstance(e, Progress) and not e.total]
    assert notes == ["The answer was cut off: writing it again, with a penalty on repetition"] * (STRUCTURED_TRIES - 1)
    assert any(isinstance(e, Progress) and e.label == notes[0] for e in events)
    assert isinstance(events[-1], Failed) and "cut off" in events[-1].user_message
