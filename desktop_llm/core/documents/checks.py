"""Checks on a translated block before it is kept: a small or tired model leaves
placeholders, broken characters, a few words for a paragraph (or a page for a
line), or repeats itself until it runs out of tokens. A block that fails is
translated once more; if it fails again it is kept and flagged for review."""

from __future__ import annotations

import re
from collections import Counter

from desktop_llm.core.documents.language import LANGUAGES, detect_language

PLACEHOLDER = re.compile(r"[⟦⟧]")
WORD = re.compile(r"\w+", re.UNICODE)
MIN_RATIO, MAX_RATIO = 0.25, 4.0  # translated / source length, for blocks long enough to judge
JUDGED_LENGTH = 40  # characters
SHORT_SLACK = 30  # characters a short block's translation may add beyond MAX_RATIO times its length
REPEATS = 4  # the same three words this many more times than in the source


def problems(source: str, translated: str, target: str = "") -> list[str]:
    """What is wrong with a translation of `source` into `target` (a language code); empty when nothing is."""
    found = []
    if PLACEHOLDER.search(translated):
        found.append("placeholder left in the text")
    if "\ufffd" in translated:
        found.append("broken characters (U+FFFD)")
    if len(source.strip()) >= JUDGED_LENGTH:
        ratio = len(translated.strip()) / len(source.strip())
        if ratio < MIN_RATIO:
            found.append("much shorter than the source")
        elif ratio > MAX_RATIO:
            found.append("much longer than the source")
    elif len(translated.strip()) > max(MAX_RATIO * len(source.strip()), len(source.strip()) + SHORT_SLACK):
        found.append("much longer than the source")  # a word that came back as a sentence
    if _repeated(translated) > _repeated(source) + REPEATS:
        found.append("repeats itself")
    if target and len(translated.strip()) >= JUDGED_LENGTH:
        language = detect_language(translated)
        if language and language != target:
            found.append(f"seems to be in {LANGUAGES.get(language, language)}")
    return found


def _repeated(text: str) -> int:
    """How often the most common run of three words comes back."""
    words = WORD.findall(text.lower())
    runs = Counter(zip(words, words[1:], words[2:]))
    return max(runs.values(), default=1) - 1
