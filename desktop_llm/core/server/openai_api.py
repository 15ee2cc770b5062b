"""The OpenAI-compatible HTTP API (Starlette), over the same model host as
the window: requests queue on the one worker; a client that goes away
mid-stream stops its generation."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
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
from desktop_llm.core.events import TERMINAL, Failed, Progress, Started, Token
from desktop_llm.core.host import Job
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
from desktop_llm.core.server.shapes import base64_vector, finish_reason, logprobs_shape, tool_calls, usage_counts
from desktop_llm.core.server.stream import sse
from desktop_llm.core.tools import plain_messages

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
                                       "embedding": base64_vector(v) if encoding == "base64" else v}
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
            events = Inbox(asyncio.get_running_loop(), urgent=lambda event: isinstance(event, TERMINAL))
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
            return StreamingResponse(sse(request, jobs[0], events, opening, ident, created, req, chat,
                                                  release), media_type="text/event-stream")
        try:
            reply = await _result(request, submit(None))
        finally:
            release()
        usage = usage_counts(reply.stats)
        finish = finish_reason(reply.finish_reason)
        text = (req.prompt or "") + reply.text if req.echo else reply.text
        message: dict = {"role": "assistant", "content": text}
        calls = tool_calls(req, reply.text)
        if calls:
            message, finish = {"role": "assistant", "content": None,
                               "tool_calls": [c.as_dict() for c in calls]}, "tool_calls"
        scores = logprobs_shape(req, reply.logprobs, len(req.prompt or "") if req.echo and not chat else 0)
        choice = ({"index": 0, "message": message, "finish_reason": finish, "logprobs": scores} if chat
                  else {"index": 0, "text": text, "finish_reason": finish, "logprobs": scores})
        return JSONResponse({"id": ident, "object": "chat.completion" if chat else "text_completion",
                             "created": created, "model": req.model, "choices": [choice], "usage": usage})

async def _opening(request: HttpRequest, job: Job, events: Inbox) -> list:
    """The events up to the reply's start (the model loading, then Started) or its end: a request
    refused before any text is answered with a status, not a stream that carries the error."""
    seen: list = []
    while True:
        arrived = await events.take(timeout=1.0)
        if not arrived and await request.is_disconnected():
            job.cancel()
        for event in arrived:
            _note_wait(event)
        seen += arrived
        if any(isinstance(event, (Started, Token, *TERMINAL)) for event in arrived):
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
