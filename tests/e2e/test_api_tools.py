"""Tool calling through the real server with the official openai client and the
real starter model: its choices are poor, the grammar guarantees the shape of
every call (a known tool, arguments that are a JSON object of the tool's shape)."""

from __future__ import annotations

import json

import openai
import pytest

from tests.e2e.test_api_server import api, client  # noqa: F401  (fixtures)

WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "The weather in a city now.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string", "maxLength": 24},
                                                    "unit": {"type": "string", "enum": ["C", "F"]}},
                   "required": ["city", "unit"]}}}
TIME = {"type": "function", "function": {
    "name": "get_time", "description": "The time in a time zone.",
    "parameters": {"type": "object", "properties": {"zone": {"type": "string", "maxLength": 24}},
                   "required": ["zone"]}}}
ASK = [{"role": "user", "content": "What is the weather in Paris, in C?"}]


def valid(name: str, arguments: str) -> bool:
    """A call of one of the tools, with arguments of its shape."""
    args = json.loads(arguments)
    if name == "get_weather":
        return isinstance(args.get("city"), str) and args.get("unit") in ("C", "F")
    return name == "get_time" and isinstance(args.get("zone"), str)


def test_a_required_call_then_the_tool_result_turn(client):  # noqa: F811
    reply = client.chat.completions.create(model="default", messages=ASK, tools=[WEATHER, TIME],
                                           tool_choice="required", parallel_tool_calls=False,
                                           max_tokens=80, temperature=0)
    choice = reply.choices[0]
    assert choice.finish_reason == "tool_calls" and choice.message.content is None
    (call,) = choice.message.tool_calls
    assert call.id.startswith("call_") and call.type == "function" and valid(call.function.name,
                                                                               call.function.arguments)
    # the result goes back as OpenAI clients send it: the assistant's calls (no content), then the tool's answer
    follow_up = ASK + [choice.message.model_dump(exclude_none=True),
                       {"role": "tool", "tool_call_id": call.id, "content": "18 degrees and sunny"}]
    answer = client.chat.completions.create(model="default", messages=follow_up, tools=[WEATHER, TIME],
                                            tool_choice="none", max_tokens=30, temperature=0)
    assert answer.choices[0].message.tool_calls is None and answer.choices[0].message.content


def test_a_named_tool_several_calls_and_auto(client):  # noqa: F811
    named = client.chat.completions.create(model="default", messages=ASK, tools=[WEATHER, TIME], max_tokens=100,
                                           tool_choice={"type": "function", "function": {"name": "get_time"}})
    (call,) = named.choices[0].message.tool_calls
    assert call.function.name == "get_time" and valid(call.function.name, call.function.arguments)
    several = client.chat.completions.create(model="default", messages=ASK, tools=[WEATHER, TIME],
                                             tool_choice="required", max_tokens=200, temperature=0)
    calls = several.choices[0].message.tool_calls
    assert calls and all(valid(c.function.name, c.function.arguments) for c in calls)
    assert len({c.id for c in calls}) == len(calls)
    for seed in range(3):  # auto: a call or text, whichever the model starts with; either is well formed
        free = client.chat.completions.create(model="default", messages=ASK, tools=[WEATHER], tool_choice="auto",
                                              max_tokens=100, seed=seed, temperature=1.0).choices[0]
        if free.message.tool_calls:
            assert free.finish_reason == "tool_calls" and free.message.content is None
            assert all(valid(c.function.name, c.function.arguments) for c in free.message.tool_calls)
        else:
            assert free.message.content and not free.message.content.lstrip().startswith(("{", "["))


def test_a_streamed_call_arrives_in_openai_deltas(client):  # noqa: F811
    stream = client.chat.completions.create(model="default", messages=ASK, tools=[WEATHER], stream=True,
                                            tool_choice="required", parallel_tool_calls=False, max_tokens=80)
    calls: dict[int, dict] = {}
    finish = None
    for chunk in stream:
        choice = chunk.choices[0]
        finish = choice.finish_reason or finish
        for delta in choice.delta.tool_calls or ():
            call = calls.setdefault(delta.index, {"id": None, "name": "", "arguments": ""})
            call["id"] = delta.id or call["id"]
            if delta.function is not None:
                call["name"] += delta.function.name or ""
                call["arguments"] += delta.function.arguments or ""
    assert finish == "tool_calls" and list(calls) == [0]
    assert calls[0]["id"].startswith("call_") and valid(calls[0]["name"], calls[0]["arguments"])


def test_bad_tool_requests_are_400(client):  # noqa: F811
    with pytest.raises(openai.BadRequestError, match="tool_choice"):
        client.chat.completions.create(model="default", messages=ASK, tools=[WEATHER],
                                       tool_choice={"type": "function", "function": {"name": "nope"}})
    with pytest.raises(openai.BadRequestError, match="tools"):
        client.chat.completions.create(model="default", messages=ASK, tools=[{"type": "function"}])
    with pytest.raises(openai.BadRequestError, match="tool_call_id"):
        client.chat.completions.create(model="default", messages=ASK + [{"role": "tool", "content": "18"}])


def test_under_auto_a_response_format_is_the_shape_of_an_answer(client):  # noqa: F811
    verdict = {"type": "object", "properties": {"liked": {"type": "boolean"}, "stars": {"type": "integer"}},
               "required": ["liked", "stars"], "additionalProperties": False}
    kinds = set()
    for seed in range(4):  # a call, or JSON of the response format: never prose, never another shape
        reply = client.chat.completions.create(
            model="default", messages=[{"role": "user", "content": "The tea was lovely. Rate it."}],
            tools=[WEATHER], tool_choice="auto", max_tokens=80, seed=seed, temperature=1.0,
            response_format={"type": "json_schema", "json_schema": {"name": "verdict", "schema": verdict}})
        message = reply.choices[0].message
        if message.tool_calls:
            assert all(valid(c.function.name, c.function.arguments) for c in message.tool_calls)
            kinds.add("call")
        else:
            answer = json.loads(message.content)
            assert set(answer) == {"liked", "stars"} and isinstance(answer["liked"], bool)
            kinds.add("answer")
    assert kinds
