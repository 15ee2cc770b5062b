"""Remote backends: any OpenAI-compatible endpoint (a hosted service, Ollama,
LM Studio, a llama.cpp server, another copy of this app) used as a model.

Text sent to a remote model leaves this computer; front ends mark remote
models and warn before the first send. In offline mode they are refused.
API keys are kept in the system keyring, never in the settings file.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit

from desktop_llm.core.engine import GenerationParams, GenerationStats, Reply
from desktop_llm.core.errors import NotFound, UserError
from desktop_llm.core.events import Event, Finished, Started, Token
from desktop_llm.core.files import atomic_write_text, read_json
from desktop_llm.core.models.gguf import ModelInfo
from desktop_llm.core.secrets import get_secret, set_secret

CONNECT_TIMEOUT_S = 10
READ_TIMEOUT_S = 120
CHARS_PER_TOKEN = 4  # a rough count: remote tokenizers are unknown


@dataclass(frozen=True)
class RemoteModelConfig:
    name: str
    base_url: str  # ends in /v1 for most servers
    model: str  # the model name the server expects
    n_ctx: int = 8192

    @property
    def key_account(self) -> str:
        return f"remote-key:{self.name}"

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).netloc or self.base_url


def check_url(url: str) -> str:
    url = url.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UserError(f"“{url}” is not a web address. Give the server's base URL, like "
                        "http://127.0.0.1:11434/v1 or https://api.example.com/v1.")
    return url


class RemoteModels:
    """The configured remote models, in a small JSON file (no keys in it)."""

    def __init__(self, file: Path):
        self.file = Path(file)

    def list(self) -> list[RemoteModelConfig]:
        out = []
        for raw in read_json(self.file, list):
            try:
                out.append(RemoteModelConfig(**raw))
            except TypeError:
                continue
        return out

    def get(self, name: str) -> RemoteModelConfig:
        for config in self.list():
            if config.name == name:
                return config
        raise NotFound(f"No remote model named “{name}”. Add it with `desktop-llm remote add`.")

    def add(self, name: str, base_url: str, model: str, api_key: str | None = None, n_ctx: int = 8192) -> bool:
        """Store a remote model; False when its key could be kept for this session only."""
        name = name.strip()
        if not name or "/" in name:
            raise UserError("Give the remote model a short name without slashes.")
        config = RemoteModelConfig(name, check_url(base_url), model.strip() or name, n_ctx)
        others = [c for c in self.list() if c.name != name]
        atomic_write_text(self.file, json.dumps([asdict(c) for c in others + [config]], indent=1))
        return set_secret(config.key_account, api_key) if api_key else True

    def remove(self, name: str) -> None:
        config = self.get(name)
        atomic_write_text(self.file, json.dumps([asdict(c) for c in self.list() if c.name != name], indent=1))
        set_secret(config.key_account, None)


class RemoteEngine:
    """The Engine protocol over HTTP: streams a chat completion from an
    OpenAI-compatible server. Stop is checked at every received piece."""

    def __init__(self, config: RemoteModelConfig, api_key: str | None = None, offline: bool = False):
        self.config = config
        self.api_key = api_key if api_key is not None else get_secret(config.key_account)
        self.offline = offline
        self.n_ctx = config.n_ctx
        self.device_summary = f"Remote: {config.host}"

    def load(self) -> None:
        if self.offline:
            raise UserError(f"{self.config.name} is a remote model, and offline mode is on: nothing is sent "
                            "over the network. Turn offline mode off in Settings, or choose a local model.")

    def close(self) -> None:
        pass

    def stream_text(self, prompt: str, params: GenerationParams, cancel: threading.Event,
                    suffix: str | None = None) -> Iterator[Event]:
        raise UserError(f"{self.config.name} is a remote model: it answers chat messages only, not raw text "
                        "completions. Use /v1/chat/completions, or a local model.")

    def count_tokens(self, messages: list[dict], prefill: str = "") -> int:
        chars = sum(len(m.get("content", "")) + 8 for m in messages) + len(prefill)
        return chars // CHARS_PER_TOKEN + 1

    def count_text(self, text: str) -> int:
        return len(text) // CHARS_PER_TOKEN + 1

    def _explain(self, exc: Exception) -> UserError:
        import httpx

        where = self.config.base_url
        if isinstance(exc, httpx.ConnectError):
            return UserError(f"Cannot reach {where}. Is the server running, and is the address right? "
                             "Check it in Settings → Remote models.", detail=repr(exc))
        if isinstance(exc, httpx.TimeoutException):
            return UserError(f"{where} did not answer in time. The server may be busy or down; try again.",
                             detail=repr(exc))
        return UserError(f"The connection to {where} failed: {exc}.", detail=repr(exc))

    def stream_chat(self, messages: list[dict], params: GenerationParams, cancel: threading.Event,
                    prefill: str = "") -> Iterator[Event]:
        import httpx

        self.load()
        if params.tools is not None:  # the plain form; the call's schema when a call is required
            messages = params.tools.messages(messages)
            params = replace(params, json_schema=params.tools.json_schema() or params.json_schema, tools=None)
        if prefill:
            messages = messages + [{"role": "assistant", "content": prefill}]
        body = {"model": self.config.model, "messages": messages, "stream": True, "max_tokens": params.max_tokens,
                "temperature": params.temperature, "top_p": params.top_p}
        if params.stop:
            body["stop"] = list(params.stop)
        if params.seed is not None:
            body["seed"] = params.seed
        for name in ("presence_penalty", "frequency_penalty"):
            if getattr(params, name):
                body[name] = getattr(params, name)
        formats = _response_formats(params.json_schema)
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        timeout = httpx.Timeout(READ_TIMEOUT_S, connect=CONNECT_TIMEOUT_S)
        t0 = time.perf_counter()
        stats = GenerationStats(prompt_tokens=self.count_tokens(messages))
        pieces, finish, t_first, t_last, seen_data = [], "length", None, None, False
        yield Started({"prompt_tokens": stats.prompt_tokens, "remote": self.config.host})
        client = httpx.Client(timeout=timeout)
        try:
            for i, response_format in enumerate(formats):  # servers differ in how they take a JSON schema
                if response_format is not None:
                    body["response_format"] = response_format
                request = client.build_request("POST", self.config.base_url + "/chat/completions", json=body,
                                               headers=headers)
                response = client.send(request, stream=True)
                if response.status_code == 200 or i == len(formats) - 1:
                    break
                response.close()
            try:
                if response.status_code != 200:
                    response.read()
                    raise self._status_error(response)
                for line in response.iter_lines():
                    if cancel.is_set():
                        finish = "cancelled"
                        break
                    data = _sse_data(line)
                    if data is None:
                        continue
                    seen_data = True
                    if data == "[DONE]":
                        break
                    text, reason = self._parse_chunk(data)
                    if text:
                        t_last = time.perf_counter()
                        t_first = t_first or t_last
                        stats.completion_tokens += 1
                        pieces.append(text)
                        yield Token(text)
                    if reason:
                        finish = "stop" if reason == "stop" else "length"
            finally:
                response.close()
        except UserError:
            raise
        except httpx.HTTPError as exc:
            raise self._explain(exc) from exc
        finally:
            client.close()
        if not seen_data and finish != "cancelled":
            raise UserError(f"{self.config.base_url} answered with something that is not the OpenAI API. "
                            "Check the base URL (it usually ends in /v1).")
        stats.timed(t0, t_first, t_last, time.perf_counter())
        yield Finished(Reply("".join(pieces), finish, stats), stats)

    def _status_error(self, response) -> UserError:
        try:
            message = response.json()["error"]["message"]
        except Exception:
            message = response.text[:200]
        where = self.config.base_url
        if response.status_code in (401, 403):
            return UserError(f"{where} refused the API key ({response.status_code}: {message}). "
                             "Check the key in Settings → Remote models.")
        if response.status_code == 404:
            return UserError(f"{where} has no model “{self.config.model}” or no chat endpoint "
                             f"({message}). Check the model name and the base URL (it usually ends in /v1).")
        return UserError(f"{where} answered with an error ({response.status_code}): {message}")

    def _parse_chunk(self, data: str) -> tuple[str, str | None]:
        try:
            chunk = json.loads(data)
            choice = chunk["choices"][0] if chunk.get("choices") else {}
            return (choice.get("delta") or {}).get("content") or "", choice.get("finish_reason")
        except (ValueError, AttributeError, KeyError, IndexError, TypeError) as exc:
            raise UserError(f"{self.config.base_url} answered with something that is not the OpenAI API. "
                            "Check the base URL (it usually ends in /v1).", detail=data[:200]) from exc


def _response_formats(schema: dict | None) -> list:
    """How to ask for JSON of a shape: OpenAI's json_schema first, then the
    json_object + schema form of llama.cpp's servers."""
    if schema is None:
        return [None]
    return [{"type": "json_schema", "json_schema": {"name": "answer", "schema": schema, "strict": True}},
            {"type": "json_object", "schema": schema}]


def remote_info(config: RemoteModelConfig) -> ModelInfo:
    """What the window shows about a remote model (there is no file to read)."""
    return ModelInfo(path=config.base_url, file_size=0, architecture="remote", name=config.model,
                     context_length=config.n_ctx, block_count=0, quantization=config.host, parameter_count=None,
                     size_label="remote", has_chat_template=True, chat_template="")


def _sse_data(line: str) -> str | None:
    line = line.strip()
    return line[5:].strip() if line.startswith("data:") else None
