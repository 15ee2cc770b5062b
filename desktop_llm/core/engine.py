"""Run a GGUF model with llama-cpp-python and stream chat replies as events.

Only the model host's thread touches a loaded engine (llama.cpp contexts are
not thread-safe). Cancellation is a threading.Event checked before every
generated token and between prompt batches, so Stop acts within one token
even while a long prompt is being read.
"""

from __future__ import annotations

import codecs
import os
import threading
import time
from pathlib import Path
from typing import Any, Iterator, Protocol

import numpy as np

from desktop_llm.core.constraints import StopFilter, reply_grammar
from desktop_llm.core.engine_options import EngineOptions
from desktop_llm.core.errors import ContextTooLong, ModelFileError, UserError
from desktop_llm.core.events import Event, Finished, Progress, Started, Token
from desktop_llm.core.generation import GenerationParams, GenerationStats, Reply
from desktop_llm.core.infill import fim_tokens, infill_tokens
from desktop_llm.core.llama_state import aborting, capture, restore
from desktop_llm.core.logprobs import logprob_entry
from desktop_llm.core.models.hardware import physical_cores
from desktop_llm.core.prompt_tokens import PromptTokenizer
from desktop_llm.core.state_cache import StateCache, shared_start
from desktop_llm.core.tools import PLAIN, Dialect, ToolUse, dialect_of, native_messages

PROMPT_BATCH = 512  # tokens read per step of progress (Stop acts within a step: see llama_state.aborting)

# Used only when a GGUF carries no chat template of its own.
FALLBACK_CHATML = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
    "{{ message['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


class Engine(Protocol):
    n_ctx: int

    @property
    def device_summary(self) -> str: ...  # "CPU", "GPU: 20/28 layers", "Remote: host"

    def load(self) -> None: ...

    def stream_chat(
        self, messages: list[dict], params: GenerationParams, cancel: threading.Event,
        prefill: str = "",
    ) -> Iterator[Event]: ...

    def stream_text(self, prompt: str, params: GenerationParams, cancel: threading.Event,
                    suffix: str | None = None) -> Iterator[Event]: ...

    def count_tokens(self, messages: list[dict], prefill: str = "") -> int: ...

    def count_text(self, text: str) -> int: ...  # a text's own tokens, no chat template: to size parts

    def close(self) -> None: ...


class LlamaCppEngine:
    def __init__(self, model_path: str | os.PathLike, n_ctx: int = 4096, n_threads: int = 0,
                 n_gpu_layers: int = 0, states: StateCache | None = None, options: EngineOptions = EngineOptions()):
        self.model_path = Path(model_path)
        self.options = options
        self.n_ctx = n_ctx
        self.n_threads = n_threads or physical_cores()
        self.n_gpu_layers = n_gpu_layers
        # llama_cpp is imported when a model loads (start-up stays fast): its objects are Any here.
        self._llm: Any = None
        self._formatter: Any = None
        self._vocab: Any = None
        self._embedder: Any = None  # a second context of the same model, for embeddings (made on first use)
        self._template = ""
        self.states = states  # the model's memory of recent prompts (None: each prompt read afresh)
        self._identity = ""  # which model configuration a saved state belongs to
        self.reused_tokens = 0  # of the last prompt, found in the model's memory
        self._dialect: Dialect | None = None  # how the template writes tools (learnt on first use)
        self._last_tokens: tuple[str, list[int]] = ("", [])  # the last prompt tokenized, and its tokens
        self._tokenizer: Any = None  # a PromptTokenizer: a conversation's earlier messages are not tokenized again

    # -- loading -------------------------------------------------------------
    def load(self) -> None:
        import llama_cpp
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        try:
            self._llm = llama_cpp.Llama(
                model_path=str(self.model_path),
                n_ctx=self.n_ctx,
                n_threads=self.n_threads,
                n_threads_batch=self.n_threads,
                n_gpu_layers=self.n_gpu_layers,
                verbose=False,
                **self.options.llama_kwargs(),
            )
        except (ValueError, RuntimeError) as exc:
            raise ModelFileError(
                f"llama.cpp could not load {self.model_path.name}. The file may be damaged, "
                "or too large for this computer's memory.",
                detail=str(exc),
            ) from exc
        llm = self._llm
        model = llm._model
        eos, bos = llm.token_eos(), llm.token_bos()
        self._template = llm.metadata.get("tokenizer.chat_template") or FALLBACK_CHATML
        self._dialect = None
        self._formatter = Jinja2ChatFormatter(  # renders in a sandboxed Jinja environment
            template=self._template,
            eos_token=model.token_get_text(eos) if eos != -1 else "",
            bos_token=model.token_get_text(bos) if bos != -1 else "",
            stop_token_ids=[eos],
        )
        self._vocab = model.vocab
        self._tokenizer = PromptTokenizer(self._llm, self._vocab)
        stat = self.model_path.stat()
        self._identity = (f"{self.model_path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|ctx={llm.n_ctx()}|"
                          f"gpu={self.n_gpu_layers}|{self.options.identity()}|llama_cpp={llama_cpp.__version__}")

    @property
    def device_summary(self) -> str:
        """Where the model runs, for the status bar: "CPU" or "GPU: N/M layers"."""
        import llama_cpp

        if not self.n_gpu_layers or not llama_cpp.llama_supports_gpu_offload():
            return "CPU"
        total = llama_cpp.llama_model_n_layer(self._llm.model)
        on_gpu = total if self.n_gpu_layers < 0 else min(self.n_gpu_layers, total)
        return f"GPU: {on_gpu}/{total} layers"

    def embed(self, texts: list[str]) -> tuple[list[list[float]], int]:
        """One unit-length vector per text (the model's own pooling, else the mean of its token
        embeddings), from a context of its own, and the tokens read."""
        if self._embedder is None:
            from desktop_llm.core.library.embedder import GgufEmbedder

            self._embedder = GgufEmbedder(self.model_path.stem, self.model_path, n_gpu_layers=self.n_gpu_layers)
        vectors, tokens = self._embedder.measured(texts)
        return vectors.tolist(), tokens

    def close(self) -> None:
        if self._embedder is not None:
            self._embedder.close()
            self._embedder = None
        if self._llm is not None:
            self._llm.close()
            self._llm = None
        self._last_tokens, self._tokenizer = ("", []), None

    # -- prompts ---------------------------------------------------------------
    def render_prompt(self, messages: list[dict], tools: list[dict] | None = None) -> str:
        try:
            return self._formatter(messages=messages, tools=tools).prompt
        except Exception as exc:
            raise UserError(
                "The model's chat template could not format this conversation.", detail=repr(exc)
            ) from exc

    def tokenize_prompt(self, messages: list[dict], prefill: str = "", tools: list[dict] | None = None) -> list[int]:
        """The prompt's tokens; `prefill` is the start of the reply, written
        after the template's assistant header so the model carries on from it."""
        if self._llm is None:
            self.load()
        prompt = self.render_prompt(messages, tools) + prefill
        if prompt != self._last_tokens[0]:  # a chat turn counts its prompt, then reads it: tokenized once
            self._last_tokens = (prompt, self._tokenizer(prompt))
        return list(self._last_tokens[1])

    def count_tokens(self, messages: list[dict], prefill: str = "") -> int:
        return len(self.tokenize_prompt(messages, prefill))

    def count_text(self, text: str) -> int:
        if self._llm is None:
            self.load()
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def _is_end(self, token: int) -> bool:
        import llama_cpp

        return bool(llama_cpp.llama_vocab_is_eog(self._vocab, token))

    def _read_prompt(self, tokens: list[int], cancel: threading.Event) -> Iterator[Event]:
        """Evaluate all but the last prompt token in batches, reusing the cached prefix.

        Between batches the cancel flag is checked and progress reported;
        generate() then finds the prefix cached and evaluates only the rest.
        """
        llm = self._llm
        wanted = np.asarray(tokens[:-1], dtype=np.int32)
        prefix = shared_start(np.asarray(llm.input_ids[: llm.n_tokens], dtype=np.int32), wanted)
        if self.states is not None:  # a saved state that holds more of this prompt than the live one
            found = self.states.find(self._identity, tokens[:-1])
            if found is not None and found[1] > prefix:
                if restore(llm, found[0]):
                    prefix = found[1]
                else:  # llama.cpp refused it (a file from another build): not offered again
                    self.states.forget_on_disk(found[0].identity, found[0].key)
        self.reused_tokens = prefix
        llm.n_tokens = prefix
        todo = tokens[prefix:-1]
        with aborting(llm, cancel):
            for start in range(0, len(todo), PROMPT_BATCH):
                if cancel.is_set():
                    return
                try:
                    llm.eval(todo[start : start + PROMPT_BATCH])
                except RuntimeError:
                    if cancel.is_set():  # Stop, within the batch: what was read before it is kept
                        return
                    raise
                if len(todo) > PROMPT_BATCH:
                    yield Progress(min(start + PROMPT_BATCH, len(todo)), len(todo), "Reading the prompt")

    # -- generation ----------------------------------------------------------
    def stream_chat(
        self, messages: list[dict], params: GenerationParams, cancel: threading.Event,
        prefill: str = "",
    ) -> Iterator[Event]:
        """Yield Started, Progress while reading the prompt, Token per piece of
        text, then Finished(Reply). Errors surface as exceptions."""
        t0 = time.perf_counter()
        listed = None
        if params.tools is not None:
            messages, listed, params = self._with_tools(messages, params, params.tools)
        yield from self._generate(self.tokenize_prompt(messages, prefill, listed), params, cancel, t0)

    def tool_dialect(self) -> Dialect:
        """How this model's chat template writes tools (see core.tools)."""
        if self._llm is None:
            self.load()
        if self._dialect is None:
            self._dialect = dialect_of(self._template, self.render_prompt)
        return self._dialect

    def _with_tools(self, messages: list[dict], params: GenerationParams, use: ToolUse):
        """The conversation, the tools for the template and the parameters, written the model's
        own way when its template lists tools, else in the plain form."""
        dialect = self.tool_dialect()
        if dialect.native:
            native, listed = native_messages(messages), use.listed()
            try:
                self.render_prompt(native, listed)
                return native, listed, use.constrained(params, dialect)
            except UserError:  # e.g. Llama 3.1's template takes one call per turn: the plain form takes any
                pass
        return use.messages(messages), None, use.constrained(params, PLAIN)

    def stream_text(self, prompt: str, params: GenerationParams, cancel: threading.Event,
                    suffix: str | None = None) -> Iterator[Event]:
        """Carry on from raw text, no chat template (an API's /v1/completions); with a
        `suffix`, write what goes between the two (fill-in-the-middle)."""
        t0 = time.perf_counter()
        if self._llm is None:
            self.load()
        if suffix is None:
            tokens = self._llm.tokenize(prompt.encode("utf-8"), add_bos=True, special=False)
        else:
            tokens = self._infill_tokens(prompt, suffix)
        yield from self._generate(tokens, params, cancel, t0)

    def fim_tokens(self) -> tuple[int, int, int] | None:
        if self._llm is None:
            self.load()
        return fim_tokens(self._vocab)

    def _infill_tokens(self, prefix: str, suffix: str) -> list[int]:
        if self._llm is None:
            self.load()
        return infill_tokens(self._llm, self._vocab, self.model_path.name, prefix, suffix)

    def _generate(self, tokens: list[int], params: GenerationParams, cancel: threading.Event,
                  t0: float) -> Iterator[Event]:
        llm = self._llm
        stats = GenerationStats(prompt_tokens=len(tokens))
        room = self.n_ctx - len(tokens)
        if room < 16:
            raise ContextTooLong(
                f"This conversation is too long for the model's context ({len(tokens)} of "
                f"{self.n_ctx} tokens). Start a new chat, or raise the context size in Settings."
            )
        max_tokens = max(1, min(params.max_tokens, room))
        yield Started({"prompt_tokens": len(tokens)})
        yield from self._read_prompt(tokens, cancel)
        if params.seed is not None:
            llm.set_seed(params.seed)

        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        stops = StopFilter(params.stop)
        pieces: list[str] = []
        entries: list[dict] = []  # log probabilities, when asked for
        sent = 0  # entries already attached to a Token
        finish = "length"
        t_first = t_last = None
        if cancel.is_set():
            finish = "cancelled"
        else:
            for token in llm.generate(
                tokens,
                temp=params.temperature,
                top_p=params.top_p,
                top_k=params.top_k,
                min_p=params.min_p,
                repeat_penalty=params.repeat_penalty,
                presence_penalty=params.presence_penalty,
                frequency_penalty=params.frequency_penalty,
                grammar=reply_grammar(params.json_schema, params.grammar),
            ):
                now = time.perf_counter()
                if cancel.is_set():
                    finish = "cancelled"
                    break
                if self._is_end(token):
                    finish = "stop"
                    break
                t_last = now
                if t_first is None:
                    t_first = now
                stats.completion_tokens += 1
                if params.logprobs is not None:
                    entries.append(logprob_entry(llm, token, params.logprobs))
                text = stops.feed(decoder.decode(llm.detokenize([token])))
                if text:
                    pieces.append(text)
                    yield Token(text, tuple(entries[sent:]))
                    sent = len(entries)
                if stops.stopped:
                    finish = "stop"
                    break
                if stats.completion_tokens >= max_tokens:
                    break
        tail = stops.feed(decoder.decode(b"", final=True))
        tail += "" if stops.stopped else stops.flush()
        if tail:
            pieces.append(tail)
            yield Token(tail, tuple(entries[sent:]))
        stats.timed(t0, t_first, t_last, time.perf_counter())
        logprobs = entries if params.logprobs is not None else None
        stats.reused_tokens = self.reused_tokens
        if self.states is not None:  # every token is out: what the next turn begins with is kept
            state = capture(llm, self._identity)
            if state is not None:
                self.states.put(state)
        yield Finished(Reply("".join(pieces), finish, stats, logprobs), stats)
