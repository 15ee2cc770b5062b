"""The clients people point at a local server, against the real server and the real
starter model: LangChain's ChatOpenAI, instructor, pydantic-ai and simonw's llm CLI. The small
model's answers are poor; what is tested is that each client's structured output
and tool calls come back in the shape it asks for."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from tests.e2e.test_api_server import KEY, api, client  # noqa: F401  (fixtures)

ASK = "The tea was lovely and warm. Rate it."


class Verdict(BaseModel):
    liked: bool
    stars: int
    mood: Literal["happy", "sad"]


def test_langchain_structured_output_and_bound_tools(api):  # noqa: F811
    from langchain_core.tools import tool
    from langchain_openai import ChatOpenAI

    chat = ChatOpenAI(base_url=api.url, api_key=KEY, model="default", max_tokens=120, temperature=0,
                      max_retries=0)
    for method in ("json_schema", "function_calling"):
        verdict = chat.with_structured_output(Verdict, method=method).invoke(ASK)
        assert isinstance(verdict, Verdict), method

    @tool
    def get_weather(city: str) -> str:
        """The weather in a city now."""
        return "sunny"

    message = chat.bind_tools([get_weather], tool_choice="any").invoke("What is the weather in Paris?")
    (call,) = message.tool_calls[:1]
    assert call["name"] == "get_weather" and isinstance(call["args"].get("city"), str) and call["id"]


def test_instructor_in_tools_and_json_schema_modes(client):  # noqa: F811
    import instructor

    for mode in (instructor.Mode.TOOLS, instructor.Mode.JSON_SCHEMA):
        patched = instructor.from_openai(client, mode=mode)
        verdict = patched.chat.completions.create(model="default", response_model=Verdict, max_tokens=120,
                                                  messages=[{"role": "user", "content": ASK}], max_retries=0)
        assert isinstance(verdict, Verdict), mode


def test_the_llm_cli_with_a_schema(api, tmp_path):  # noqa: F811
    home = tmp_path / "llm"
    home.mkdir()
    (home / "extra-openai-models.yaml").write_text(
        f"- model_id: desktop\n  model_name: default\n  api_base: {api.url}\n  api_key_name: desktop\n"
        "  supports_schema: true\n", encoding="utf-8")
    (home / "keys.json").write_text(json.dumps({"desktop": KEY}), encoding="utf-8")
    env = dict(os.environ, LLM_USER_PATH=str(home))
    llm = Path(sys.executable).with_name("llm")
    run = subprocess.run([str(llm), "-m", "desktop", "--schema", "liked bool, stars int", "-o", "max_tokens", "80",
                          ASK], capture_output=True, text=True, env=env, timeout=120)
    assert run.returncode == 0, run.stderr
    answer = json.loads(run.stdout)
    assert isinstance(answer["liked"], bool) and isinstance(answer["stars"], int)


def test_a_stream_is_openai_shaped_chunk_by_chunk(client):  # noqa: F811
    stream = client.chat.completions.create(model="default", messages=[{"role": "user", "content": ASK}],
                                            max_tokens=20, stream=True, stream_options={"include_usage": True})
    chunks = list(stream)
    assert all(c.object == "chat.completion.chunk" and c.id == chunks[0].id for c in chunks)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[-2].choices[0].finish_reason in ("stop", "length")
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens > 0


def test_log_probabilities_in_chat_and_completions(client):  # noqa: F811
    messages = [{"role": "user", "content": "Name a colour."}]
    reply = client.chat.completions.create(model="default", messages=messages, max_tokens=8, temperature=0,
                                           logprobs=True, top_logprobs=3)
    content = reply.choices[0].logprobs.content
    assert "".join(e.token for e in content) == reply.choices[0].message.content
    for e in content:  # greedy: the chosen token is the most likely one, its alternatives ranked
        assert e.logprob <= 0 and len(e.top_logprobs) == 3 and e.top_logprobs[0].token == e.token
        assert [t.logprob for t in e.top_logprobs] == sorted((t.logprob for t in e.top_logprobs), reverse=True)
    streamed = client.chat.completions.create(model="default", messages=messages, max_tokens=8, temperature=0,
                                              logprobs=True, stream=True)
    tokens = [e.token for c in streamed if c.choices and c.choices[0].logprobs for e in c.choices[0].logprobs.content]
    assert "".join(tokens) == reply.choices[0].message.content
    completion = client.completions.create(model="default", prompt="The capital of France is", max_tokens=5,
                                           temperature=0, logprobs=2)
    lp = completion.choices[0].logprobs
    assert "".join(lp.tokens) == completion.choices[0].text and len(lp.token_logprobs) == len(lp.tokens)
    assert all(len(top) == 2 for top in lp.top_logprobs) and lp.text_offset[0] == 0


def test_pydantic_ai_output_tool_results_and_streamed_usage(api):  # noqa: F811
    import asyncio

    from pydantic_ai import Agent
    from pydantic_ai.messages import ModelRequest, ModelResponse, ToolCallPart, ToolReturnPart, UserPromptPart
    from pydantic_ai.models.openai import OpenAIChatModel
    from pydantic_ai.providers.openai import OpenAIProvider

    model = OpenAIChatModel("default", provider=OpenAIProvider(base_url=api.url, api_key=KEY))
    settings = {"max_tokens": 120, "temperature": 0, "seed": 1}
    agent = Agent(model, output_type=Verdict, model_settings=settings)

    @agent.tool_plain
    def tea_temperature() -> str:
        """How warm the tea is."""
        return "65 degrees"

    # structured output, through pydantic-ai's own output tool (tool_choice required)
    assert isinstance(agent.run_sync(ASK).output, Verdict)
    # a history with a tool call and its result, as pydantic-ai sends it (content null, then role "tool")
    history = [ModelRequest(parts=[UserPromptPart(ASK)]),
               ModelResponse(parts=[ToolCallPart("tea_temperature", {}, tool_call_id="call_1")]),
               ModelRequest(parts=[ToolReturnPart("tea_temperature", "65 degrees", tool_call_id="call_1")])]
    result = agent.run_sync("Now rate it.", message_history=history)
    assert isinstance(result.output, Verdict)

    async def streamed():  # text streamed; the usage chunk gives the counts
        async with Agent(model, model_settings={"max_tokens": 12}).run_stream("Say hello.") as run:
            text = await run.get_output()
            return text, run.usage

    text, usage = asyncio.run(streamed())
    assert text and usage.input_tokens > 0 and 0 < usage.output_tokens <= 12
