"""The OpenAI-compatible HTTP API (Starlette), over the same model host as
the window: requests queue on the one worker; a client that goes away
mid-stream stops its generation."""

from __future__ import annotations

import asyncio
import base64
import hmac
import json
import logging
import struct
import threading
import time
import uuid
from dataclasses import replace

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request as HttpRequest
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route

from desktop_llm.core.completions import chat_job, embeddings_job, text_job
from desktop_llm.core.errors import UserError
from desktop_llm.core.events import TERMINAL, Failed, Finished, Progress, Started, Token
from desktop_llm.core.host import Job
from desktop_llm.core.logprobs import completion_logprobs
from desktop_llm.core.server.guard import RequestGuard
from desktop_llm.core.server.inbox import Inbox
from desktop_llm.core.server.limits import PromptLimits
from desktop_llm.core.server.requests import (
    MAX_BODY_BYTES,
    ApiError,
    Request,
    chat_request,
    completion_request,
)
from desktop_llm.core.tools import CALL_START, ToolCall, plain_messages

RETRY_AFTER_S = 2

log = logging.getLogger(__name__)


def _error(exc: ApiError) -> JSONResponse:
    headers = {"Retry-After": str(RETRY_AFTER_S)} if exc.status == 429 else None
    return JSONResponse(exc.body(), status_code=exc.status, headers=headers)


class OpenAIApi:
    def __init__(self, core, api_key: str | None = None, cors_origins: tuple[str, ...] = (),
                 guard: RequestGuard | None = None):
        self.core = core
        self.api_key = api_key or None
        self.guard = guard or RequestGuard("127.0.0.1", cors_origins)
        self.limits = PromptLimits()
        middleware = [Middleware(CORSMiddleware, allow_origins=list(cors_origins), allow_methods=["GET", "POST"],
                                 allow_headers=["Authorization", "Content-Type"])] if cors_origins else []
        self.app = Starlette(routes=[
            Route("/v1/models", self.models, methods=["GET"]),
            Route("/v1/models/{model_id:path}", self.model_info, methods=["GET"]),
            Route("/v1/chat/completions", self.chat, methods=["POST"]),
            Route("/v1/completions", self.completions, methods=["POST"]),
            Route("/v1/embeddings", self.embeddings, methods=["POST"]),
        ], middleware=middleware, exception_handlers={
            ApiError: lambda _r, e: _error(e),
            Exception: lambda _r, e: _error(ApiError(500, f"The server failed: {e}. It keeps running.",
                                                     "internal_error")),
        })

    # -- checks ---------------------------------------------------------------------------
    def _authorize(self, request: HttpRequest) -> None:
        self.guard.check(request)
        if self.api_key is None:
            return
        given = request.headers.get("authorization", "")
        token = given[7:] if given.lower().startswith("bearer ") else ""
        if not hmac.compare_digest(token.encode(), self.api_key.encode()):
            raise ApiError(401, "Missing or wrong API key: send 'Authorization: Bearer <key>'.", "invalid_api_key")

    async def _body(self, request: HttpRequest):
        self._authorize(request)
        self.guard.check_json(request)
        if int(request.headers.get("content-length") or 0) > MAX_BODY_BYTES:
            raise ApiError(400, f"The request body is larger than {MAX_BODY_BYTES >> 20} MB.")
        raw = b""
        async for chunk in request.stream():
            raw += chunk
            if len(raw) > MAX_BODY_BYTES:
                raise ApiError(400, f"The request body is larger than {MAX_BODY_BYTES >> 20} MB.")
        try:
            body = json.loads(raw or b"null")
        except ValueError as exc:
            raise ApiError(400, f"The request body is not valid JSON: {exc}.") from exc
        except RecursionError as exc:
            raise ApiError(400, "The request body nests too deeply.") from exc
        try:
            json.dumps(body, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError as exc:  # e.g. a lone surrogate escape, "\\ud800"
            raise ApiError(400, "The request body holds text that is not valid Unicode.") from exc
        except RecursionError as exc:
            raise ApiError(400, "The request body nests too deeply.") from exc
        return body

    def _model(self, name: str):
        """An installed model by name; "default" (or the default's name) is the app's model;
        the aliases set in the settings lead to one of those."""
        alias = self.core.settings.api_model_aliases.get(name)
        name = alias if isinstance(alias, str) and alias else name
        try:
            if name in ("default", "desktop-llm"):
                return self.core.resolve_model(None)
            return next(m for m in self.core.registry.installed() if name in (m.name, m.path.name))
        except (StopIteration, UserError):
            raise ApiError(404, f"The model '{name}' does not exist here. GET /v1/models lists them.",
                           "model_not_found", "model") from None

    # -- routes ------------------------------------------------------------------------------
    async def models(self, request: HttpRequest) -> JSONResponse:
        self._authorize(request)
        created = int(time.time())
        data = [{"id": m.name, "object": "model", "created": created, "owned_by": "desktop-llm"}
                for m in self.core.registry.installed()]
        return JSONResponse({"object": "list", "data": data})

    async def model_info(self, request: HttpRequest) -> JSONResponse:
        self._authorize(request)
        model = self._model(request.path_params["model_id"])
        return JSONResponse({"id": model.name, "object": "model", "created": int(time.time()),
                             "owned_by": "desktop-llm"})

    async def chat(self, request: HttpRequest):
        req = chat_request(await self._body(request), self.core.settings)
        model = self._model(req.model)
        use = req.tools
        plain = use.messages(req.messages or []) if use else plain_messages(req.messages or [])
        # with tools, the engine writes the conversation its model's way and holds the reply to a call's shape
        messages = req.messages or [] if use else plain
        params = replace(req.params, tools=use)
        await self._check_length(model, [m["content"] for m in plain])
        return await self._run(request, replace(req, model=model.name), lambda listener: chat_job(
            self.core.host, model, messages, params, listener), chat=True)

    async def completions(self, request: HttpRequest):
        req = completion_request(await self._body(request), self.core.settings)
        model = self._model(req.model)
        prompt = req.prompt or ""
        await self._check_length(model, [prompt, req.suffix or ""])
        return await self._run(request, replace(req, model=model.name), lambda listener: text_job(
            self.core.host, model, prompt, req.params, listener, req.suffix), chat=False)

    async def embeddings(self, request: HttpRequest):
        body = await self._body(request)
        if not isinstance(body, dict):
            raise ApiError(400, "The request body must be a JSON object.")
        model = self._model(str(body.get("model") or ""))
        texts = body.get("input")
        if isinstance(texts, str):
            texts = [texts]
        if not isinstance(texts, list) or not texts or not all(isinstance(t, str) and t for t in texts):
            raise ApiError(400, "'input' must be a non-empty string or a list of non-empty strings.", param="input")
        encoding = body.get("encoding_format") or "float"
        if encoding not in ("float", "base64"):
            raise ApiError(400, "'encoding_format' must be float or base64.", param="encoding_format")
        if body.get("dimensions") is not None:
            raise ApiError(400, "'dimensions' is not supported: the vectors have the model's own size.",
                           param="dimensions")
        job = embeddings_job(self.core.host, model, texts)
        try:
            vectors, tokens = await asyncio.to_thread(job.result)
        except UserError as exc:
            raise ApiError.of(exc) from exc
        return JSONResponse({"object": "list", "model": model.name,
                             "data": [{"object": "embedding", "index": i,
                                       "embedding": _base64(v) if encoding == "base64" else v}
                                      for i, v in enumerate(vectors)],
                             "usage": {"prompt_tokens": tokens, "total_tokens": tokens}})

    async def _check_length(self, model, texts: list[str]) -> None:
        await asyncio.to_thread(self.limits.check, model, self.core.settings.n_ctx, texts)

    # -- running a job -----------------------------------------------------------------------
    async def _run(self, request: HttpRequest, req: Request, submit, chat: bool):
        client = request.client.host if request.client else ""
        self.limits.admit(client)
        once = threading.Lock()

        def release() -> None:  # once, whichever way (and on whichever thread) the request ends
            if once.acquire(blocking=False):
                self.limits.release(client)

        try:
            return await self._answer(request, req, submit, chat, release)
        except BaseException:
            release()
            raise

    async def _answer(self, request: HttpRequest, req: Request, submit, chat: bool, release):
        ident = ("chatcmpl-" if chat else "cmpl-") + uuid.uuid4().hex[:24]
        created = int(time.time())
        if req.stream:
            events = Inbox(asyncio.get_running_loop())
            jobs: list[Job] = []

            def deliver(event) -> None:
                if isinstance(event, TERMINAL):  # the model's work ended, even if the response never started
                    release()
                try:
                    events.put_threadsafe(event)
                except RuntimeError:  # the server is shutting down: nobody is listening
                    for job in jobs:
                        job.cancel()

            jobs.append(submit(deliver))
            opening = await _opening(request, jobs[0], events)
            if isinstance(opening[-1], Failed):  # refused before a word was written: answered with its status
                raise ApiError.of(opening[-1].error())
            return StreamingResponse(self._stream(request, jobs[0], events, opening, ident, created, req, chat,
                                                  release), media_type="text/event-stream")
        try:
            reply = await _result(request, submit(None))
        finally:
            release()
        usage = _usage(reply.stats)
        finish = _finish(reply.finish_reason)
        text = (req.prompt or "") + reply.text if req.echo else reply.text
        message: dict = {"role": "assistant", "content": text}
        calls = _calls(req, reply.text)
        if calls:
            message, finish = {"role": "assistant", "content": None,
                               "tool_calls": [c.as_dict() for c in calls]}, "tool_calls"
        choice = ({"index": 0, "message": message, "finish_reason": finish, "logprobs": _logprobs(req, reply.logprobs)}
                  if chat else {"index": 0, "text": text, "finish_reason": finish,
                                "logprobs": _logprobs(req, reply.logprobs, len(req.prompt or "") if req.echo else 0)})
        return JSONResponse({"id": ident, "object": "chat.completion" if chat else "text_completion",
                             "created": created, "model": req.model, "choices": [choice], "usage": usage})

    async def _stream(self, request, job, events, opening: list, ident, created, req: Request, chat, release):
        obj = "chat.completion.chunk" if chat else "text_completion"
        head = json.dumps({"id": ident, "object": obj, "created": created, "model": req.model})[:-1]

        def chunk(delta: dict | None, text: str | None, finish, logprobs: dict | None = None) -> str:
            choice = ({"index": 0, "delta": delta, "finish_reason": finish, "logprobs": logprobs} if chat
                      else {"index": 0, "text": text, "finish_reason": finish, "logprobs": logprobs})
            return f'data: {head}, "choices": [{json.dumps(choice)}]}}\n\n'

        # A token's chunk is formatted around its text (this runs ~100 times a second).
        if chat:
            before = f'data: {head}, "choices": [{{"index": 0, "delta": {{"content": '
            after = '}, "finish_reason": null}]}\n\n'
        else:
            before = f'data: {head}, "choices": [{{"index": 0, "text": '
            after = ', "finish_reason": null, "logprobs": null}]}\n\n'

        held: list[str] | None = [] if req.tools is not None else None  # a reply that may be a call waits
        try:
            if chat:
                yield chunk({"role": "assistant", "content": ""}, None, None)
            elif req.echo and req.prompt:
                yield before + json.dumps(req.prompt) + after
            while True:
                if opening:
                    batch, opening = opening, []
                else:
                    event = await events.get(timeout=1.0)
                    if event is None:
                        if await request.is_disconnected():
                            return
                        continue
                    batch = [event]
                while not events.empty() and not isinstance(batch[-1], TERMINAL):  # whatever else has arrived
                    batch.append(events.get_nowait())
                out = []
                for event in batch:
                    if isinstance(event, Token) and held is not None:
                        held.append(event.text)
                        start = "".join(held).lstrip()
                        if start and not start.startswith(CALL_START):  # text, not a call: stream it
                            out.append(before + json.dumps("".join(held)) + after)
                            held = None
                    elif isinstance(event, Token) and req.params.logprobs is not None:
                        entries = _logprobs(req, list(event.logprobs))
                        out.append(chunk({"content": event.text}, event.text, None, entries) if chat
                                   else chunk(None, event.text, None, entries))
                    elif isinstance(event, Token):
                        out.append(before + json.dumps(event.text) + after)
                    elif isinstance(event, Failed):
                        error = ApiError.of(event.error()).body()
                        out.append("data: " + json.dumps(error) + "\n\n")
                    elif isinstance(event, Finished):
                        try:
                            calls = _calls(req, "".join(held)) if held is not None else None
                        except ApiError as exc:
                            out.append("data: " + json.dumps(exc.body()) + "\n\n")
                            calls, held = None, None
                        if calls:
                            out += [chunk(delta, None, None) for delta in _call_deltas(calls)]
                        elif held:
                            out.append(before + json.dumps("".join(held)) + after)
                        out.append(chunk({}, "", "tool_calls" if calls else _finish(event.result.finish_reason)))
                        if req.include_usage:  # OpenAI's last chunk: no choices, the token counts
                            out.append(f'data: {head}, "choices": [], "usage": '
                                       f'{json.dumps(_usage(event.result.stats))}}}\n\n')
                        out.append("data: [DONE]\n\n")
                if out:
                    yield "".join(out)
                if isinstance(batch[-1], TERMINAL):
                    return
        finally:
            job.cancel()  # the client went away (or we are done): stop generating
            release()


async def _opening(request: HttpRequest, job: Job, events: Inbox) -> list:
    """The events up to the reply's start (the model loading, then Started) or its end: a request
    refused before any text is answered with a status, not a stream that carries the error."""
    seen: list = []
    while True:
        event = await events.get(timeout=1.0)
        if event is None:
            if await request.is_disconnected():
                job.cancel()
            continue
        seen.append(event)
        _note_wait(seen[-1])
        if isinstance(seen[-1], (Started, Token, *TERMINAL)):
            return seen


def _note_wait(event) -> None:
    """A request that waits for the model says so, and for what, in the server's log."""
    if isinstance(event, Progress) and event.total == 0:
        log.warning("An API request waits. %s", event.label)


async def _result(request: HttpRequest, job: Job):
    """Wait for a job's result; a client that goes away cancels it."""
    waiter = asyncio.ensure_future(asyncio.to_thread(job.result, _note_wait))
    try:
        while True:
            done, _ = await asyncio.wait({waiter}, timeout=1.0)
            if done:
                try:
                    return waiter.result()
                except UserError as exc:
                    raise ApiError.of(exc) from exc
            if await request.is_disconnected():
                job.cancel()
    finally:
        job.cancel()  # no-op once finished; stops the work if this request was dropped


def _logprobs(req: Request, entries: list[dict] | None, offset: int = 0) -> dict | None:
    """Log probabilities in the shape each endpoint answers with (None when not asked for)."""
    if req.params.logprobs is None or entries is None:
        return None
    return {"content": entries} if req.messages is not None else completion_logprobs(entries, offset)


def _calls(req: Request, text: str) -> list[ToolCall] | None:
    """The tool calls a reply makes (None when it is text, or the request has no tools)."""
    if req.tools is None:
        return None
    try:
        return req.tools.calls(text)
    except UserError as exc:
        raise ApiError(400, exc.message, "tool_call_incomplete") from exc


def _call_deltas(calls: list[ToolCall], piece: int = 24) -> list[dict]:
    """Calls streamed as OpenAI streams them: each call's id and name, then its arguments in pieces."""
    deltas = []
    for index, call in enumerate(calls):
        deltas.append({"tool_calls": [{"index": index, "id": call.id, "type": "function",
                                       "function": {"name": call.name, "arguments": ""}}]})
        deltas += [{"tool_calls": [{"index": index, "function": {"arguments": call.arguments[at:at + piece]}}]}
                   for at in range(0, len(call.arguments), piece)]
    return deltas


def _base64(vector: list[float]) -> str:
    """A vector as OpenAI sends it for encoding_format=base64: little-endian float32."""
    return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode("ascii")


def _usage(stats) -> dict:
    return {"prompt_tokens": stats.prompt_tokens, "completion_tokens": stats.completion_tokens,
            "total_tokens": stats.prompt_tokens + stats.completion_tokens}


def _finish(reason: str) -> str:
    return {"stop": "stop", "length": "length"}.get(reason, "stop")
