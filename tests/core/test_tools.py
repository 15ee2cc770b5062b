"""How a chat template writes tools, and how calls are read back, without a model:
the dialect comes from rendering the real template with a probe tool."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from llama_cpp.llama_chat_format import Jinja2ChatFormatter

from desktop_llm.core.engine import FALLBACK_CHATML
from desktop_llm.core.errors import UserError
from desktop_llm.core.tools import Dialect, Tool, ToolUse, dialect_of

DATA = Path(__file__).parent.parent / "data"
QWEN = (DATA / "qwen2.5-chat-template.jinja").read_text()
# Llama 3.1's way with custom tools, in brief: the tools as JSON in the first user turn, asked for and
# written back as {"name": ..., "parameters": ...} (its tool lines are the template's own).
LLAMA31 = (DATA / "llama3.1-tools-excerpt.jinja").read_text()
WEATHER = Tool("get_weather", "", {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]})


def renderer(template: str):
    formatter = Jinja2ChatFormatter(template=template, eos_token="</s>", bos_token="<s>")

    def render(messages: list[dict], tools: list[dict] | None = None) -> str:
        try:
            return formatter(messages=messages, tools=tools).prompt
        except Exception as exc:  # as the engine reports a template's refusal
            raise UserError("The model's chat template could not format this conversation.") from exc
    return render


@pytest.mark.parametrize("template, dialect", [
    (QWEN, Dialect(native=True, wrapped=True, key="arguments")),
    (LLAMA31, Dialect(native=True, wrapped=False, key="parameters")),
    (FALLBACK_CHATML, Dialect()),
])
def test_the_dialect_is_what_the_template_writes(template, dialect):
    assert dialect_of(template, renderer(template)) == dialect


def test_calls_are_read_in_either_form_and_text_is_not_a_call():
    use = ToolUse((WEATHER,), "auto")
    wrapped = '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Oslo"}}\n</tool_call>\n' \
              '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Rome"}}\n</tool_call>'
    assert [json.loads(c.arguments)["city"] for c in use.calls(wrapped)] == ["Oslo", "Rome"]
    assert use.calls('{"name": "get_weather", "parameters": {"city": "Oslo"}}')[0].arguments == '{"city": "Oslo"}'
    assert use.calls("It is sunny.") is None
    assert use.calls('{"name": "unknown", "arguments": {}}') is None
    assert use.calls('<tool_call>\n{"name": "get_weather", "argu') is None  # cut short, under auto: text
    with pytest.raises(UserError, match="cut short"):
        ToolUse((WEATHER,), "required").calls('<tool_call>\n{"name": "get_weather", "argu')


def test_the_grammar_follows_the_dialect():
    wrapped = ToolUse((WEATHER,), "required").grammar(Dialect(True, True))
    assert wrapped.startswith('root ::= "<tool_call>\\n" call "\\n</tool_call>" ("\\n" "<tool_call>\\n" call')
    llama = ToolUse((WEATHER,), "auto", parallel=False).grammar(Dialect(True, False, "parameters"))
    assert llama.startswith("root ::= call | prose") and '"\\"parameters\\""' in llama
    answer = ToolUse((WEATHER,), "auto").grammar(answer={"type": "object", "properties": {"ok": {"type": "boolean"}}})
    assert answer.startswith("root ::= call | answer") and "prose" not in answer
