"""What the app holds a rewrite to: the text only (no "Sure! Here is…"
preamble, no closing offer), the selection's paragraph breaks and its
surrounding white space kept, and the length goal of "shorter" and "longer"
checked — one retry, then the user is told."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

REWRITE_STYLES = {
    "shorter": "Make it shorter: keep every key point, drop the rest.",
    "longer": "Make it longer: add useful detail and examples, same voice.",
    "simpler": "Make it simpler: short sentences and everyday words.",
    "formal": "Make it more formal and professional.",
    "persuasive": "Make it more persuasive, without exaggerated claims.",
    "grammar": "Fix spelling, grammar and punctuation only; change nothing else.",
    "continue": "Continue the text in the same voice; give only the continuation.",
}
SYSTEM = ("You are a careful editor. Answer with the rewritten text only: no introduction, no comment, "
          "no quotation marks around it. Keep the paragraph breaks where the text has them.")
SHORTER_SHARE = 0.7  # the goal a retry of "shorter" is given, as a share of the original
LONGER_SHARE = 1.4

PREAMBLE = re.compile(
    r"^\s*(?:(?:sure|certainly|of course|okay|ok|absolutely|great)\b[^\n]*|"
    r"here(?:'s| is| are)\b[^\n]*|(?:the )?(?:rewritten|revised|shorter|longer|simpler|edited)"
    r" (?:text|version)[^\n]*:)\s*\n", re.IGNORECASE)
CLOSING = re.compile(r"\n\s*(?:let me know|i hope|feel free|if you(?:'d| would) like)[^\n]*\s*$", re.IGNORECASE)
PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


@dataclass(frozen=True)
class Rewritten:
    text: str
    notes: list[str] = field(default_factory=list)  # what the app had to do, or could not


def messages_for(text: str, style: str) -> list[dict]:
    paragraphs = len(PARAGRAPH_BREAK.split(text.strip()))
    keep = f"\nThe text has {paragraphs} paragraphs: keep them apart with blank lines." if paragraphs > 1 else ""
    return [{"role": "system", "content": SYSTEM},
            {"role": "user", "content": f"{REWRITE_STYLES[style]}{keep}\n\nText:\n{text.strip()}"}]


def without_chatter(answer: str, original: str) -> str:
    """The rewritten text alone: a chat preamble, a closing offer and quotes the
    original did not have are taken off."""
    text = answer.strip()
    stripped = PREAMBLE.sub("", text, count=1).strip()
    text = stripped or text  # a "preamble" with nothing after it was the text
    text = CLOSING.sub("", text).strip() or text
    original = original.strip()
    for left, right in (('"', '"'), ("“", "”"), ("'", "'")):
        if (len(text) > 2 and text.startswith(left) and text.endswith(right)
                and not original.startswith(left) and left not in text[1:-1]):
            text = text[1:-1].strip()
    return text


def with_paragraphs(text: str, original: str) -> str:
    """The selection's leading and trailing white space around the new text (a
    selection that took in a paragraph break keeps it), and its paragraphs
    apart when the model ran them together line by line."""
    lead = original[: len(original) - len(original.lstrip())]
    trail = original[len(original.rstrip()):]
    body = text.strip()
    if PARAGRAPH_BREAK.search(original.strip()) and not PARAGRAPH_BREAK.search(body) and "\n" in body:
        body = re.sub(r"\n+", "\n\n", body)
    return lead + body + trail


def length_goal(style: str, original: str) -> int | None:
    """The length a retry asks for, when the style has a length goal."""
    n = len(original.strip())
    if style == "shorter":
        return max(1, int(n * SHORTER_SHARE))
    if style == "longer":
        return int(n * LONGER_SHARE)
    return None


def misses_goal(style: str, original: str, text: str) -> bool:
    n, m = len(original.strip()), len(text.strip())
    return (style == "shorter" and m >= n) or (style == "longer" and m <= n)


def nearer_goal(style: str, first: str, second: str) -> str:
    """Of two tries, the shorter for "shorter", the longer for "longer"."""
    if style == "shorter":
        return min(first, second, key=len)
    return max(first, second, key=len)


def retry_request(style: str, original: str, text: str) -> str:
    goal = length_goal(style, original)
    bound = "at most" if style == "shorter" else "at least"
    return (f"That is {len(text)} characters; the original is {len(original.strip())}. "
            f"Rewrite the original in {bound} {goal} characters. Answer with the text only.")


def missed_note(style: str, original: str, text: str) -> str:
    word = "shorter" if style == "shorter" else "longer"
    return (f"The rewrite is not {word} than the original ({len(text.strip())} against "
            f"{len(original.strip())} characters), even after a second try: edit it, or Reject it.")
