"""`desktop-llm draft | rewrite | analyze`: thin commands over core.drafting."""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

from desktop_llm.core.drafting.templates import find_template
from desktop_llm.core.drafting.writer import REWRITE_STYLES
from desktop_llm.core.errors import UserError


def _cli():
    from desktop_llm import cli

    return cli


def _fields(pairs: list[str]) -> dict:
    values = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UserError(f"--field takes key=value (got “{pair}”).")
        values[key.strip()] = value
    return values


def _read_text(name: str) -> str:
    """A file's text, or stdin for "-"."""
    if name == "-":
        return sys.stdin.read()
    path = Path(name)
    if not path.is_file():
        raise UserError(f"No file {name}. Check the path.")
    data = path.read_bytes()
    if b"\0" in data[:4096]:
        raise UserError(f"{path.name} is not a text file. Give a .txt or .csv file (or - for stdin).")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def cmd_draft(args) -> int:
    cli = _cli()
    with cli._core() as core:
        templates = core.templates()
        if args.list:
            if args.json:
                cli._print_json([{"id": t.id, "title": t.title, "description": t.description, "source": t.source,
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
        job = core.writer.draft(template, values, core.resolve_model(args.model), args.variants, args.tone or "")
        draft = cli.follow(job, args.json, show_tokens=False)
        if args.json:
            cli._print_json(draft.as_dict())
        else:
            for i, text in enumerate(draft.variants, 1):
                if len(draft.variants) > 1:
                    print(f"--- variant {i} ({len(text)} characters)")
                print(text)
            for note in draft.notes:
                print(f"[{note}]", file=sys.stderr)
        return 0


def cmd_rewrite(args) -> int:
    cli = _cli()
    text = _read_text(args.file)
    with cli._core() as core:
        job = core.writer.rewrite(text, args.style, core.resolve_model(args.model))
        result = cli.follow(job, args.json)
        if args.json:
            cli._print_json({"style": args.style, "original": text, "rewritten": result})
        else:
            sys.stdout.write("\n")
        return 0


def feedback_rows(text: str, column: str | None, is_csv: bool) -> list[str]:
    """The feedback to label: a CSV column, or one message per line."""
    if not text.strip():
        raise UserError("The file is empty: there is no feedback to analyse.")
    if not is_csv:
        if column:
            raise UserError("--column is for CSV files; this file is read one message per line.")
        return [line for line in text.splitlines() if line.strip()]
    rows = list(csv.DictReader(io.StringIO(text)))
    columns = list(rows[0].keys()) if rows else next(csv.reader(io.StringIO(text)), [])
    if column is None:
        if len(columns) != 1:
            raise UserError(f"Choose the column with the feedback: --column NAME. Columns: {', '.join(columns)}.")
        column = columns[0]
    if column not in columns:
        raise UserError(f"The CSV has no column “{column}”. Columns: {', '.join(columns)}.")
    return [row[column] or "" for row in rows]


def cmd_analyze(args) -> int:
    cli = _cli()
    text = _read_text(args.file)
    is_csv = args.file.lower().endswith(".csv")
    rows = feedback_rows(text, args.column, is_csv)
    with cli._core() as core:
        analysis = cli.follow(core.writer.analyze(rows, core.resolve_model(args.model)), args.json)
    if args.output:
        _write_csv(Path(args.output), analysis)
    if args.json:
        cli._print_json(analysis.as_dict())
    else:
        for row in analysis.rows:
            print(f"{row.label:<9} {row.text[:60]:<60}  {row.reason}")
        counts = analysis.counts
        print(f"\n{counts['positive']} positive, {counts['neutral']} neutral, {counts['negative']} negative.")
        print(analysis.trends)
    return 0


def _write_csv(path: Path, analysis) -> None:
    from desktop_llm.core.paths import atomic_write_text

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["text", "label", "reason"])
    for row in analysis.rows:
        writer.writerow([row.text, row.label, row.reason])
    try:
        atomic_write_text(path, out.getvalue())
    except OSError as exc:
        raise UserError(f"Could not write {path}: {exc.strerror or exc}.") from exc


def add_parsers(sub, common) -> None:
    p = sub.add_parser("draft", parents=[common], help="write from a template (blog outline, SEO meta, ...)")
    p.add_argument("template", nargs="?", help="template id (see --list)")
    p.add_argument("--list", action="store_true", help="list the templates and their fields")
    p.add_argument("--topic", help="the topic (the `topic` field)")
    p.add_argument("--field", action="append", metavar="KEY=VALUE", help="a template field (repeatable)")
    p.add_argument("--tone", help="tone of voice, e.g. friendly, formal")
    p.add_argument("--variants", type=int, metavar="N", help="how many variants (exactly N)")
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
