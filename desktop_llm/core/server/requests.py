"""OpenAI request bodies checked into our own terms, with a clear error for
anything malformed (never a traceback)."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace

from desktop_llm.core.engine import GenerationParams
from desktop_llm.core.errors import ErrorKind, UserError
from desktop_llm.core.settings import Settings
from desktop_llm.core.tools import Tool, ToolUse

ROLES = ("system", "user", "assistant", "tool")
MAX_BODY_BYTES = 4 << 20
MAX_STOPS = 4


class ApiError(Exception):
    """An error answered in OpenAI's JSON shape."""

    def __init__(self, status: int, message: str, code: str = "invalid_request_error", param: str | None = None):
        super().__init__(message)
        self.status, self.message, self.code, self.param = status, message, code, param

    @classmethod
    def of(cls, error: UserError) -> "ApiError":
        """A failed job answered as OpenAI would: what the request asked for
        cannot be done -> 4xx; only faults of the app -> 5xx."""
        status, code = {
            ErrorKind.CONTEXT_LENGTH: (400, "context_length_exceeded"),
            ErrorKind.NOT_FOUND: (404, "not_found"),
            ErrorKind.RESOURCES: (503, "insufficient_resources"),
            ErrorKind.INTERNAL: (500, "generation_failed"),
        }.get(error.kind, (400, "invalid_request_error"))
        return cls(status, error.message, code)

    def body(self) -> dict:
        kind = {401: "authentication_error", 404: "invalid_request_error"}.get(self.status,
                                                                          "invalid_request_error")
        if self.status >= 500:
            kind = "server_error"
        return {"error": {"message": self.message, "type": kind, "param": self.param, "code": self.code}}


@dataclass(frozen=True)
class Request:
    model: str
    params: GenerationParams
    stream: bool
    include_usage: bool = False  # stream_options.include_usage: a last chunk with the token counts
    echo: bool = False  # completions: the prompt comes back before the text
    messages: list[dict] | None = None  # chat
    prompt: str | None = None  # completions
    suffix: str | None = None  # completions: the text after the gap (fill-in-the-middle)
    tools: ToolUse | None = None  # chat with tools the model may (or must) call


def _number(body: dict, name: str, lo: float, hi: float, default: float) -> float:
    value = body.get(name)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not lo <= value <= hi:
        raise ApiError(400, f"'{name}' must be a number from {lo} to {hi}.", param=name)
    return float(value)


def _params(body: dict, settings: Settings) -> GenerationParams:
    max_tokens = body.get("max_completion_tokens", body.get("max_tokens"))
    if max_tokens is None:
        max_tokens = settings.max_tokens
    if isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 1:
        raise ApiError(400, "'max_tokens' must be a positive whole number.", param="max_tokens")
    stop = body.get("stop") or ()
    if isinstance(stop, str):
        stop = (stop,)
    if not isinstance(stop, (list, tuple)) or len(stop) > MAX_STOPS or not all(isinstance(s, str) for s in stop):
        raise ApiError(400, f"'stop' must be a string or a list of up to {MAX_STOPS} strings.", param="stop")
    seed = body.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise ApiError(400, "'seed' must be a whole number.", param="seed")
    n = body.get("n", 1)
    if n != 1:
        raise ApiError(400, "'n' must be 1: this server writes one choice per request. Send the request "
                            "again for another.", param="n")
    return GenerationParams(
        max_tokens=max_tokens,
        temperature=_number(body, "temperature", 0, 2, settings.temperature),
        top_p=_number(body, "top_p", 0, 1, settings.top_p),
        presence_penalty=_number(body, "presence_penalty", -2, 2, 0.0),
        frequency_penalty=_number(body, "frequency_penalty", -2, 2, 0.0),
        seed=seed, stop=tuple(stop), json_schema=_response_schema(body.get("response_format")))


def _response_schema(response_format) -> dict | None:
    """The JSON schema a reply must follow (`json_object`: any object), checked
    now: a schema the grammar converter cannot handle is a 400 that names why."""
    if response_format is None:
        return None
    kind = response_format.get("type") if isinstance(response_format, dict) else None
    if kind == "text":
        return None
    if kind == "json_object":
        return {"type": "object"}
    if kind != "json_schema":
        raise ApiError(400, "'response_format.type' must be text, json_object or json_schema.",
                       param="response_format")
    spec = response_format.get("json_schema")
    schema = spec.get("schema") if isinstance(spec, dict) else None
    if not isinstance(schema, dict):
        raise ApiError(400, "'response_format.json_schema.schema' must be a JSON schema (an object).",
                       param="response_format")
    from llama_cpp.llama_grammar import json_schema_to_gbnf  # the converter the engine uses

    try:
        json_schema_to_gbnf(json.dumps(schema))
    except Exception as exc:  # the converter's own errors name the unsupported part
        raise ApiError(400, f"This JSON schema cannot be followed here: {exc}.", param="response_format") from exc
    return schema


def _content(message: dict, index: int) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # [{"type": "text", "text": ...}]
        kinds = {p.get("type") for p in content if isinstance(p, dict)}
        if kinds & {"image_url", "input_image", "image", "input_audio", "file"}:
            raise ApiError(400, "This model reads text only: it cannot see images, hear audio or open files "
                                "sent in a message. Send the text instead.", param=f"messages[{index}].content")
        parts = [p.get("text") for p in content if isinstance(p, dict) and p.get("type") == "text"]
        texts = [p for p in parts if isinstance(p, str)]
        if texts and len(texts) == len(parts) == len(content):
            return "".join(texts)
    raise ApiError(400, f"messages[{index}].content must be text.", param=f"messages[{index}].content")


def _common(body, settings: Settings) -> tuple[str, GenerationParams, bool]:
    if not isinstance(body, dict):
        raise ApiError(400, "The request body must be a JSON object.")
    model = body.get("model")
    if not isinstance(model, str) or not model.strip():
        raise ApiError(400, "'model' is required: a name from GET /v1/models.", param="model")
    stream = body.get("stream", False)
    if not isinstance(stream, bool):
        raise ApiError(400, "'stream' must be true or false.", param="stream")
    return model.strip(), _params(body, settings), stream


def chat_request(body, settings: Settings) -> Request:
    model, params, stream = _common(body, settings)
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ApiError(400, "'messages' must be a non-empty list.", param="messages")
    checked = []
    for i, m in enumerate(messages):
        if not isinstance(m, dict):
            raise ApiError(400, f"messages[{i}] must be an object with 'role' and 'content'.", param="messages")
        role = m.get("role")
        if role == "developer":
            role = "system"
        if role not in ROLES:
            raise ApiError(400, f"messages[{i}].role must be one of {', '.join(ROLES)} (got {role!r}).",
                           param=f"messages[{i}].role")
        message = {"role": role}
        if role == "assistant" and m.get("tool_calls"):
            message["tool_calls"] = _tool_calls(m["tool_calls"], i)
            message["content"] = _content(m, i) if m.get("content") is not None else ""
        else:
            message["content"] = _content(m, i)
        if role == "tool":
            call_id = m.get("tool_call_id")
            if not isinstance(call_id, str):
                raise ApiError(400, f"messages[{i}].tool_call_id must name the call this result answers.",
                               param=f"messages[{i}].tool_call_id")
            message["tool_call_id"] = call_id
        checked.append(message)
    params = replace(params, logprobs=_chat_logprobs(body))
    return Request(model, params, stream, _include_usage(body), messages=checked, tools=_tool_use(body))


def _chat_logprobs(body: dict) -> int | None:
    """`logprobs: true` with `top_logprobs` alternatives (0-20): how many to report, or None."""
    asked, top = body.get("logprobs"), body.get("top_logprobs")
    if asked not in (None, True, False):
        raise ApiError(400, "'logprobs' must be true or false.", param="logprobs")
    if top is not None and (isinstance(top, bool) or not isinstance(top, int) or not 0 <= top <= 20):
        raise ApiError(400, "'top_logprobs' must be a whole number from 0 to 20.", param="top_logprobs")
    if top is not None and not asked:
        raise ApiError(400, "'top_logprobs' needs 'logprobs': true.", param="top_logprobs")
    return (top or 0) if asked else None


def _tool_calls(calls, index: int) -> list[dict]:
    where = f"messages[{index}].tool_calls"
    if not isinstance(calls, list):
        raise ApiError(400, f"{where} must be a list.", param=where)
    out = []
    for call in calls:
        function = call.get("function") if isinstance(call, dict) else None
        name = function.get("name") if isinstance(function, dict) else None
        arguments = function.get("arguments", "{}") if isinstance(function, dict) else None
        try:
            valid = isinstance(name, str) and isinstance(json.loads(arguments or "{}"), dict)
        except (TypeError, ValueError):
            valid = False
        if not valid:
            raise ApiError(400, f"Each of {where} needs function.name and function.arguments (a JSON object "
                                "as text).", param=where)
        out.append({"id": str(call.get("id") or ""), "type": "function",
                    "function": {"name": name, "arguments": arguments or "{}"}})
    return out


def _tool_use(body: dict) -> ToolUse | None:
    """The tools a reply may call, and how it must: None when there are none (or `tool_choice: none`)."""
    tools = body.get("tools")
    choice = body.get("tool_choice", "auto")
    if tools is None or choice == "none":
        return None
    if not isinstance(tools, list) or not tools:
        raise ApiError(400, "'tools' must be a non-empty list of functions.", param="tools")
    parsed = []
    for i, tool in enumerate(tools):
        function = tool.get("function") if isinstance(tool, dict) and tool.get("type") == "function" else None
        name = function.get("name") if isinstance(function, dict) else None
        parameters = function.get("parameters", {"type": "object", "properties": {}}) if function else None
        if not isinstance(function, dict) or not isinstance(name, str) or not name or not isinstance(parameters, dict):
            raise ApiError(400, f"tools[{i}] must be {{\"type\": \"function\", \"function\": {{\"name\": ..., "
                                "\"parameters\": {...}}}}.", param=f"tools[{i}]")
        parsed.append(Tool(name, str(function.get("description") or ""), parameters))
    if isinstance(choice, dict):
        named = choice.get("function") if choice.get("type") == "function" else None
        choice = named.get("name") if isinstance(named, dict) else None
    names = [t.name for t in parsed]
    if choice not in ("auto", "required", *names):
        raise ApiError(400, "'tool_choice' must be none, auto, required or {\"type\": \"function\", "
                            "\"function\": {\"name\": <one of the tools>}}.", param="tool_choice")
    parallel = body.get("parallel_tool_calls", True)
    use = ToolUse(tuple(parsed), choice, parallel is not False and choice in ("auto", "required"))
    try:
        use.grammar()  # the converter the engine uses
    except Exception as exc:
        raise ApiError(400, f"A tool's parameters cannot be followed here: {exc}.", param="tools") from exc
    return use


def completion_request(body, settings: Settings) -> Request:
    model, params, stream = _common(body, settings)
    prompt = body.get("prompt")
    if isinstance(prompt, list) and len(prompt) == 1 and isinstance(prompt[0], str):
        prompt = prompt[0]
    if not isinstance(prompt, str) or not prompt:
        raise ApiError(400, "'prompt' must be a non-empty string.", param="prompt")
    suffix = body.get("suffix")
    if suffix is not None and not isinstance(suffix, str):
        raise ApiError(400, "'suffix' must be text: what comes after the gap the model fills.", param="suffix")
    echo = body.get("echo", False)
    if not isinstance(echo, bool):
        raise ApiError(400, "'echo' must be true or false.", param="echo")
    top = body.get("logprobs")
    if top is not None and (isinstance(top, bool) or not isinstance(top, int) or not 0 <= top <= 5):
        raise ApiError(400, "'logprobs' must be a whole number from 0 to 5.", param="logprobs")
    return Request(model, replace(params, logprobs=top), stream, _include_usage(body), echo, prompt=prompt,
                   suffix=suffix)


def _include_usage(body: dict) -> bool:
    options = body.get("stream_options")
    return isinstance(options, dict) and options.get("include_usage") is True
