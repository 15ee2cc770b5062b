"""Splitting a document into parts that fit the model's context, on block
boundaries (a block too long on its own is split between sentences)."""

from __future__ import annotations

import re
from typing import Callable

from desktop_llm.core.documents.model import Block

SENTENCE = re.compile(r"(?<=[.!?…])\s+")


def split_text(text: str, count: Callable[[str], int], budget: int) -> list[str]:
    """`text` as pieces of whole sentences, each within `budget` tokens; a
    sentence longer than that is cut between words (a word longer than the
    budget stands alone). Each unit is counted once, so a paragraph of any
    length is split in linear time; the sum of the units' counts is an upper
    bound of the piece's count (tokens do not merge across spaces)."""
    pieces: list[str] = []
    current: list[str] = []
    used = 0
    for sentence in SENTENCE.split(text.strip()):
        size = count(sentence)
        units = [(sentence, size)] if size <= budget else [(w, count(w)) for w in sentence.split()]
        for unit, size in units:
            if current and used + size + 1 > budget:
                pieces.append(" ".join(current))
                current, used = [], 0
            current.append(unit)
            used += size + (1 if used else 0)
    if current:
        pieces.append(" ".join(current))
    return pieces


def _split_block(block: Block, count: Callable[[str], int], budget: int) -> list[Block]:
    """A block longer than the budget, as several blocks of whole sentences (or words)."""
    return [block.with_text(p) for p in split_text(block.text, count, budget)]


def chunk_blocks(blocks: list[Block], count: Callable[[str], int], budget: int) -> list[list[Block]]:
    """Consecutive blocks grouped so each group's text stays within `budget` tokens."""
    if budget < 16:
        raise ValueError("budget too small")
    chunks: list[list[Block]] = []
    current: list[Block] = []
    used = 0
    for block in blocks:
        if not block.text.strip():
            continue
        size = count(block.text) + 2  # the blank line between blocks
        parts = [block] if size <= budget else _split_block(block, count, budget - 2)
        for part in parts:
            size = count(part.text) + 2
            if current and used + size > budget:
                chunks.append(current)
                current, used = [], 0
            current.append(part)
            used += size
    if current:
        chunks.append(current)
    return chunks
