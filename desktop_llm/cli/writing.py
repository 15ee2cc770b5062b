"""`desktop-llm draft | rewrite | analyze`: thin commands over core.drafting."""

from __future__ import annotations

import sys
from pathlib import Path

from desktop_llm.cli.common import follow, open_core, print_json
from desktop_llm.core.drafting.feedback import feedback_table, labelled_csv, read_text_file
from desktop_llm.core.drafting.rewrite import REWRITE_STYLES
from desktop_llm.core.drafting.templates import find_template
from desktop_llm.core.errors import UserError
from desktop_llm.core.files import save_file


def _fields(pairs: list[str]) -> dict:
    values = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UserError(f"--field takes key=value (got “{pair}”).")
        values[key.strip()] = value
    return values


def cmd_draft(args) -> int:
    with open_core() as core:
        templates = core.templates()
        if args.list:
            if args.json:
                print_json([{"id": t.id, "title": t.title, "description": t.description, "source": t.source,
                                  "fields": [f.__dict__ | {"choices": list(f.choices)} for f in t.fields]}
                                 for t in templates.values()])
            else:
                for t in templates.values():
                    fields = ", ".join(f.name + ("*" if f.required else "") for f in t.fields)
                    print(f"{t.id:<20} {t.title:<28} fields: {fields}")
            return 0
        if not args.template:
            raise UserError(f"Name a template: {', '.join(sorted(templates))} (or --list).")
        template = find_template(templates, args.template)
        values = _fields(args.field)
        if args.topic:
            values["topic"] = args.topic
        sources = None
        if args.library:
            libraries = core.libraries
            for name in args.library:
                libraries.info(name)  # an unknown library is an error, not an empty draft
            sources = lambda query: libraries.sources(args.library, query)  # noqa: E731
        job = core.writer.draft(template, values, core.resolve_model(args.model), args.variants, args.tone or "",
                                sources=sources)
        draft = follow(job, args.json, show_tokens=False)
        if args.json:
            print_json(draft.as_dict())
        else:
            for i, text in enumerate(draft.variants, 1):
                if len(draft.variants) > 1:
                    print(f"--- variant {i} ({len(text)} characters)")
                print(text)
            for source in draft.sources:
                print(f"[{source.n}] {source.label()}")
            for note in draft.notes:
                print(f"[{note}]", file=sys.stderr)
        return 0


def cmd_rewrite(args) -> int:
    text = read_text_file(args.file)
    with open_core() as core:
        job = core.writer.rewrite(text, args.style, core.resolve_model(args.model))
        result = follow(job, args.json, show_tokens=False)  # the text alone, once it is checked
        if args.json:
            print_json({"style": args.style, "original": text, "rewritten": result.text, "notes": result.notes})
        else:
            print(result.text)
            for note in result.notes:
                print(f"[{note}]", file=sys.stderr)
        return 0


def cmd_analyze(args) -> int:
    text = read_text_file(args.file)
    is_csv = args.file.lower().endswith(".csv")
    table = feedback_table(text, args.column, is_csv)
    if is_csv and args.column is None and len(table.columns) > 1:
        print(f"[Labelling the column “{table.column}”, the one with the most words; "
              f"choose another with --column: {', '.join(table.columns)}.]", file=sys.stderr)
    with open_core() as core:
        analysis = follow(core.writer.analyze(table.texts, core.resolve_model(args.model)), args.json)
    if args.output:
        save_file(Path(args.output), labelled_csv(analysis, table).encode("utf-8"))
    if args.json:
        print_json(analysis.as_dict())
    else:
        for row in analysis.rows:
            print(f"{row.label:<9} {row.text[:60]:<60}  {row.reason}")
        counts = analysis.counts
        print(f"\n{counts['positive']} positive, {counts['neutral']} neutral, {counts['negative']} negative.")
        print(analysis.trends)
    return 0


def add_parser(sub, common) -> None:
    p = sub.add_parser("draft", parents=[common], help="write from a template (blog outline, SEO meta, ...)")
    p.add_argument("template", nargs="?", help="template id (see --list)")
    p.add_argument("--list", action="store_true", help="list the templates and their fields")
    p.add_argument("--topic", help="the topic (the `topic` field)")
    p.add_argument("--field", action="append", metavar="KEY=VALUE", help="a template field (repeatable)")
    p.add_argument("--tone", help="tone of voice, e.g. friendly, formal")
    p.add_argument("--variants", type=int, metavar="N", help="how many variants (exactly N)")
    p.add_argument("--library", action="append", metavar="NAME",
                   help="write from the facts found in this library, citing them (may be repeated)")
    p.set_defaults(func=cmd_draft)
    p = sub.add_parser("rewrite", parents=[common], help="rewrite a text: shorter, simpler, more formal...")
    p.add_argument("file", nargs="?", default="-", help="text file, or - for stdin (the default)")
    p.add_argument("--style", required=True, choices=list(REWRITE_STYLES))
    p.set_defaults(func=cmd_rewrite)
    p = sub.add_parser("analyze", parents=[common], help="label customer feedback positive/neutral/negative")
    p.add_argument("file", help="a text file (one message per line), a CSV file, or - for stdin")
    p.add_argument("--column", help="the CSV column holding the feedback")
    p.add_argument("-o", "--output", metavar="CSV", help="save the rows with their labels as CSV")
    p.set_defaults(func=cmd_analyze)
