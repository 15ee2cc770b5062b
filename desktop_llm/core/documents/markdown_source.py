"""Markdown read into blocks, and written back by changing only the words.

markdown-it's tokens say which lines a block is on but not where inline text
sits, so each inline rule is wrapped to note the source range of the markup
it makes (emphasis marks, code, links' brackets and addresses, images,
footnote marks, HTML). The text between is what is translated; when the
translation is written back, only those ranges change and every other byte
of the file — list markers and numbers, images, footnote definitions, front
matter, HTML, rules, code — stays as it was.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.deflist import deflist_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.front_matter import front_matter_plugin

from desktop_llm.core.documents.model import Block, Document, Span
from desktop_llm.core.documents.refill import Key, Piece, anchor_of, refill
from desktop_llm.core.documents.spans import merged_spans

TEXT_TYPES = ("text", "text_special", "softbreak")
OPENS = {"strong_open": "bold", "em_open": "italic", "s_open": "strike"}
CLOSES = {"strong_close": "bold", "em_close": "italic", "s_close": "strike"}
LINE_START = re.compile(r"^(\s*)([#>+\-*=|]|\d+[.)])")
ESCAPED = re.compile(r"([\\`*_\[\]<])")
SRC = "src"  # a token's source range, in its inline content
REFERENCE = "reference:"  # a shortcut reference link's end, with its label
ALT = "alt"  # an image's alt text's source range
DELIMITER = "delimiter"  # an emphasis mark: kept, even when it stays a literal character


def _tracking(md: MarkdownIt) -> MarkdownIt:
    """Wrap every inline rule to note the source range of the tokens it makes."""
    for rule in md.inline.ruler.__rules__:
        rule.fn = _tracked(rule.name, rule.fn)
    md.inline.ruler.__cache__ = None
    return md


def _tracked(name: str, fn):
    def rule(state, silent: bool) -> bool:
        start, count, pending = state.pos, len(state.tokens), state.pending
        ok = fn(state, silent)
        if ok and not silent:
            made = state.tokens[count:]
            if pending and made and made[0].type == "text" and made[0].content == pending:
                made = made[1:]  # text that was waiting, pushed out by this rule's first token
            end = state.pos
            if name == "link" and made:
                label_end = _label_end(state, start)
                made[0].meta[SRC] = (start, start + 1)
                made[-1].meta[SRC] = (label_end, end)
            elif name == "image" and made:
                made[0].meta[SRC] = (start, end)
                made[0].meta[ALT] = (start + 2, _label_end(state, start + 1))
            elif name == "emphasis" or name == "strikethrough":
                at = start
                for tok in made:  # one token per delimiter
                    tok.meta[SRC] = (at, at + len(tok.content))
                    tok.meta[DELIMITER] = True
                    at += len(tok.content)
            else:
                for tok in made:
                    tok.meta.setdefault(SRC, (start, end))
        return ok

    return rule


def _label_end(state, start: int) -> int:
    saved = state.pos
    try:
        return state.md.helpers.parseLinkLabel(state, start, True)
    finally:
        state.pos = saved


def document_parser() -> MarkdownIt:
    """Documents' Markdown: CommonMark with GFM tables and strikethrough, footnotes,
    definition lists, front matter and raw HTML (kept as it is, never run)."""
    md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    md.use(footnote_plugin).use(deflist_plugin).use(front_matter_plugin)
    # Text tokens are not joined: each keeps the source range noted for it.
    md.inline.ruler2.disable("fragments_join")
    md.core.ruler.disable("text_join")
    return _tracking(md)


@dataclass
class _Place:
    """Where one block's inline text is in the file, and its pieces."""

    start: int  # file offset of the inline content
    end: int
    offsets: list[int]  # file offset of each content offset (one more than the content's length)
    pieces: list[tuple[int, int, Piece | None, str]]  # content ranges: text (its key), anchors, markup (None)
    block: Block  # as read: a block that comes back the same keeps its bytes
    in_table: bool = False
    alts: dict[int, tuple[int, int]] = field(default_factory=dict)  # image piece -> its alt text's range


@dataclass(frozen=True)
class _AltPlace:
    """An image's alt text, inside the markup of its paragraph's image piece."""

    paragraph: _Place
    piece: int  # index in the paragraph's pieces
    block: Block


@dataclass
class MarkdownSource:
    """The file a Markdown document was read from, able to take new words."""

    text: str
    places: list[_Place | _AltPlace | None] = field(default_factory=list)

    def render(self, blocks: list[Block]) -> bytes:
        alts = {(id(p.paragraph), p.piece): _escaped(block.text, False, p.paragraph.in_table)
                for block, p in zip(blocks, self.places) if isinstance(p, _AltPlace) and block != p.block}
        out, at = [], 0
        for block, place in zip(blocks, self.places):
            if not isinstance(place, _Place):
                continue
            same = block == place.block
            if same and not any((id(place), k) in alts for k in place.alts):
                continue
            pieces = [piece for _, _, piece, _ in place.pieces if piece is not None]
            texts = iter(refill(pieces, block.spans))
            out.append(self.text[at:place.start])
            made = []
            for k, (a, b, piece, kind) in enumerate(place.pieces):
                new = next(texts) if piece is not None else ""
                source = self.text[place.offsets[a]:place.offsets[b]]
                if isinstance(piece, tuple):
                    made.append(("text", source if same else _escaped(new, a == 0, place.in_table)))
                elif kind.startswith(REFERENCE):
                    made.append(("link_close", source if same else f"][{kind[len(REFERENCE):]}]"))
                elif (id(place), k) in alts:
                    alt_start, alt_end = place.alts[k]
                    made.append((kind, self.text[place.offsets[a]:place.offsets[alt_start]] + alts[(id(place), k)]
                                 + self.text[place.offsets[alt_end]:place.offsets[b]]))
                else:
                    made.append((kind, source))
            out += [text for _, text in _without_empty_marks(made)]
            at = place.end
        out.append(self.text[at:])
        return "".join(out).encode("utf-8")


def _without_empty_marks(pieces: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Emphasis or a link left with no words (the translation moved them) is dropped
    with its marks: `****` or `[](url)` would show as stray characters."""
    changed = True
    while changed:
        changed = False
        for i in range(len(pieces) - 2):
            (a, _), (b, text), (c, _) = pieces[i:i + 3]
            if a.endswith("_open") and b == "text" and not text.strip() and c == a[:-5] + "_close":
                pieces[i:i + 3] = [("text", text)]
                changed = True
                break
    return pieces


def _escaped(text: str, at_start: bool, in_table: bool) -> str:
    text = ESCAPED.sub(r"\\\1", " ".join(text.split("\n")))
    if in_table:
        text = text.replace("|", "\\|")
    if at_start:
        text = LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), text, count=1)
    return text


def read_markdown(text: str) -> Document:
    """The blocks of a Markdown text; the document can write itself back in place."""
    tokens = document_parser().parse(text)
    lines = [line + "\n" for line in text.split("\n")]  # markdown-it's lines end at \n only
    line_starts = [0]
    for line in lines:
        line_starts.append(line_starts[-1] + len(line))
    cursors: dict[int, int] = {}
    blocks: list[Block] = []
    places: list[_Place | _AltPlace | None] = []
    lists: list[bool] = []  # ordered?, per open list
    kind, level, quote, cell = None, 0, 0, None
    table, row, col = -1, -1, -1
    for tok in tokens:
        t = tok.type
        if t == "heading_open":
            kind, level = "heading", int(tok.tag[1])
        elif t == "heading_close":
            kind = None
        elif t in ("bullet_list_open", "ordered_list_open"):
            lists.append(t == "ordered_list_open")
        elif t in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif t == "blockquote_open":
            quote += 1
        elif t == "blockquote_close":
            quote -= 1
        elif t == "table_open":
            table, row = table + 1, -1
        elif t == "tr_open":
            row, col = row + 1, -1
        elif t in ("th_open", "td_open"):
            col += 1
            cell = (table, row, col)
        elif t in ("th_close", "td_close"):
            cell = None
        elif t in ("fence", "code_block"):
            blocks.append(Block("code", (Span(tok.content.rstrip("\n"), code=True),),
                                language=(tok.info or "").strip()))
            places.append(None)
        elif t == "inline" and not tok.map:
            continue  # an inline footnote's words (^[...]) are inside its paragraph's markup, kept with it
        elif t == "inline":
            spans, pieces = _inline(tok.children or [], tok.content)
            if cell is not None:
                block = Block("table_cell", spans, cell=cell)
            elif kind == "heading":
                block = Block("heading", spans, level=level)
            elif lists:
                block = Block("list_item", spans, level=len(lists), ordered=lists[-1])
            elif quote:
                block = Block("quote", spans)
            else:
                block = Block("paragraph", spans)
            blocks.append(block)
            offsets = _offsets(tok, lines, line_starts, cursors)
            place = _Place(offsets[0], offsets[-1], offsets, pieces, block, cell is not None) if offsets else None
            places.append(place)
            for k, image in _images(tok.children or [], pieces):
                if place is None:
                    break
                alt = image.meta[ALT]
                alt_block = Block("image_text", (Span(image.content),))
                place.alts[k] = alt
                blocks.append(alt_block)
                places.append(_AltPlace(place, k, alt_block))
    # A block whose text was not found in the file (a form of Markdown not foreseen) cannot take its
    # translation in place: the document is then written from its blocks, as any other.
    placed = all(p is not None for b, p in zip(blocks, places) if b.kind != "code")
    return Document(blocks, "md", source=MarkdownSource(text, places) if placed else None)


def _images(children, pieces) -> list[tuple[int, Token]]:
    """The images with words in their alt text, and the index of each one's piece."""
    starts = {a: k for k, (a, _, _, kind) in enumerate(pieces) if kind == "image"}
    return [(starts[tok.meta[SRC][0]], tok) for tok in children
            if tok.type == "image" and ALT in tok.meta and tok.meta[SRC][0] in starts
            and any(ch.isalpha() for ch in tok.content)]


def _offsets(tok, lines: list[str], line_starts: list[int], cursors: dict[int, int]) -> list[int] | None:
    """The file offset of each character of an inline token's content (and of each
    line's end), found line by line: a table's cells share a line, so each line
    remembers how far it was read."""
    content = tok.content
    offsets: list[int] = []
    first = tok.map[0]
    for j, part in enumerate(content.split("\n")):
        number = first + j
        if number >= len(lines):
            return None
        line, cursor = lines[number], cursors.get(number, 0)
        column = line.find(part, cursor)
        if column >= 0:
            columns = list(range(column, column + len(part) + 1))
        else:  # a table cell's \| is | in its content
            column = line.find(part.replace("|", "\\|"), cursor)
            if column < 0 or "|" not in part:
                return None
            columns = _escaped_columns(part, line, column)
        cursors[number] = columns[-1]
        offsets += [line_starts[number] + c for c in columns]  # the last: the line's end, where its newline is
    return offsets


def _escaped_columns(part: str, line: str, column: int) -> list[int]:
    columns = []
    for ch in part:
        if ch == "|" and line[column] == "\\":
            column += 1
        columns.append(column)
        column += 1
    return columns + [column]


MARKS = {"image": "image", "footnote_ref": "note", "html_inline": "tag", "hardbreak": "break"}


def _inline(children, content: str) -> tuple[tuple[Span, ...], list[tuple[int, int, Piece | None, str]]]:
    """The spans a reader and the model see, and the content cut into pieces:
    text with its formatting, anchors (code, images, note marks, tags) and
    markup kept as it is (emphasis marks, link brackets and addresses)."""
    spans: list[Span] = []
    pieces: list[tuple[int, int, Piece | None, str]] = []
    marks = {"bold": 0, "italic": 0, "strike": 0}
    link: str | None = None
    at = label = 0

    def key() -> Key:
        return (marks["bold"] > 0, marks["italic"] > 0, link, marks["strike"] > 0)

    def span(text: str, code: bool = False) -> Span:
        bold, italic, _, strike = key()
        return Span(text, bold, italic, code, link, strike=strike)

    def text_until(end: int) -> None:
        if end > at:
            pieces.append((at, end, key(), "text"))

    for tok in children:
        t = tok.type
        if SRC in tok.meta and tok.meta[SRC][0] < at:  # inside markup already kept (an autolink's text)
            continue
        if t in TEXT_TYPES and not tok.meta.get(DELIMITER):
            if tok.content or t == "softbreak":
                spans.append(span(tok.content or " "))
            continue
        if SRC not in tok.meta:
            continue
        start, end = tok.meta[SRC]
        text_until(start)
        count = len(spans)
        if t == "code_inline":
            spans.append(span(tok.content, code=True))
        elif t == "link_open" and tok.markup == "autolink":
            spans.append(Span(tok.attrGet("href") or "", code=True))  # an address written as one: never translated
        elif t in MARKS:
            spans.append(Span("\n" if t == "hardbreak" else "", mark=f"{MARKS[t]}:{len(pieces)}"))
        elif t in OPENS:
            marks[OPENS[t]] += 1
        elif t in CLOSES:
            marks[CLOSES[t]] -= 1
        elif t == "link_open":
            link, label = tok.attrGet("href"), end
        elif t == "link_close":
            link = None
            if content[start:end] in ("]", "][]"):  # [label] names its reference: it is kept as [words][label]
                t = REFERENCE + content[label:start]
        pieces.append((start, end, anchor_of(spans[-1]) if len(spans) > count else None, t))
        at = end
    text_until(len(content))
    return tuple(merged_spans(spans)), pieces
