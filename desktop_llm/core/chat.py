"""One chat turn: store the user's message, stream the reply into history.

The same code serves the GUI, the CLI and the API server: `send` stores the
user's message at once (on the caller's thread, so it is safe even if the
model never answers) and submits a job to the model host that streams the
reply, flushing it to the history at least every FLUSH_S seconds.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from desktop_llm.core.context import fit_to_context, reply_reserve
from desktop_llm.core.documents.summary_steps import summary_prompt
from desktop_llm.core.engine import GenerationParams, GenerationStats, Reply
from desktop_llm.core.errors import Cancelled, UserError
from desktop_llm.core.events import Event, Finished, Progress, Started, Token
from desktop_llm.core.host import HostContext, Job, JobKind, Listener, ModelHost
from desktop_llm.core.library.grounding import (
    Source,
    WholeDocument,
    checked_citations,
    fitted,
    grounded_system,
)
from desktop_llm.core.library.indexer import read_any
from desktop_llm.core.models import ModelRef
from desktop_llm.core.settings import Settings
from desktop_llm.core.store import Conversation, History, Message, MessageStatus

FLUSH_S = 0.5
Grounding = list[Source] | WholeDocument  # what a reply is answered from, found in the user's libraries


@dataclass(frozen=True)
class TurnStarted:
    """What Started carries for a chat turn: the reply as stored when it began."""

    message: Message  # status streaming; a continued reply holds its earlier text
    left_out: int  # oldest messages left out so the prompt fits the context
    continued: bool


@dataclass(frozen=True)
class TurnResult:
    message: Message  # the reply as stored at the end
    stats: GenerationStats
    left_out: int = 0  # oldest messages left out so the prompt fits the context

    @property
    def conversation_id(self) -> int:
        return self.message.conversation_id

    @property
    def message_id(self) -> int:
        return self.message.id

    @property
    def text(self) -> str:
        return self.message.content

    @property
    def status(self) -> MessageStatus:
        return self.message.status

    @property
    def finish_reason(self) -> str:
        return self.message.finish_reason

    @property
    def sources(self) -> list[Source]:
        """The passages (or the file) a grounded reply was answered from."""
        return [Source(**s) for s in json.loads(self.message.sources)] if self.message.sources else []

    def as_dict(self) -> dict:
        return {
            "conversation_id": self.conversation_id,
            "message_id": self.message_id,
            "model": self.message.model,
            "text": self.text,
            "finish_reason": self.finish_reason,
            "left_out_messages": self.left_out,
            **{k: v for k, v in self.stats.as_dict().items() if k != "total_s"},
            **({"sources": json.loads(self.message.sources)} if self.message.sources else {}),
        }


def params_from(settings: Settings, conversation: Conversation | None = None) -> GenerationParams:
    """Generation settings: the conversation's own where it has them, else the defaults."""
    def pick(name):
        own = getattr(conversation, name, None) if conversation is not None else None
        return own if own is not None else getattr(settings, name)

    return GenerationParams(
        max_tokens=pick("max_tokens"),
        temperature=pick("temperature"),
        top_p=pick("top_p"),
    )


def prompt_messages(history: list[Message], system_prompt: str) -> list[dict]:
    """The conversation as the model sees it.

    Failed or empty replies are left out; turns of the same role that end up
    next to each other are joined, since many chat templates insist that
    user and assistant alternate.
    """
    messages = [{"role": "system", "content": system_prompt}] if system_prompt else []
    for m in history:
        if m.role == "assistant" and (m.status == MessageStatus.ERROR or not m.content):
            continue
        if messages and messages[-1]["role"] == m.role:
            messages[-1]["content"] += "\n\n" + m.content
        else:
            messages.append({"role": m.role, "content": m.content})
    return messages


class ChatService:
    """Every way a reply comes about: a new message, a regenerated reply, an
    edited message, a continued reply. Each stores what the user wrote first,
    then returns the host job that streams the reply into the history."""

    def __init__(self, history: History, host: ModelHost, settings: Settings):
        self.history = history
        self.host = host
        self.settings = settings

    def send(self, text: str, model: ModelRef, conversation_id: int | None = None,
             params: GenerationParams | None = None, listener: Listener | None = None,
             new_conversation: dict | None = None,
             sources: Grounding | Callable[[], Grounding] | None = None) -> Job:
        """Store the user's message now; return the job that streams the reply.

        `new_conversation` (system_prompt, temperature, ...) sets up a new
        conversation when `conversation_id` is None. With `sources` (passages
        found in the user's libraries) the reply is grounded in them, cites
        them, and is stored with them; a function giving them is called when the
        turn runs (the search then happens on the worker, not the caller's thread).
        A WholeDocument instead is summarized, all of it, as the reply."""
        _require_text(text)
        if conversation_id is None:
            setup = {"system_prompt": self.settings.system_prompt, **(new_conversation or {})}
            conversation_id = self.history.create_conversation(
                model=model.name, first_message=text, **setup)
        else:
            self.history.add_message(conversation_id, "user", text)
        parent = self.history.get_conversation(conversation_id).leaf_id
        return self._reply(conversation_id, parent, model, params, listener, sources=sources)

    def regenerate(self, message_id: int, model: ModelRef,
                   params: GenerationParams | None = None, listener: Listener | None = None) -> Job:
        """A new reply in place of `message_id`; the old one stays as an alternative."""
        message = self.history.get_message(message_id)
        if message.role != "assistant":
            raise UserError("Only a reply can be regenerated; edit your own message instead.")
        return self._reply(message.conversation_id, message.parent_id, model, params, listener)

    def edit(self, message_id: int, text: str, model: ModelRef,
             params: GenerationParams | None = None, listener: Listener | None = None) -> Job:
        """Send `text` in place of the user's message `message_id`, as a new branch
        (the earlier message and everything after it are kept)."""
        _require_text(text)
        message = self.history.get_message(message_id)
        if message.role != "user":
            raise UserError("Only your own messages can be edited.")
        self.history.add_message(message.conversation_id, "user", text, parent_id=message.parent_id)
        parent = self.history.get_conversation(message.conversation_id).leaf_id
        return self._reply(message.conversation_id, parent, model, params, listener)

    def continue_reply(self, message_id: int, model: ModelRef,
                       params: GenerationParams | None = None,
                       listener: Listener | None = None) -> Job:
        """Carry on writing a reply that was stopped, interrupted or ran out of tokens."""
        message = self.history.get_message(message_id)
        if not message.can_continue:
            raise UserError("Only a reply that was cut off can be continued.")
        return self._reply(message.conversation_id, message.parent_id, model, params, listener,
                           continued=message)

    def _reply(self, conversation_id: int, parent_id: int | None, model: ModelRef,
               params: GenerationParams | None, listener: Listener | None,
               continued: Message | None = None,
               sources: Grounding | Callable[[], Grounding] | None = None) -> Job:
        conversation = self.history.get_conversation(conversation_id)
        params = params or params_from(self.settings, conversation)

        def turn(ctx: HostContext) -> Iterator[Event]:
            yield from self._stream_reply(ctx, conversation, parent_id, model, params, continued, sources)

        return self.host.submit(turn, listener, kind=JobKind.CHAT,
                                info={"conversation_id": conversation_id, "model": model.name})

    def _prompt(self, engine, conversation: Conversation, parent_id: int | None,
                params: GenerationParams, prefill: str,
                sources: list[Source] | None = None) -> tuple[list[dict], int]:
        """The prompt that fits the context, and how many turns it leaves out."""
        thread = self.history.messages(conversation.id, leaf_id=parent_id) if parent_id else []
        system = conversation.system_prompt if sources is None else grounded_system(conversation.system_prompt,
                                                                                     sources)
        messages = prompt_messages(thread, system)
        budget = engine.n_ctx - reply_reserve(engine.n_ctx, params.max_tokens)
        messages, left_out = fit_to_context(
            messages, lambda ms: engine.count_tokens(ms, prefill), budget)
        return messages, left_out

    def _stream_reply(self, ctx: HostContext, conversation: Conversation, parent_id: int | None,
                      model: ModelRef, params: GenerationParams,
                      continued: Message | None,
                      sources: Grounding | Callable[[], Grounding] | None = None) -> Iterator[Event]:
        yield from ctx.engine_for(model)
        prefill = continued.content if continued else ""
        if callable(sources):
            yield Progress(0, 1, "Looking in the libraries")
            sources = sources()
        if isinstance(sources, WholeDocument):
            whole, doc = sources, read_any(Path(sources.path))
            sources = [whole.source(len(doc.text.split()))]
            messages: list[dict] = []
            left_out = 0
        else:
            whole = None
            if sources is not None:  # as many passages as their share of the context holds
                sources = fitted(sources, ctx.engine.count_text, ctx.engine.n_ctx)
            messages, left_out = self._prompt(ctx.engine, conversation, parent_id, params, prefill, sources)
        if continued:
            message_id = continued.id
            self.history.update_message(message_id, prefill, MessageStatus.STREAMING)
            self.history.switch_branch(message_id)
        else:
            message_id = self.history.add_message(conversation.id, "assistant", "", MessageStatus.STREAMING,
                                                  model.name, parent_id=parent_id)
        yield Started({"conversation_id": conversation.id, "message_id": message_id, "model": model.name,
                       "turn": TurnStarted(self.history.get_message(message_id), left_out, bool(continued))})
        pieces: list[str] = [prefill]
        last_flush = time.monotonic()
        finished = None
        if whole is not None:
            stream = self._summary_stream(ctx, doc, params, whole.style)
        else:
            stream = ctx.engine.stream_chat(messages, params, ctx.cancel, prefill)
        try:
            for event in stream:
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
                    text = prefill + reply.text
                    status = MessageStatus.STOPPED if reply.finish_reason == "cancelled" else MessageStatus.DONE
                    cited = None
                    if sources is not None:  # citations of passages that do not exist are dropped
                        text = text if whole else checked_citations(text, sources)
                        cited = json.dumps([s.as_dict() for s in sources], ensure_ascii=False)
                    self.history.update_message(message_id, text, status, reply.stats.as_dict(),
                                                finish_reason=reply.finish_reason, sources=cited)
                    finished = Finished(TurnResult(self.history.get_message(message_id), reply.stats, left_out),
                                        reply.stats)
                    break
        except (GeneratorExit, Cancelled):  # the consumer went away, or Stop between parts: keep what we have
            self.history.update_message(message_id, "".join(pieces), MessageStatus.STOPPED)
            raise
        except BaseException as exc:
            message = exc.message if isinstance(exc, UserError) else str(exc)
            self.history.update_message(message_id, "".join(pieces), MessageStatus.ERROR, error=message)
            raise
        if finished is not None:
            yield finished

    @staticmethod
    def _summary_stream(ctx: HostContext, doc, params: GenerationParams, style: str) -> Iterator[Event]:
        """A whole document's summary as a reply: its parts summarized first, then the summary streams."""
        prompt = yield from summary_prompt(ctx, doc, params, style)
        yield from ctx.engine.stream_chat(prompt.messages, prompt.params, ctx.cancel)


def _require_text(text: str) -> None:
    if not text or not text.strip():
        raise UserError("The message is empty. Type something to send.")
