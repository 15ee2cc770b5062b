"""Tool calling: the model answers with a call to one of the functions it is
given, or with text, and the shape of a call is guaranteed by a grammar.

A conversation with tools is written in one plain, documented form that any
chat template can carry: the tools are described in the system message, a
call the assistant made is its JSON (`{"name": ..., "arguments": {...}}`, or
a list of them), and a tool's result is a user message that says which call
it answers. The reply is held to a grammar built from the tools' parameter
schemas: a call (or a list of calls when several are allowed) when a call is
required or named, either a call or plain text under `auto`.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass

from desktop_llm.core.errors import UserError

MAX_CALLS = 4  # calls in one reply, at most (a small model would otherwise go on adding them)
CALL_START = ("{", "[")  # a reply that starts so (after spaces) is a call under `auto`
PROSE = '[^{\\[ \\t\\r\\n] [^\\x00]*'  # text that cannot be taken for a call


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    parameters: dict  # a JSON schema of the arguments


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    arguments: str  # a JSON object, as text (as OpenAI sends it)

    def as_dict(self) -> dict:
        return {"id": self.id, "type": "function", "function": {"name": self.name, "arguments": self.arguments}}


@dataclass(frozen=True)
class ToolUse:
    """What a request allows: its tools, `auto` / `required` / one named tool, several calls or one."""

    tools: tuple[Tool, ...]
    choice: str = "auto"  # auto, required, or a tool's name
    parallel: bool = True

    def call_schema(self) -> dict:
        """The JSON a call is: the tool's name and arguments of its shape (a list when several may be made)."""
        tools = [t for t in self.tools if self.choice in ("auto", "required") or t.name == self.choice]
        calls = [{"type": "object", "properties": {"name": {"const": t.name}, "arguments": t.parameters},
                  "required": ["name", "arguments"]} for t in tools]
        one = calls[0] if len(calls) == 1 else {"anyOf": calls}
        return {"type": "array", "items": one, "minItems": 1, "maxItems": MAX_CALLS} if self.parallel else one

    def json_schema(self) -> dict | None:
        """The reply's schema when it must be a call; None under `auto`."""
        return None if self.choice == "auto" else self.call_schema()

    def grammar(self) -> str | None:
        """Under `auto`: a grammar that admits a call or plain text."""
        if self.choice != "auto":
            return None
        from llama_cpp.llama_grammar import json_schema_to_gbnf

        rules = json_schema_to_gbnf(json.dumps(self.call_schema()))
        rules = re.sub(r"^root ::=", "call ::=", rules, flags=re.M)
        return f"root ::= call | prose\nprose ::= {PROSE}\n{rules}"

    def messages(self, messages: list[dict]) -> list[dict]:
        """The conversation in the plain form any template carries (see the module's note)."""
        listed = json.dumps([{"name": t.name, "description": t.description, "parameters": t.parameters}
                             for t in self.tools], ensure_ascii=False)
        how = ('To call a tool, answer with only JSON: {"name": "<tool name>", "arguments": {...}}'
               + (" (or a JSON list of such objects to call several)" if self.parallel else "")
               + ". Otherwise answer in plain text.")
        if self.choice == "required":
            how = "You must call one of the tools. " + how
        elif self.choice != "auto":
            how = f"You must call the tool {self.choice}. " + how
        note = f"You can use these tools: {listed}\n{how}"
        out = plain_messages(messages)
        if out and out[0]["role"] == "system":
            out[0]["content"] = f"{out[0]['content']}\n\n{note}"
        else:
            out.insert(0, {"role": "system", "content": note})
        return out

    def calls(self, text: str) -> list[ToolCall] | None:
        """The calls a reply makes, or None when it is text."""
        stripped = text.strip()
        if not stripped.startswith(CALL_START):
            return None
        try:
            value = json.loads(stripped)
        except ValueError:
            if self.choice == "auto":
                return None  # text that happens to start with a brace
            raise UserError("The model's tool call was cut short (it reached the token limit). Raise "
                            "max_tokens and ask again.") from None
        items = value if isinstance(value, list) else [value]
        names = {t.name for t in self.tools}
        calls = []
        for item in items:
            if not (isinstance(item, dict) and item.get("name") in names and isinstance(item.get("arguments"), dict)):
                return None
            calls.append(ToolCall("call_" + uuid.uuid4().hex[:24], item["name"],
                                  json.dumps(item["arguments"], ensure_ascii=False)))
        return calls or None


def plain_messages(messages: list[dict]) -> list[dict]:
    """Messages with tool calls and tools' results written as plain text any template carries."""
    names = {c.get("id"): c["function"]["name"] for m in messages for c in m.get("tool_calls") or ()}
    return [_plain(m, names) for m in messages]


def _plain(message: dict, names: dict) -> dict:
    role = message.get("role")
    if role == "assistant" and message.get("tool_calls"):
        calls = [{"name": c["function"]["name"], "arguments": json.loads(c["function"]["arguments"] or "{}")}
                 for c in message["tool_calls"]]
        text = json.dumps(calls[0] if len(calls) == 1 else calls, ensure_ascii=False)
        content = message.get("content") or ""
        return {"role": "assistant", "content": f"{content}\n{text}".strip()}
    if role == "tool":
        name = message.get("name") or names.get(message.get("tool_call_id")) or "the tool"
        return {"role": "user", "content": f"Result of {name}: {message.get('content') or ''}"}
    return {"role": role, "content": message.get("content") or ""}
