"""A rendered prompt's tokens, a piece at a time, so that a conversation's next turn tokenizes
only its new messages (llama.cpp's tokenizer takes ~2.6 ms per 1,000 tokens here, at every turn
and at every count that fits a long conversation to the context).

llama.cpp cuts a prompt at the model's special tokens before it tokenizes the text between them,
each part on its own. So the text is cut just before each control token (one that does not take
the spaces before it) and each piece's tokens are kept. Only byte-pair vocabularies, the kind
checked by the tests; others, and any model where the pieces ever disagree with the whole, are
tokenized whole."""

from __future__ import annotations

import re
from collections import OrderedDict
from typing import Any

PIECES_KEPT = 4096  # about two messages a piece: the pieces of a very long conversation


class PromptTokenizer:
    def __init__(self, llm: Any, vocab: Any):
        import llama_cpp

        self._llm, self._vocab = llm, vocab
        self._by_pieces = llama_cpp.llama_vocab_type(vocab) == llama_cpp.LLAMA_VOCAB_TYPE_BPE
        self._checked: set[int] = set()  # token ids whose kind is known
        self._cut_texts: set[str] = set()  # the control tokens seen so far: where a prompt is cut
        self._cut: re.Pattern | None = None
        self._pieces: OrderedDict[str, list[int]] = OrderedDict()

    def __call__(self, text: str) -> list[int]:
        if not self._by_pieces:
            return self._whole(text)
        if self._cut is None:  # the first prompt shows the template's control tokens
            return self._learn(text, self._whole(text))
        tokens: list[int] = []
        for piece in self._cut.split(text):
            if piece:
                tokens += self._piece(piece)
        return tokens

    def _whole(self, text: str) -> list[int]:
        return self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=True)

    def _piece(self, piece: str) -> list[int]:
        tokens = self._pieces.get(piece)
        if tokens is None:
            tokens = self._whole(piece)
            self._keep({piece: tokens})
            self._learn(piece, tokens)  # a control token not seen before, maybe (a tool call's)
        else:
            self._pieces.move_to_end(piece)
        return tokens

    def _learn(self, text: str, whole: list[int]) -> list[int]:
        """Note the control tokens among `whole` (the tokens of `text`); with new ones, the cut
        must still give the same tokens as the whole text, or this model is tokenized whole."""
        import llama_cpp

        new = set()
        for token in set(whole) - self._checked:
            self._checked.add(token)
            attr = llama_cpp.llama_vocab_get_attr(self._vocab, token)
            if attr & llama_cpp.LLAMA_TOKEN_ATTR_CONTROL and not attr & llama_cpp.LLAMA_TOKEN_ATTR_LSTRIP:
                name = llama_cpp.llama_vocab_get_text(self._vocab, token).decode("utf-8", errors="replace")
                if name and name not in self._cut_texts:
                    new.add(name)
        if new:
            self._cut_texts |= new
            longest_first = sorted(self._cut_texts, key=len, reverse=True)
            self._cut = re.compile("(?=" + "|".join(map(re.escape, longest_first)) + ")")
            cut = [piece for piece in self._cut.split(text) if piece]
            pieces = {piece: self._whole(piece) for piece in cut}
            if [t for piece in cut for t in pieces[piece]] != whole:
                self._by_pieces = False
            self._keep(pieces)  # the next turn reads only what is new
        return whole

    def _keep(self, pieces: dict[str, list[int]]) -> None:
        self._pieces.update(pieces)
        while len(self._pieces) > PIECES_KEPT:
            self._pieces.popitem(last=False)
