"""Models whose GGUF says more than the starter's: a chat template that writes
tools itself (Qwen2.5's, the most used of them) and fill-in-the-middle tokens.
Each model is the real starter rewritten with that metadata by the `gguf`
package's own `gguf_new_metadata` (as a model's converter writes it), then
served by the real server to the official openai client."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import openai
import pytest

from desktop_llm.core.engine import GenerationParams, LlamaCppEngine
from desktop_llm.core.events import Token
from desktop_llm.core.tools import Dialect, Tool, ToolUse, native_messages
from tests.e2e.test_api_server import KEY, api, client  # noqa: F401  (fixtures)
from tests.e2e.test_api_tools import TIME, WEATHER, valid

QWEN_TEMPLATE = Path(__file__).parent.parent / "data" / "qwen2.5-chat-template.jinja"
CALLED = [{"role": "user", "content": "What is the weather in Paris, in C?"},
          {"role": "assistant", "content": None, "tool_calls": [
              {"id": "call_1", "type": "function",
               "function": {"name": "get_weather", "arguments": '{"city": "Paris", "unit": "C"}'}}]},
          {"role": "tool", "tool_call_id": "call_1", "content": "18 degrees and sunny"}]


def rewritten(starter, folder: Path, name: str, *metadata: str) -> Path:
    out = folder / f"{name}.gguf"
    subprocess.run([sys.executable, "-m", "gguf.scripts.gguf_new_metadata", str(starter.path), str(out),
                    *metadata, "--force"], check=True, capture_output=True, stdin=subprocess.DEVNULL)
    return out


@pytest.fixture(scope="module")
def qwen_templated(starter, tmp_path_factory) -> Path:
    return rewritten(starter, tmp_path_factory.mktemp("qwen"), "starter-qwen-template",
                     "--chat-template-file", str(QWEN_TEMPLATE))


@pytest.fixture(scope="module")
def fim_model(starter, tmp_path_factory) -> Path:
    """Three of the starter's special tokens named as its fill-in-the-middle tokens."""
    return rewritten(starter, tmp_path_factory.mktemp("fim"), "starter-fim",
                     "--special-token-by-id", "fim_pre", "11", "--special-token-by-id", "fim_suf", "12",
                     "--special-token-by-id", "fim_mid", "13")


def test_a_template_that_writes_tools_gets_the_conversation_its_own_way(qwen_templated):
    engine = LlamaCppEngine(qwen_templated, n_ctx=1024)
    try:
        assert engine.tool_dialect() == Dialect(native=True, wrapped=True, key="arguments")
        use = ToolUse((Tool("get_weather", "The weather in a city now.", WEATHER["function"]["parameters"]),),
                      "required")
        prompt = engine.render_prompt(native_messages(CALLED), use.listed())
        # the tools in the template's <tools> list, the earlier call and its result in its own tags
        assert '<tools>\n{"type": "function", "function": {"name": "get_weather"' in prompt
        assert '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris", "unit": "C"}}\n</tool_call>' \
            in prompt
        assert "<tool_response>\n18 degrees and sunny\n</tool_response>" in prompt
        ask = CALLED[:1]
        text = "".join(e.text for e in engine.stream_chat(
            ask, GenerationParams(max_tokens=120, seed=3, tools=use), threading.Event()) if isinstance(e, Token))
        assert text.startswith('<tool_call>\n{"name": "get_weather", "arguments": {') and text.endswith("</tool_call>")
        calls = use.calls(text)  # one call or several, each in its own tags
        assert calls and text.count("<tool_call>") == len(calls) and all(valid(c.name, c.arguments) for c in calls)
    finally:
        engine.close()


def test_the_starters_template_gets_the_plain_form(engine):
    assert engine.tool_dialect() == Dialect()


def test_tool_calls_through_a_native_template(core, api, client, qwen_templated):  # noqa: F811
    model = core.registry.add_imported(qwen_templated).name
    required = client.chat.completions.create(model=model, messages=CALLED[:1], tools=[WEATHER, TIME],
                                              tool_choice="required", max_tokens=200, seed=5)
    choice = required.choices[0]
    assert choice.finish_reason == "tool_calls" and choice.message.content is None
    assert choice.message.tool_calls and all(valid(c.function.name, c.function.arguments)
                                             for c in choice.message.tool_calls)
    stream = client.chat.completions.create(model=model, messages=CALLED[:1], tools=[WEATHER, TIME], stream=True,
                                            tool_choice={"type": "function", "function": {"name": "get_time"}},
                                            max_tokens=80, seed=5)
    arguments, names = "", []
    for chunk in stream:
        for delta in chunk.choices[0].delta.tool_calls or () if chunk.choices else ():
            names += [delta.function.name] if delta.function.name else []
            arguments += delta.function.arguments or ""
    assert names == ["get_time"] and valid("get_time", arguments)
    for seed in (1, 2):  # auto: a call or text, either well formed, after the tool's result
        reply = client.chat.completions.create(model=model, messages=CALLED, tools=[WEATHER, TIME],
                                               max_tokens=60, seed=seed)
        message = reply.choices[0].message
        if message.tool_calls:
            assert reply.choices[0].finish_reason == "tool_calls"
            assert all(valid(c.function.name, c.function.arguments) for c in message.tool_calls)
        else:
            assert message.content and not message.content.lstrip().startswith("<tool_call>")


def test_fill_in_the_middle_with_the_models_tokens(core, api, client, fim_model, starter):  # noqa: F811
    model = core.registry.add_imported(fim_model).name
    before, after = "def add(a, b):\n    ", "\n\nprint(add(1, 2))\n"
    reply = client.completions.create(model=model, prompt=before, suffix=after, max_tokens=8, seed=1)
    engine = LlamaCppEngine(fim_model, n_ctx=256)
    try:  # the prompt the model read: its three tokens around the two texts
        assert reply.usage.prompt_tokens == len(engine._infill_tokens(before, after))
        assert engine.fim_tokens() == (11, 12, 13)
    finally:
        engine.close()
    assert reply.choices[0].finish_reason in ("stop", "length")
    for stream in (False, True):  # a model without them: 400 before any text, streamed or not
        with pytest.raises(openai.BadRequestError, match="cannot fill in the middle"):
            out = client.completions.create(model=starter.name, prompt=before, suffix=after, max_tokens=8,
                                            stream=stream)
            list(out) if stream else None
    bad = httpx.post(f"{api.url}/completions", headers={"Authorization": f"Bearer {KEY}"},
                     json={"model": model, "prompt": before, "suffix": 3})
    assert bad.status_code == 400 and json.loads(bad.text)["error"]["param"] == "suffix"
