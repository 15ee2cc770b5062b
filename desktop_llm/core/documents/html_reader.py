"""HTML read into blocks with the standard library's HTML tokenizer.

Every piece of visible text becomes part of a block: text directly in a
<div>, <section>, <article> or <body>, between other blocks or after a
nested list, is kept as a paragraph (a quote inside <blockquote>, a list
item inside <li>). The open elements are a stack, not a recursion, so a
page nested 10,000 levels deep is read whole (lxml's parser stops at a
depth of a few hundred and drops the rest).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from desktop_llm.core.documents.model import Block, Document, Span
from desktop_llm.core.documents.refill import Anchor, Piece, anchor_of, refill
from desktop_llm.core.documents.spans import clean_spans

HIDDEN = {"head", "title", "script", "style", "template", "noscript"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
INLINE_FORMAT = {"b": "bold", "strong": "bold", "i": "italic", "em": "italic", "code": "code", "kbd": "code",
                 "samp": "code", "tt": "code", "var": "code", "a": "link", "s": "strike", "strike": "strike",
                 "del": "strike"}
ALT = re.compile(r"""\salt\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))""", re.I)
HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
# Elements that end the text run before them and start a new one (all else is inline).
BLOCKS = HEADINGS | {
    "p", "div", "section", "article", "main", "header", "footer", "nav", "aside", "body", "html", "figure",
    "figcaption", "address", "form", "fieldset", "details", "summary", "dl", "dt", "dd", "center",
    "ul", "ol", "li", "pre", "blockquote", "table", "thead", "tbody", "tfoot", "tr", "td", "th", "caption",
    "hr", "br",
}
CLOSES_P = BLOCKS - {"br", "body", "html"}  # a <p> left open ends where one of these starts


@dataclass
class _Open:
    tag: str
    bold: bool = False
    italic: bool = False
    code: bool = False  # inline code, or text marked translate="no"
    link: str | None = None
    strike: bool = False
    language: str = ""  # of a <code class="language-x"> inside <pre>


@dataclass
class _Table:
    index: int
    row: int = -1
    col: int = -1


@dataclass
class HtmlSource:
    """The page a document was read from, able to take new words: each block's text
    runs are replaced where they are, and every tag, attribute and comment stays."""

    text: str
    places: list[list[tuple[int, int, Piece]] | None] = field(default_factory=list)  # per block
    blocks: list[Block] = field(default_factory=list)  # as read

    def render(self, blocks: list[Block]) -> bytes:
        changes: list[tuple[int, int, str]] = []
        for block, old, place in zip(blocks, self.blocks, self.places):
            if place is None or block == old:
                continue
            for (start, end, piece), new in zip(place, refill([p for _, _, p in place], block.spans)):
                if isinstance(piece, tuple) and block.kind == "image_text":
                    changes.append((start, end, html.escape(" ".join(new.split()), quote=True)))
                elif isinstance(piece, tuple):
                    changes.append((start, end, _spaced(self.text[start:end], new)))
        out, at = [], 0
        for start, end, new in sorted(changes):
            out += [self.text[at:start], new]
            at = end
        out.append(self.text[at:])
        return "".join(out).encode("utf-8")


def _spaced(old: str, new: str) -> str:
    """New words with the old run's spacing around them (its line breaks and indent)."""
    if not new.strip():
        return " " if old[:1].isspace() or old[-1:].isspace() else ""
    lead = old[:len(old) - len(old.lstrip())] or (" " if new[:1].isspace() else "")
    trail = old[len(old.rstrip()):] or (" " if new[-1:].isspace() else "")
    return lead + html.escape(new.strip(), quote=False) + trail


class _Reader(HTMLParser):
    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.text = text
        self.line_starts = [0]
        for line in text.split("\n"):
            self.line_starts.append(self.line_starts[-1] + len(line) + 1)
        self.places: list[list[tuple[int, int, Piece]] | None] = []
        self.pieces: list[tuple[int, int, Piece]] = []  # the waiting text's place in the page
        self.placed = True  # every text run was found where the parser said it was
        self.blocks: list[Block] = []
        self.stack: list[_Open] = []  # the open elements, outermost first
        self.run: list[Span] = []  # text waiting for its block
        self.pre: list[str] = []  # raw text of an open <pre>
        self.pre_open = 0  # open <pre> elements (counted, so text needs no walk of the stack)
        self.tables: list[_Table] = []
        self.table_count = 0
        self.hidden = 0  # open elements whose text is not shown

    # -- the kind of block the text run belongs to -------------------------------------------
    def _owner(self) -> str:
        for element in reversed(self.stack):
            if element.tag in HEADINGS or element.tag in ("li", "td", "th", "pre", "blockquote"):
                return element.tag
        return ""

    def _lists(self) -> list[bool]:
        return [e.tag == "ol" for e in self.stack if e.tag in ("ul", "ol")]

    def _flush(self) -> None:
        spans, self.run = clean_spans(self.run), []
        pieces, self.pieces = self.pieces, []
        if not spans:
            return
        self.places.append(pieces)
        owner = self._owner()
        if owner in HEADINGS:
            self.blocks.append(Block("heading", spans, level=int(owner[1])))
        elif owner == "li":
            lists = self._lists()
            self.blocks.append(Block("list_item", spans, level=max(1, len(lists)), ordered=bool(lists and lists[-1])))
        elif owner in ("td", "th") and self.tables:
            t = self.tables[-1]
            self.blocks.append(Block("table_cell", spans, cell=(t.index, max(t.row, 0), max(t.col, 0))))
        elif owner == "blockquote":
            self.blocks.append(Block("quote", spans))
        else:
            self.blocks.append(Block("paragraph", spans))

    # -- the stack of open elements --------------------------------------------------------------
    def _close(self, tag: str) -> None:
        """Close the innermost open `tag` and whatever is still open inside it."""
        if not any(e.tag == tag for e in self.stack):
            return
        while self.stack:
            element = self.stack[-1]
            if element.tag in BLOCKS:
                self._flush()
            self.stack.pop()
            if element.tag in HIDDEN:
                self.hidden -= 1
            elif element.tag == "pre":
                self.pre_open -= 1
                text = "".join(self.pre).strip("\n")
                self.pre = []
                if text.strip():
                    self.blocks.append(Block("code", (Span(text, code=True),), language=element.language))
                    self.places.append(None)
            elif element.tag == "table" and self.tables:
                self.tables.pop()
            if element.tag == tag:
                return

    def _open_implied_close(self, tag: str) -> None:
        """HTML's optional end tags: a new item, cell or row ends the one before."""
        if tag in CLOSES_P and self.stack and self.stack[-1].tag == "p":
            self._close("p")
        if tag == "li":
            for e in reversed(self.stack):
                if e.tag in ("ul", "ol"):
                    break
                if e.tag == "li":
                    self._close("li")
                    break
        if tag in ("td", "th", "tr"):
            for e in reversed(self.stack):
                if e.tag in ("table", "tr") and tag != "tr":
                    break
                if e.tag in ("td", "th") or (tag == "tr" and e.tag == "tr"):
                    self._close(e.tag)
                    break
                if e.tag == "table":
                    break

    def _alt_text(self) -> None:
        """An image's alt text is a block of its own, replaced inside the tag."""
        raw = self.get_starttag_text() or ""
        found = ALT.search(raw)
        value = next((g for g in found.groups() if g is not None), "") if found else ""
        if not found or not any(ch.isalpha() for ch in value):
            return
        line, column = self.getpos()
        group = next(i for i in (1, 2, 3) if found.group(i) is not None)
        start = self.line_starts[line - 1] + column + found.start(group)
        if self.text[start:start + len(value)] != value:
            self.placed = False
            return
        span = Span(html.unescape(value))
        self.blocks.append(Block("image_text", (span,)))
        self.places.append([(start, start + len(value), (False, False, None, False), )])

    def _mark(self, kind: str, text: str = "") -> None:
        span = Span(text, mark=f"{kind}:{len(self.pieces)}")
        self.run.append(span)
        self.pieces.append((-1, -1, Anchor(span.mark)))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self._line_break()
            return
        if tag in VOID:
            if tag == "hr":
                self._flush()
            elif tag == "img" and not self.hidden and not self.pre_open:
                self._mark("image")
                self._alt_text()
            return
        self._open_implied_close(tag)
        if tag in BLOCKS:
            self._flush()
        top = self.stack[-1] if self.stack else _Open("")
        element = _Open(tag, top.bold, top.italic, top.code, top.link, top.strike)
        values = dict(attrs)
        if values.get("translate") == "no" or "notranslate" in (values.get("class") or "").split():
            element.code = True  # the page asks that this is never translated
        kind = INLINE_FORMAT.get(tag)
        if kind == "link":
            element.link = dict(attrs).get("href") or None
        elif kind:
            setattr(element, kind, True)
        if tag == "code" and self.pre_open:
            language = (dict(attrs).get("class") or "").replace("language-", "").split(" ")[0]
            for e in reversed(self.stack):
                if e.tag == "pre":
                    e.language = e.language or language
                    break
        if tag in HIDDEN:
            self.hidden += 1
        elif tag == "pre":
            self.pre_open += 1
        elif tag == "table":
            self.table_count += 1
            self.tables.append(_Table(self.table_count - 1))
        elif tag == "tr" and self.tables:
            self.tables[-1].row += 1
            self.tables[-1].col = -1
        elif tag in ("td", "th") and self.tables:
            self.tables[-1].col += 1
        self.stack.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self._close(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "br":  # </br> is read as <br> by browsers
            self._line_break()
            return
        self._close(tag)

    def _line_break(self) -> None:
        if self.pre_open:
            self.pre.append("\n")
        else:
            self._mark("break", "\n")

    def handle_data(self, data: str) -> None:
        if self.hidden:
            return
        if self.pre_open:
            self.pre.append(data)
            return
        top = self.stack[-1] if self.stack else _Open("")
        span = Span(data, top.bold, top.italic, top.code, top.link, strike=top.strike)
        self.run.append(span)
        line, column = self.getpos()
        start = self.line_starts[line - 1] + column
        end = self.text.find("<", start + 1)
        end = len(self.text) if end < 0 else end
        if html.unescape(self.text[start:end]) != data:
            self.placed = False
        self.pieces.append((start, end, anchor_of(span) or (span.bold, span.italic, span.link, span.strike)))

    def read(self) -> Document:
        self.feed(self.text)
        self.close()
        while self.stack:
            self._close(self.stack[-1].tag)
        self._flush()
        # A page whose text runs were not all found where the parser said cannot take words in
        # place: it is then written from its blocks, as any other document.
        source = HtmlSource(self.text, self.places, list(self.blocks)) if self.placed else None
        return Document(self.blocks, "html", source)


def read_html(text: str) -> Document:
    return _Reader(text).read()
