"""`desktop-llm summarize`: thin commands over core.documents."""

from __future__ import annotations

import sys
from pathlib import Path

from desktop_llm.cli.common import follow, open_core, print_json
from desktop_llm.core.documents.language import LANGUAGES
from desktop_llm.core.documents.readers import read_document, read_text
from desktop_llm.core.documents.summary_steps import LENGTHS, STYLES
from desktop_llm.core.documents.translate import read_glossary
from desktop_llm.core.errors import UserError
from desktop_llm.core.files import refuse_source, save_file


def _document(name: str):
    if name == "-":
        text = sys.stdin.read()
        if not text.strip():
            raise UserError("Nothing came on stdin: give a file, or pipe text in.")
        return read_text(text)
    return read_document(name)


def cmd_summarize(args) -> int:
    source = None if args.file == "-" else Path(args.file)
    if args.output:
        refuse_source(Path(args.output), source)  # before any model time is spent
    doc = _document(args.file)
    with open_core() as core:
        job = core.summarizer.summarize(doc, core.resolve_model(args.model), args.style, args.length,
                                        args.language or "")
        summary = follow(job, args.json or bool(args.output))
    for note in summary.notes:
        print(f"[{note}]", file=sys.stderr)
    if summary.notes and not (args.json or args.output):  # what streamed was replaced
        print("\n\n--- the summary as kept:\n" + summary.text)
    if args.output:
        save_file(Path(args.output), (summary.text + "\n").encode("utf-8"), source=source)
        print(f"Saved the summary to {args.output}.", file=sys.stderr)
    if args.json:
        print_json(summary.as_dict())
    elif not args.output:
        sys.stdout.write("\n")
    return 0


def cmd_translate(args) -> int:
    if args.file == "-":
        if not args.output:
            raise UserError("Give -o OUT when the text comes on stdin.")
    doc = _document(args.file)
    glossary = read_glossary(args.glossary) if args.glossary else None
    source = Path(args.file if args.file != "-" else args.output)
    with open_core() as core:
        job = core.translator.translate(source, doc, core.resolve_model(args.model), args.to, args.source or "",
                                        Path(args.output) if args.output else None, glossary)
        result = follow(job, args.json, show_tokens=False)
    if args.json:
        print_json(result.as_dict())
    else:
        source_name = f" from {LANGUAGES[result.source_language]}" if result.source_language else ""
        print(f"Saved {result.output} ({result.translated_blocks} blocks translated{source_name}).",
              file=sys.stderr)
        for miss in result.glossary_misses:
            print(f"[glossary not followed: {miss}]", file=sys.stderr)
        if result.losses:
            print(f"[the output has only {', '.join(result.losses)}: check it]", file=sys.stderr)
        for index, found in sorted(result.flagged.items()):
            print(f"[block {index + 1}: {'; '.join(found)}]", file=sys.stderr)
    return 0


def add_parser(sub, common) -> None:
    p = sub.add_parser("summarize", parents=[common], help="summarize a document of any length")
    p.add_argument("file", help=".txt, .md, .html, .docx, .odt or .pdf (or - for text on stdin)")
    p.add_argument("-o", "--output", metavar="OUT", help="write the summary to this file")
    p.add_argument("--style", choices=list(STYLES), default="bullets")
    p.add_argument("--length", choices=list(LENGTHS), default="medium")
    p.add_argument("--language", help="write the summary in this language (default: the document's)")
    p.set_defaults(func=cmd_summarize)
    p = sub.add_parser("translate", parents=[common], help="translate a document, keeping its format and structure")
    p.add_argument("file", help=".txt, .md, .html, .docx or .odt (a .pdf becomes .md); - for text on stdin")
    p.add_argument("--to", required=True, metavar="LANG", help="target language: code or name (es, German...)")
    p.add_argument("--from", dest="source", metavar="LANG", help="source language (default: detected)")
    p.add_argument("-o", "--output", metavar="OUT", help="output file (default: FILE with .LANG before the suffix)")
    p.add_argument("--glossary", metavar="CSV", help="term,translation pairs the translation must use")
    p.set_defaults(func=cmd_translate)
