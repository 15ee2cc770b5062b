"""What ends or shapes a reply as it is generated: stop strings, and the
grammar (a JSON schema's or a GBNF's) that llama.cpp holds each token to."""

from __future__ import annotations

import json


class StopFilter:
    """Holds back text that may be the start of a stop sequence, and cuts
    the reply where one begins (so a stop string is never shown)."""

    def __init__(self, stops: tuple[str, ...] = ()):
        self.stops = [s for s in stops if s]
        self.buffer = ""
        self.stopped = False

    def feed(self, text: str) -> str:
        if not self.stops or self.stopped:
            return "" if self.stopped else text
        self.buffer += text
        found = [self.buffer.find(s) for s in self.stops if s in self.buffer]
        if found:
            out, self.buffer, self.stopped = self.buffer[: min(found)], "", True
            return out
        hold = next((n for n in range(min(len(self.buffer), max(map(len, self.stops)) - 1), 0, -1)
                     if any(s.startswith(self.buffer[-n:]) for s in self.stops)), 0)
        out, self.buffer = self.buffer[: len(self.buffer) - hold], self.buffer[len(self.buffer) - hold:]
        return out

    def flush(self) -> str:
        out, self.buffer = self.buffer, ""
        return out


def _compiled_grammar(kind: str, source: str):
    from llama_cpp import LlamaGrammar

    if kind == "json":
        return LlamaGrammar.from_json_schema(source, verbose=False)
    return LlamaGrammar.from_string(source, verbose=False)


def reply_grammar(json_schema: dict | None, grammar: str | None):
    """The llama.cpp grammar a reply must follow: JSON of a shape, or GBNF (None: any text)."""
    if json_schema is not None:
        return _compiled_grammar("json", json.dumps(json_schema, sort_keys=True))
    if grammar is not None:
        return _compiled_grammar("gbnf", grammar)
    return None
