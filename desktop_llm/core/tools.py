"""Tool calling: the model answers with a call to one of the functions it is
given, or with text, and the shape of a call is guaranteed by a grammar.

A conversation with tools is written the model's own way when its chat
template lists tools itself (Qwen2.5, Hermes, Llama 3.x, Mistral templates
do): the template gets the tools, earlier calls and the tools' results, and
the reply is held to the template's call format — each call in
`<tool_call>…</tool_call>` where the template writes calls so, bare JSON
otherwise (with "parameters" for the arguments where the template names them
so). For any other template the conversation is written in one plain,
documented form: the tools are described in the system message, a call the
assistant made is its JSON (`{"name": ..., "arguments": {...}}`, or a list
of them), and a tool's result is a user message that says which call it
answers. Either way the reply is a call (or several, when allowed) when a
call is required or named, and a call or plain text under `auto` (or a call
or JSON of the response format's schema, when one is given).
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, replace
from typing import Any, Callable

from desktop_llm.core.errors import UserError

MAX_CALLS = 4  # calls in one reply, at most (a small model would otherwise go on adding them)
CALL_START = ("{", "[", "<")  # a reply that starts so (after spaces) may be a call under `auto`
PROSE = '[^{\\[< \\t\\r\\n] [^\\x00]*'  # text that cannot be taken for a call
OPEN, CLOSE = "<tool_call>", "</tool_call>"
WRAPPED_CALL = re.compile(re.escape(OPEN) + r"\s*(.*?)\s*" + re.escape(CLOSE), re.S)
PROBE = "desktop_llm_probe_tool"  # a tool's name no template writes unless it lists the tools it is given


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    parameters: dict  # a JSON schema of the arguments

    def listed(self) -> dict:
        """As OpenAI and chat templates describe a tool."""
        return {"type": "function",
                "function": {"name": self.name, "description": self.description, "parameters": self.parameters}}


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    arguments: str  # a JSON object, as text (as OpenAI sends it)

    def as_dict(self) -> dict:
        return {"id": self.id, "type": "function", "function": {"name": self.name, "arguments": self.arguments}}


@dataclass(frozen=True)
class Dialect:
    """How a conversation with tools is written for a model, and how its calls look."""

    native: bool = False  # the chat template lists the tools and writes calls and results itself
    wrapped: bool = False  # each call inside <tool_call>…</tool_call> (Hermes, Qwen)
    key: str = "arguments"  # the arguments' key in a call ("parameters" in Llama 3.1's format)


PLAIN = Dialect()


def dialect_of(template: str, render: Callable[[list[dict], list[dict]], str]) -> Dialect:
    """The dialect of a chat template: native when rendering with a tool writes that tool's name."""
    probe = Tool(PROBE, "", {"type": "object", "properties": {}})
    try:
        prompt = render([{"role": "user", "content": "Hello"}], [probe.listed()])
    except UserError:
        return PLAIN
    if PROBE not in prompt:
        return PLAIN
    parameters = '"parameters":' in template and '"arguments":' not in template
    return Dialect(True, OPEN in template, "parameters" if parameters else "arguments")


@dataclass(frozen=True)
class ToolUse:
    """What a request allows: its tools, `auto` / `required` / one named tool, several calls or one."""

    tools: tuple[Tool, ...]
    choice: str = "auto"  # auto, required, or a tool's name
    parallel: bool = True

    def call_schema(self, dialect: Dialect = PLAIN) -> dict:
        """The JSON a call is: the tool's name and arguments of its shape (a list when several
        may be made and calls are bare JSON)."""
        tools = [t for t in self.tools if self.choice in ("auto", "required") or t.name == self.choice]
        calls = [{"type": "object", "properties": {"name": {"const": t.name}, dialect.key: t.parameters},
                  "required": ["name", dialect.key]} for t in tools]
        one = calls[0] if len(calls) == 1 else {"anyOf": calls}
        if self.parallel and not dialect.wrapped:
            return {"type": "array", "items": one, "minItems": 1, "maxItems": MAX_CALLS}
        return one

    def json_schema(self) -> dict | None:
        """The reply's schema in the plain form when it must be a call; None under `auto`
        (for engines that take a schema and no grammar)."""
        return None if self.choice == "auto" else self.call_schema()

    def grammar(self, dialect: Dialect = PLAIN, answer: dict | None = None) -> str:
        """The GBNF a reply follows: calls, or under `auto` calls or text (or JSON of `answer`)."""
        from llama_cpp.llama_grammar import SchemaConverter

        converter = SchemaConverter(prop_order={}, allow_fetch=False, dotall=False, raw_pattern=False)
        converter.visit(converter.resolve_refs(self.call_schema(dialect), "call"), "call")
        calls = "call"
        if dialect.wrapped:
            one = f'"{OPEN}\\n" call "\\n{CLOSE}"'
            calls = f'{one} ("\\n" {one}){{0,{MAX_CALLS - 1}}}' if self.parallel else one
        root, extra = calls, ""
        if self.choice == "auto" and answer is not None:
            converter.visit(converter.resolve_refs(answer, "answer"), "answer")
            root = f"{calls} | answer"
        elif self.choice == "auto":
            root, extra = f"{calls} | prose", f"\nprose ::= {PROSE}"
        return f"root ::= {root}{extra}\n{converter.format_grammar()}"

    def constrained(self, params: Any, dialect: Dialect = PLAIN) -> Any:
        """Generation parameters whose grammar holds the reply to this use's shape; a response
        format's schema (params.json_schema) becomes the alternative to a call under `auto`."""
        return replace(params, json_schema=None, grammar=self.grammar(dialect, params.json_schema))

    def listed(self) -> list[dict]:
        return [t.listed() for t in self.tools]

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
        """The calls a reply makes (bare JSON or wrapped, either dialect), or None when it is text."""
        stripped = text.strip()
        if not stripped.startswith(CALL_START):
            return None
        try:
            if stripped.startswith("<"):
                found = WRAPPED_CALL.findall(stripped)
                if not found or stripped.count(OPEN) != len(found):
                    raise ValueError("a call is not closed")
                items = [json.loads(body) for body in found]
            else:
                value = json.loads(stripped)
                items = value if isinstance(value, list) else [value]
        except ValueError:
            if self.choice == "auto":
                return None  # text that happens to start so
            raise UserError("The model's tool call was cut short (it reached the token limit). Raise "
                            "max_tokens and ask again.") from None
        names = {t.name for t in self.tools}
        calls = []
        for item in items:
            arguments = item.get("arguments", item.get("parameters")) if isinstance(item, dict) else None
            if not (isinstance(item, dict) and item.get("name") in names and isinstance(arguments, dict)):
                return None
            calls.append(ToolCall("call_" + uuid.uuid4().hex[:24], item["name"],
                                  json.dumps(arguments, ensure_ascii=False)))
        return calls or None


def plain_messages(messages: list[dict]) -> list[dict]:
    """Messages with tool calls and tools' results written as plain text any template carries."""
    names = _call_names(messages)
    return [_plain(m, names) for m in messages]


def native_messages(messages: list[dict]) -> list[dict]:
    """Messages as chat templates that write tools expect them (Hugging Face's form):
    a call's arguments as an object, a tool's result naming its tool."""
    names = _call_names(messages)
    out = []
    for m in messages:
        role, content = m.get("role"), m.get("content") or ""
        if role == "assistant" and m.get("tool_calls"):
            calls = [{"id": c.get("id"), "type": "function",
                      "function": {"name": c["function"]["name"], "arguments": _arguments(c)}}
                     for c in m["tool_calls"]]
            out.append({"role": "assistant", "content": content, "tool_calls": calls})
        elif role == "tool":
            out.append({"role": "tool", "tool_call_id": m.get("tool_call_id"), "content": content,
                        "name": m.get("name") or names.get(m.get("tool_call_id")) or ""})
        else:
            out.append({"role": role, "content": content})
    return out


def _call_names(messages: list[dict]) -> dict:
    return {c.get("id"): c["function"]["name"] for m in messages for c in m.get("tool_calls") or ()}


def _arguments(call: dict) -> dict:
    return json.loads(call["function"]["arguments"] or "{}")


def _plain(message: dict, names: dict) -> dict:
    role = message.get("role")
    if role == "assistant" and message.get("tool_calls"):
        calls = [{"name": c["function"]["name"], "arguments": _arguments(c)} for c in message["tool_calls"]]
        text = json.dumps(calls[0] if len(calls) == 1 else calls, ensure_ascii=False)
        content = message.get("content") or ""
        return {"role": "assistant", "content": f"{content}\n{text}".strip()}
    if role == "tool":
        name = message.get("name") or names.get(message.get("tool_call_id")) or "the tool"
        return {"role": "user", "content": f"Result of {name}: {message.get('content') or ''}"}
    return {"role": role, "content": message.get("content") or ""}
