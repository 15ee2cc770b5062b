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
from desktop_llm.core.documents.checks import problems
from desktop_llm.core.documents.chunking import split_text
from desktop_llm.core.documents.language import LANGUAGES, detect_language, language_code
from desktop_llm.core.documents.model import Block, Document, Span
from desktop_llm.core.documents.readers import read_markdown
from desktop_llm.core.documents.structure import compared, losses
from desktop_llm.core.documents.translation_state import fingerprint, state_file, translation_output
from desktop_llm.core.documents.writers import WRITABLE, escape_line_start, save_document
from desktop_llm.core.errors import ErrorKind, UserError
from desktop_llm.core.events import Event, Finished, Partial, Progress, Steps
from desktop_llm.core.files import atomic_write_text, read_json, refuse_source
from desktop_llm.core.host import HostContext, Job, JobKind, ModelHost
from desktop_llm.core.models import ModelRef
from desktop_llm.core.settings import Settings

HOLE = "⟦{}⟧"
HOLE_RE = re.compile(r"⟦(\d+)⟧")
OUTPUT_RATIO = 1.3  # a translation's tokens per source token, at most (room is kept for it)
PIECE_MARGIN = 16


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
    source_language: str = ""  # code, given or detected ("" when unsure)
    document: Document | None = None  # the translated document, for review
    structure: dict[str, tuple[int, int]] = field(default_factory=dict)  # kind -> (in the source, in the output)
    flagged: dict[int, list[str]] = field(default_factory=dict)  # block index -> problems the checks found
    translatable_blocks: int = 0  # blocks with words to translate (the rest are copied as they are)
    kept_blocks: int = 0  # translated in an earlier run that was stopped, and kept

    def summary_line(self) -> str:
        """How many blocks were translated, of how many, and what happened to the rest."""
        copied = self.blocks - self.translatable_blocks
        parts = [f"Translated {self.translated_blocks + self.kept_blocks} of {self.blocks} blocks"]
        if self.kept_blocks:
            parts.append(f"{self.kept_blocks} of them kept from the earlier run")
        if copied:
            parts.append(f"{copied} with no words to translate (numbers, code) copied as they are")
        return parts[0] + (f" ({'; '.join(parts[1:])})" if parts[1:] else "") + "."

    @property
    def losses(self) -> list[str]:
        return losses(self.structure)

    def as_dict(self) -> dict:
        return {"output": str(self.output), "blocks": self.blocks, "translated_blocks": self.translated_blocks,
                "translatable_blocks": self.translatable_blocks, "kept_blocks": self.kept_blocks,
                "seconds": round(self.seconds, 2), "glossary_misses": self.glossary_misses,
                "source_language": self.source_language,
                "structure": {kind: list(counts) for kind, counts in self.structure.items()},
                "structure_lost": self.losses,
                "flagged": [{"block": i + 1, "problems": p} for i, p in sorted(self.flagged.items())]}


@dataclass(frozen=True)
class TranslatedBlock:
    """One block done (the Partial event's piece): the review fills as they come."""

    index: int
    block: Block


@dataclass(frozen=True)
class BlockRequest:
    """What a block's translation needs besides the block."""

    target: str  # language code
    source_language: str = ""  # language code, "" when unknown
    glossary: dict = field(default_factory=dict)

    def messages(self, marked: str) -> list[dict]:
        from_text = f" from {LANGUAGES[self.source_language]}" if self.source_language else ""
        terms = "".join(f"\n- {t} → {w}" for t, w in self.glossary.items() if t.lower() in marked.lower())
        system = (f"You are a professional translator. Translate the user's text{from_text} into "
                  f"{LANGUAGES[self.target]}. Answer with the translation only. Keep Markdown marks "
                  "(**, *, [text](...)) around the same words, and copy every ⟦n⟧ placeholder exactly.")
        if terms:
            system += f" Use these translations for these terms:{terms}"
        return [{"role": "system", "content": system}, {"role": "user", "content": marked}]

    def misses(self, source: Block, translated: Block, number: int | None = None) -> list[str]:
        """Glossary terms of the source block whose translation is not in the result."""
        where = f" (block {number})" if number is not None else ""
        return [f"{term} → {wanted}{where}" for term, wanted in self.glossary.items()
                if term.lower() in source.text.lower() and wanted.lower() not in translated.text.lower()]


CODE_LIKE = re.compile(r"^(?=\S*\d)(?=\S*[A-Za-z])[\w.\-/:#+]+$")  # X-12, AB-7, v2.3.1, SKU123, 10kg


def translatable(block: Block) -> bool:
    """Code, empty blocks, blocks with no words (numbers, symbols) and code-like cells
    (one token of letters and digits: a part number, a version) are copied, never sent."""
    text = block.text.strip()
    if block.kind == "code" or not any(ch.isalpha() for ch in text):
        return False
    return not (block.kind == "table_cell" and CODE_LIKE.match(text))


def edited_block(block: Block, text: str) -> Block:
    """A block after a person edited its text (inline Markdown marks are read back)."""
    if block.kind == "code":
        return replace(block, spans=(Span(text, code=True),))  # still code, as read from any format
    return from_marked(block, text, [], by_model=False)


def to_marked(block: Block) -> tuple[str, list[str]]:
    """The block as Markdown inline text; code, URLs and marks (images, note marks)
    as numbered holes."""
    holes: list[str] = []

    def hole(value: str) -> str:
        holes.append(value)
        return HOLE.format(len(holes))

    out = []
    for s in block.spans:
        text = hole(s.mark or s.text) if s.code or s.mark else s.text
        if not (s.code or s.mark) and text.strip() and (s.bold or s.italic or s.strike):
            # Marks hug the words: "*word* " (Markdown reads no emphasis in "*word *")
            core = text.strip()
            marks = ("**" if s.bold else "") + ("*" if s.italic else "") + ("~~" if s.strike else "")
            text = text[:len(text) - len(text.lstrip())] + marks + core + marks[::-1] + text[len(text.rstrip()):]
        if s.link:
            text = f"[{text}]({hole(s.link)})"
        out.append(text)
    return "".join(out), holes


LINE_MARK = re.compile(r"^(?:[-+*]|\d+[.)]|#{1,6})\s+")


def from_marked(block: Block, text: str, holes: list[str], by_model: bool = True) -> Block:
    """The translated marks back into spans; holes refilled exactly. Links a model
    wrote that the source does not have are dropped (a person's are kept)."""
    def fill(value: str) -> str:
        return HOLE_RE.sub(lambda m: holes[int(m.group(1)) - 1] if 0 < int(m.group(1)) <= len(holes) else "", value)

    # One block stays one block: no stray line breaks; a list or heading mark the model added
    # is dropped, and one the source has ("1. Soil Health" as a heading's words) stays words.
    text = " ".join(text.split())
    if LINE_MARK.match(text) and not LINE_MARK.match(block.text.lstrip()):
        text = LINE_MARK.sub("", text, count=1)
    text = escape_line_start(text)
    parsed = read_markdown(text).blocks
    spans: list[Span] = []
    if len(parsed) == 1:
        addresses = {s.link for s in block.spans if s.link}
        for s in parsed[0].spans:
            link = fill(unquote(s.link)) if s.link else None  # markdown-it percent-encodes the hole
            if by_model and link not in addresses:
                link = None
            spans += _with_code(s.text, holes, block, s, link)
    if not spans:  # the marks did not survive: keep the words
        spans = [Span(HOLE_RE.sub("", text).replace("**", "").strip())]
    return replace(block, spans=tuple(spans) + _dropped(block, tuple(spans)))


def _dropped(block: Block, spans: tuple[Span, ...]) -> tuple[Span, ...]:
    """Inline code, links and marks of the source missing from the translation, put back
    at the block's end: whatever the model did with its placeholders, they are never lost."""
    codes = {s.text for s in spans if s.code}
    links = {s.link for s in spans if s.link}
    marks = {s.mark for s in spans if s.mark}
    out: list[Span] = []
    for s in block.spans:
        if s.mark:
            if s.mark not in marks:
                marks.add(s.mark)
                out.append(s)
        elif s.link and s.link not in links:
            links.add(s.link)
            out += [Span(" "), Span("".join(x.text for x in block.spans if x.link == s.link), link=s.link)]
        elif s.code and not s.link and s.text not in codes:
            codes.add(s.text)
            out += [Span(" "), s]
    return tuple(out)


def _with_code(text: str, holes: list[str], block: Block, style: Span, link) -> list[Span]:
    """Text with holes inside: inline code holes become code spans again, marks their
    marks; a link's address written outside a link becomes that link again (with the
    source's words)."""
    code_values = {x.text for x in block.spans if x.code}
    marks = {x.mark: x for x in block.spans if x.mark}
    link_texts = {x.link: "".join(y.text for y in block.spans if y.link == x.link) for x in block.spans if x.link}
    out, last, used = [], 0, set()
    bold, italic, strike = style.bold, style.italic, style.strike
    for m in HOLE_RE.finditer(text):
        index = int(m.group(1))
        value = holes[index - 1] if 0 < index <= len(holes) else ""
        if m.start() > last:
            out.append(Span(text[last:m.start()], bold, italic, False, link, strike=strike))
        if value in marks:
            if value not in used:  # a mark the model wrote twice is kept once
                out.append(marks[value])
                used.add(value)
        elif value in link_texts and value not in code_values and link is None:
            out.append(Span(link_texts[value], bold, italic, False, value, strike=strike))
        else:
            out.append(Span(value, bold, italic, value in code_values, link, strike=strike))
        last = m.end()
    if last < len(text):
        out.append(Span(text[last:], bold, italic, False, link, strike=strike))
    return [s for s in out if s.text or s.mark]


class Translator:
    def __init__(self, host: ModelHost, settings: Settings):
        self.host = host
        self.settings = settings

    def translate(self, source: Path, doc: Document, model: ModelRef, target: str, source_language: str = "",
                  output: Path | None = None, glossary: dict[str, str] | None = None, listener=None) -> Job:
        """Translate `doc` (read from `source`) into `target`; the source language is detected
        when not given. Yields a TranslatedBlock per block, then the Translation."""
        code = language_code(target)
        given = language_code(source_language) if source_language else ""
        output = translation_output(Path(source), doc, code, output)
        refuse_source(output, Path(source))
        state_path = state_file(output)
        source_print = fingerprint(doc)

        def job(ctx: HostContext) -> Iterator[Event]:
            yield from ctx.engine_for(model)
            t0 = time.perf_counter()
            request = BlockRequest(code, given or self._detected(doc, code), glossary or {})
            state = read_json(state_path, dict)
            done: dict[str, str] = state.get("blocks", {}) if state.get("source") == source_print else {}
            out_blocks, sent, misses, flagged = [], 0, [], {}
            todo = [i for i, b in enumerate(doc.blocks) if translatable(b)]
            position_of = {i: n for n, i in enumerate(todo)}
            resumed = sum(1 for i in todo if str(i) in done)
            started = time.perf_counter()
            for i, block in enumerate(doc.blocks):
                if translatable(block):
                    marked, holes = to_marked(block)
                    if str(i) not in done:
                        position = position_of[i]
                        left = len(todo) - position
                        eta = (time.perf_counter() - started) / sent * left if sent else None
                        yield Progress(position, len(todo), f"Translating block {position + 1} of {len(todo)}"
                                       + (f" ({resumed} kept from before)" if resumed else "")
                                       + (f", about {eta:.0f} s left" if eta else ""))
                        try:
                            done[str(i)] = yield from self._checked(ctx, request, block, marked, holes)
                        except UserError:
                            if ctx.cancel.is_set():
                                raise UserError(f"Stopped after {len(done)} of {len(todo)} blocks. The finished "
                                                "blocks are kept: translate again to go on from there.",
                                                kind=ErrorKind.CANCELLED) from None
                            raise
                        sent += 1
                        atomic_write_text(state_path, json.dumps({"source": source_print, "blocks": done}))
                    block_out = from_marked(block, done[str(i)], holes)
                    found = problems(block.text, block_out.text, request.target)
                    if found:
                        flagged[i] = found
                    misses += request.misses(block, block_out, i + 1)
                else:
                    block_out = block
                out_blocks.append(block_out)
                yield Partial(TranslatedBlock(i, block_out))
                yield from ctx.give_way()
            result = Document(out_blocks, doc.format, doc.source) if doc.format in WRITABLE else Document(
                out_blocks, "md")
            save_document(result, output, source)
            state_path.unlink(missing_ok=True)
            yield Finished(Translation(output, len(doc.blocks), sent, time.perf_counter() - t0, misses,
                                       request.source_language, result, compared(doc, output), flagged,
                                       len(todo), resumed))

        return self.host.submit(job, listener, kind=JobKind.TRANSLATE, info={"output": str(output)})

    def retranslate(self, block: Block, model: ModelRef, target: str, source_language: str = "",
                    glossary: dict[str, str] | None = None, listener=None) -> Job:
        """One block again (a person did not like it); Finished carries (block, glossary misses)."""
        request = BlockRequest(language_code(target), language_code(source_language) if source_language else "",
                               glossary or {})
        if not translatable(block):
            raise UserError("Code, and blocks without words, are copied as they are, not translated.")

        def job(ctx: HostContext) -> Iterator[Event]:
            yield from ctx.engine_for(model)
            marked, holes = to_marked(block)
            # a little warmer than the first time, so the new attempt can differ
            text = yield from self._complete(ctx, request, marked, temperature=0.6)
            result = from_marked(block, text, holes)
            yield Finished((result, request.misses(block, result)))

        return self.host.submit(job, listener, kind=JobKind.TRANSLATE, info={})

    def _checked(self, ctx: HostContext, request: BlockRequest, block: Block, marked: str,
                 holes: list[str]) -> Steps[str]:
        """A block's translation, asked for once more (a little warmer) when the checks find a
        problem; the attempt with fewer problems is kept (and flagged if any are left)."""
        first = yield from self._complete(ctx, request, marked)
        found = problems(block.text, from_marked(block, first, holes).text, request.target)
        if not found:
            return first
        second = yield from self._complete(ctx, request, marked, temperature=0.6)
        again = problems(block.text, from_marked(block, second, holes).text, request.target)
        return second if len(again) < len(found) else first

    def _complete(self, ctx: HostContext, request: BlockRequest, marked: str,
                  temperature: float = 0.2) -> Steps[str]:
        """One block's translation. A block too long for the context with its
        translation is sent in pieces of whole sentences (or words), joined back."""
        engine = ctx.engine
        overhead = engine.count_tokens(request.messages(""))
        budget = max(16, int((engine.n_ctx - overhead - PIECE_MARGIN) / (1 + OUTPUT_RATIO)))
        size = engine.count_text(marked)
        pieces = [(marked, size)] if size <= budget else [
            (piece, engine.count_text(piece)) for piece in split_text(marked, engine.count_text, budget)]
        translated = []
        for piece, size in pieces:
            # A block is one paragraph: a blank line starts the model's own notes, not the translation,
            # and a translation seldom needs twice the source's tokens.
            params = replace(params_from(self.settings), temperature=temperature,
                             max_tokens=max(32, 2 * size + 16), stop=("\n\n",))
            translated.append((yield from complete(ctx, request.messages(piece), params, progress=False)))
        return " ".join(translated)

    @staticmethod
    def _detected(doc: Document, target: str) -> str:
        code = detect_language("\n".join(b.text for b in doc.blocks if translatable(b)))
        if code == target:
            raise UserError(f"This document already seems to be in {LANGUAGES[code]}. Choose another target "
                            "language, or give the source language if that is wrong.")
        return code
