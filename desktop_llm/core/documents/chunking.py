"""Splitting a document into parts that fit the model's context, on block
boundaries (a block too long on its own is split between sentences)."""

from __future__ import annotations

import re
from typing import Callable

from desktop_llm.core.documents.model import Block

SENTENCE = re.compile(r"(?<=[.!?…])\s+")


def _split_block(block: Block, count: Callable[[str], int], budget: int) -> list[Block]:
    """A block longer than the budget, as several blocks of whole sentences (or words)."""
    pieces, current = [], ""
    units = SENTENCE.split(block.text)
    if any(count(u) > budget for u in units):
        units = block.text.split()
    for unit in units:
        candidate = f"{current} {unit}".strip()
        if current and count(candidate) > budget:
            pieces.append(current)
            current = unit
        else:
            current = candidate
    if current:
        pieces.append(current)
    return [block.with_text(p) for p in pieces]


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
