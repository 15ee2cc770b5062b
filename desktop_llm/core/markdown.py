"""Markdown parsed one way everywhere, and to HTML for messages and exports, with code highlighted by Pygments.

Styles are inline (no stylesheet), so the HTML shows the same in a Qt label,
a browser or an exported file.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

from markdown_it import MarkdownIt
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import TextLexer, get_lexer_by_name
from pygments.util import ClassNotFound

CODE_STYLE = "background:#f6f8fa; color:#24292f; padding:8px; border-radius:6px; font-family:monospace;"
COPY_LINK = "copy-code:"  # href of a code block's Copy link, followed by its index


def parser() -> MarkdownIt:
    """The one Markdown dialect of the app: CommonMark with tables, raw HTML
    taken as text (a model's or a document's HTML is never run)."""
    return MarkdownIt("commonmark", {"html": False}).enable("table")


def parse(text: str) -> list:
    """Markdown's block and inline tokens."""
    return parser().parse(text)


@dataclass
class Rendered:
    html: str
    code_blocks: list[str] = field(default_factory=list)  # source of each block, in order


def _lexer(lang: str):
    """The fence's language; guessing from the code alone is slow and often wrong."""
    try:
        return get_lexer_by_name(lang) if lang else TextLexer()
    except ClassNotFound:
        return TextLexer()


def render(text: str, copy_links: bool = False) -> Rendered:
    """Render Markdown; with `copy_links`, each code block gets a Copy link
    whose href is COPY_LINK + the block's index in `code_blocks`."""
    result = Rendered("")
    formatter = HtmlFormatter(noclasses=True, nowrap=True, style="default")

    def fence(_renderer, tokens, idx, _options, _env) -> str:
        token = tokens[idx]
        source, lang = token.content, token.info.strip().split(" ")[0] if token.info else ""
        index = len(result.code_blocks)
        result.code_blocks.append(source)
        body = highlight(source, _lexer(lang), formatter)
        link = (f'<p style="margin:0"><a href="{COPY_LINK}{index}">Copy code</a>'
                f'{" · " + html.escape(lang) if lang else ""}</p>') if copy_links else ""
        return f'{link}<pre style="{CODE_STYLE}">{body}</pre>\n'

    md = parser()
    md.add_render_rule("fence", fence)
    md.add_render_rule("code_block", fence)
    result.html = md.render(text)
    return result


def to_html(text: str) -> str:
    return render(text).html


WARM_UP_LANGUAGES = ("python", "javascript", "bash", "json", "html", "sql", "c", "java")


def warm_up() -> None:
    """Load the parser, the formatter and the common code lexers once, off the window's
    thread: the first reply with code would otherwise pay for it (40 ms) as it ends."""
    render("**a** *b* [c](https://example.org)\n\n1. d\n\n| e | f |\n|---|---|\n| 1 | 2 |\n\n"
           + "".join(f"```{lang}\nx\n```\n\n" for lang in WARM_UP_LANGUAGES), copy_links=True)
