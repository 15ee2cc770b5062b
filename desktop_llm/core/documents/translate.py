"""Translating a document block by block, keeping its structure.

Code blocks are never sent to the model; inline code and link addresses are
replaced by placeholders the model copies, then put back byte for byte.
Bold, italic and links travel as Markdown marks inside a block and are read
back with markdown-it (when the model breaks them, the text is kept plain).
Finished blocks are saved beside the output as they come, so a cancelled or
crashed translation resumes where it stopped. The output is written
atomically next to the input (chapter.docx -> chapter.es.docx), never over it.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterator
from urllib.parse import unquote

from desktop_llm.core.chat import params_from
from desktop_llm.core.completions import complete
from desktop_llm.core.documents.model import Block, Document, Span
from desktop_llm.core.documents.readers import read_markdown
from desktop_llm.core.documents.writers import output_path, render
from desktop_llm.core.errors import UserError
from desktop_llm.core.events import Event, Finished, Progress
from desktop_llm.core.host import HostContext, Job, ModelHost
from desktop_llm.core.models import InstalledModel
from desktop_llm.core.paths import atomic_write_text, read_json
from desktop_llm.core.settings import Settings
from desktop_llm.core.store.export import write_file

LANGUAGES = {"ar": "Arabic", "bg": "Bulgarian", "cs": "Czech", "da": "Danish", "de": "German", "el": "Greek",
             "en": "English", "es": "Spanish", "et": "Estonian", "fi": "Finnish", "fr": "French", "he": "Hebrew",
             "hi": "Hindi", "hu": "Hungarian", "id": "Indonesian", "it": "Italian", "ja": "Japanese",
             "ko": "Korean", "lt": "Lithuanian", "lv": "Latvian", "nl": "Dutch", "no": "Norwegian", "pl": "Polish",
             "pt": "Portuguese", "ro": "Romanian", "ru": "Russian", "sk": "Slovak", "sl": "Slovenian",
             "sv": "Swedish", "th": "Thai", "tr": "Turkish", "uk": "Ukrainian", "vi": "Vietnamese",
             "zh": "Chinese"}
HOLE = "⟦{}⟧"
HOLE_RE = re.compile(r"⟦(\d+)⟧")
STATE_SUFFIX = ".translation.json"


def language_code(name: str) -> str:
    key = name.strip().lower()
    for code, language in LANGUAGES.items():
        if key in (code, language.lower()):
            return code
    raise UserError(f"Unknown language “{name}”. Use a code or name: "
                    f"{', '.join(f'{c} ({n})' for c, n in sorted(LANGUAGES.items()))}.")


def read_glossary(path: str | Path) -> dict[str, str]:
    """term,translation per line (a header line is allowed)."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"The glossary {path} cannot be read: {exc}.") from exc
    terms = {}
    for row in csv.reader(io.StringIO(text)):
        if len(row) >= 2 and row[0].strip() and row[0].strip().lower() != "term":
            terms[row[0].strip()] = row[1].strip()
    if not terms:
        raise UserError(f"The glossary {path} has no term,translation lines.")
    return terms


@dataclass
class Translation:
    output: Path
    blocks: int
    translated_blocks: int  # sent to the model in this run (the rest were code, empty, or done before)
    seconds: float
    glossary_misses: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"output": str(self.output), "blocks": self.blocks, "translated_blocks": self.translated_blocks,
                "seconds": round(self.seconds, 2), "glossary_misses": self.glossary_misses}


def to_marked(block: Block) -> tuple[str, list[str]]:
    """The block as Markdown inline text, code and URLs as numbered holes."""
    holes: list[str] = []

    def hole(value: str) -> str:
        holes.append(value)
        return HOLE.format(len(holes))

    out = []
    for s in block.spans:
        text = hole(s.text) if s.code else s.text
        if not s.code and s.bold and text.strip():
            text = f"**{text}**"
        if not s.code and s.italic and text.strip():
            text = f"*{text}*"
        if s.link:
            text = f"[{text}]({hole(s.link)})"
        out.append(text)
    return "".join(out), holes


def from_marked(block: Block, text: str, holes: list[str]) -> Block:
    """The translated marks back into spans; holes refilled exactly."""
    def fill(value: str) -> str:
        return HOLE_RE.sub(lambda m: holes[int(m.group(1)) - 1] if 0 < int(m.group(1)) <= len(holes) else "", value)

    text = " ".join(text.split())  # one block stays one block (no stray line breaks)
    parsed = read_markdown(text).blocks
    spans: list[Span] = []
    if len(parsed) == 1:
        for s in parsed[0].spans:
            link = fill(unquote(s.link)) if s.link else None  # markdown-it percent-encodes the hole
            spans += _with_code(s.text, holes, block, s.bold, s.italic, link)
    if not spans:  # the marks did not survive: keep the words
        spans = [Span(fill(text).replace("**", "").strip())]
    return replace(block, spans=tuple(spans))


def _with_code(text: str, holes: list[str], block: Block, bold: bool, italic: bool, link) -> list[Span]:
    """Text with holes inside: inline code holes become code spans again."""
    code_values = {x.text for x in block.spans if x.code}
    out, last = [], 0
    for m in HOLE_RE.finditer(text):
        index = int(m.group(1))
        value = holes[index - 1] if 0 < index <= len(holes) else ""
        if m.start() > last:
            out.append(Span(text[last:m.start()], bold, italic, False, link))
        out.append(Span(value, bold, italic, value in code_values, link))
        last = m.end()
    if last < len(text):
        out.append(Span(text[last:], bold, italic, False, link))
    return [s for s in out if s.text]


class Translator:
    def __init__(self, host: ModelHost, settings: Settings):
        self.host = host
        self.settings = settings

    def translate(self, source: Path, doc: Document, model: InstalledModel, target: str, source_language: str = "",
                  output: Path | None = None, glossary: dict[str, str] | None = None, listener=None) -> Job:
        code = language_code(target)
        output = Path(output) if output else output_path(Path(source), code)
        if output.resolve() == Path(source).resolve():
            raise UserError("The translation would overwrite the original. Choose another output file.")
        if doc.format not in ("txt", "md", "html", "docx"):
            fmt = "md"
            output = output.with_suffix(".md")
        else:
            fmt = doc.format
        glossary = glossary or {}
        state_file = output.with_name(output.name + STATE_SUFFIX)
        fingerprint = hashlib.sha256(json.dumps([(b.kind, b.text) for b in doc.blocks]).encode()).hexdigest()
        language = LANGUAGES[code]
        from_text = f" from {source_language}" if source_language else ""

        def job(ctx: HostContext) -> Iterator[Event]:
            yield from ctx.engine_for(model)
            t0 = time.perf_counter()
            state = read_json(state_file, dict)
            done: dict[str, str] = state.get("blocks", {}) if state.get("source") == fingerprint else {}
            out_blocks, sent, misses = [], 0, []
            params = replace(params_from(self.settings), temperature=0.2)
            todo = [i for i, b in enumerate(doc.blocks) if b.kind != "code" and b.text.strip()]
            started = time.perf_counter()
            for i, block in enumerate(doc.blocks):
                if block.kind == "code" or not block.text.strip():
                    out_blocks.append(block)
                    continue
                marked, holes = to_marked(block)
                if str(i) not in done:
                    position = todo.index(i)
                    eta = ((time.perf_counter() - started) / sent * (len(todo) - position)) if sent else None
                    yield Progress(position, len(todo), f"Translating block {position + 1} of {len(todo)}"
                                   + (f", about {eta:.0f} s left" if eta else ""))
                    done[str(i)] = yield from complete(ctx, self._messages(marked, language, from_text, glossary),
                                                       replace(params, max_tokens=max(64, len(marked))),
                                                       progress=False)
                    sent += 1
                    atomic_write_text(state_file, json.dumps({"source": fingerprint, "blocks": done}))
                translated = from_marked(block, done[str(i)], holes)
                misses += [f"{term} → {wanted} (block {i + 1})" for term, wanted in glossary.items()
                           if term.lower() in block.text.lower() and wanted.lower() not in translated.text.lower()]
                out_blocks.append(translated)
            write_file(output, render(Document(out_blocks, fmt), fmt))
            state_file.unlink(missing_ok=True)
            yield Finished(Translation(output, len(doc.blocks), sent, time.perf_counter() - t0, misses))

        return self.host.submit(job, listener, label="translate", info={"output": str(output)})

    @staticmethod
    def _messages(marked: str, language: str, from_text: str, glossary: dict[str, str]) -> list[dict]:
        terms = "".join(f"\n- {t} → {w}" for t, w in glossary.items() if t.lower() in marked.lower())
        system = (f"You are a professional translator. Translate the user's text{from_text} into {language}. "
                  "Answer with the translation only. Keep Markdown marks (**, *, [text](...)) around the same "
                  "words, and copy every ⟦n⟧ placeholder exactly.")
        if terms:
            system += f" Use these translations for these terms:{terms}"
        return [{"role": "system", "content": system}, {"role": "user", "content": marked}]
