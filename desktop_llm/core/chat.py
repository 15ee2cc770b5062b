"""One chat turn: store the user's message, stream the reply into history.

The same code serves the GUI, the CLI and the API server: `send` stores the
user's message at once (on the caller's thread, so it is safe even if the
model never answers) and submits a job to the model host that streams the
reply, flushing it to the history at least every FLUSH_S seconds.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Iterator

from desktop_llm.core.engine import GenerationParams, GenerationStats, Reply
from desktop_llm.core.errors import UserError
from desktop_llm.core.events import Event, Finished, Progress, Started, Token
from desktop_llm.core.host import HostContext, Job, Listener, ModelHost
from desktop_llm.core.models import InstalledModel
from desktop_llm.core.settings import Settings
from desktop_llm.core.store import History, Message

FLUSH_S = 0.5
STOPPED = "stopped"


@dataclass(frozen=True)
class TurnResult:
    conversation_id: int
    message_id: int
    model: str
    text: str
    status: str  # done or stopped
    stats: GenerationStats

    def as_dict(self) -> dict:
        return {
            "conversation_id": self.conversation_id,
            "model": self.model,
            "text": self.text,
            **{k: v for k, v in self.stats.as_dict().items() if k != "total_s"},
        }


def params_from(settings: Settings) -> GenerationParams:
    return GenerationParams(
        max_tokens=settings.max_tokens,
        temperature=settings.temperature,
        top_p=settings.top_p,
    )


def prompt_messages(history: list[Message], system_prompt: str) -> list[dict]:
    """The conversation as the model sees it.

    Failed or empty replies are left out; turns of the same role that end up
    next to each other are joined, since many chat templates insist that
    user and assistant alternate.
    """
    messages = [{"role": "system", "content": system_prompt}] if system_prompt else []
    for m in history:
        if m.role == "assistant" and (m.status == "error" or not m.content):
            continue
        if messages and messages[-1]["role"] == m.role:
            messages[-1]["content"] += "\n\n" + m.content
        else:
            messages.append({"role": m.role, "content": m.content})
    return messages


class ChatService:
    def __init__(self, history: History, host: ModelHost, settings: Settings):
        self.history = history
        self.host = host
        self.settings = settings

    def send(self, text: str, model: InstalledModel, conversation_id: int | None = None,
             params: GenerationParams | None = None, listener: Listener | None = None) -> Job:
        """Store the user's message now; return the job that streams the reply."""
        if not text or not text.strip():
            raise UserError("The message is empty. Type something to send.")
        if conversation_id is None:
            system_prompt = self.settings.system_prompt
            conversation_id = self.history.create_conversation(
                model=model.name, system_prompt=system_prompt, first_message=text)
        else:
            system_prompt = self.history.get_conversation(conversation_id).system_prompt
            self.history.add_message(conversation_id, "user", text)
        params = params or params_from(self.settings)

        def turn(ctx: HostContext) -> Iterator[Event]:
            yield from self._stream_reply(ctx, conversation_id, system_prompt, model, params)

        return self.host.submit(turn, listener, label="chat")

    def _stream_reply(self, ctx: HostContext, conversation_id: int, system_prompt: str,
                      model: InstalledModel, params: GenerationParams) -> Iterator[Event]:
        yield from ctx.engine_for(model)
        messages = prompt_messages(self.history.messages(conversation_id), system_prompt)
        message_id = self.history.add_message(conversation_id, "assistant", "", "streaming", model.name)
        yield Started({"conversation_id": conversation_id, "message_id": message_id,
                       "model": model.name})
        pieces: list[str] = []
        last_flush = time.monotonic()
        finished = None
        try:
            for event in ctx.engine.stream_chat(messages, params, ctx.cancel):
                if isinstance(event, Token):
                    pieces.append(event.text)
                    now = time.monotonic()
                    if now - last_flush >= FLUSH_S:
                        self.history.update_message(message_id, "".join(pieces))
                        last_flush = now
                    yield event
                elif isinstance(event, Progress):
                    yield event
                elif isinstance(event, Finished):
                    reply: Reply = event.result
                    status = STOPPED if reply.finish_reason == "cancelled" else "done"
                    self.history.update_message(message_id, reply.text, status, reply.stats.as_dict())
                    finished = Finished(
                        TurnResult(conversation_id, message_id, model.name, reply.text, status,
                                   reply.stats),
                        reply.stats,
                    )
                    break
        except GeneratorExit:  # the consumer went away: keep what we have
            self.history.update_message(message_id, "".join(pieces), STOPPED)
            raise
        except BaseException as exc:
            message = exc.message if isinstance(exc, UserError) else str(exc)
            self.history.update_message(message_id, "".join(pieces), "error", error=message)
            raise
        if finished is not None:
            yield finished
