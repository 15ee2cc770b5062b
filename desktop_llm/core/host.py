"""The model host: one background thread that owns the loaded model.

The GUI, the CLI and the API server submit jobs; the host runs them one at a
time on its thread (llama.cpp is not thread-safe) and sends each job's events
to its listener, or to a queue the submitter iterates. No Qt here.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import traceback
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from desktop_llm.core.engine import Engine, LlamaCppEngine
from desktop_llm.core.engine_options import EngineOptions
from desktop_llm.core.enums import TextEnum
from desktop_llm.core.errors import ErrorKind, ModelFileError, UserError
from desktop_llm.core.events import TERMINAL, Event, Failed, Finished, Progress, outcome
from desktop_llm.core.models import ModelRef, ServerModel, fit, hardware
from desktop_llm.core.models.gguf import ModelInfo
from desktop_llm.core.models.guard import ModelGuard
from desktop_llm.core.remote import RemoteEngine, remote_info
from desktop_llm.core.state_cache import StateCache

log = logging.getLogger(__name__)

Listener = Callable[[Event], None]


class JobKind(TextEnum):
    """What a job on the host does: the status bar and the API show it."""

    NONE = ""  # nothing runs
    LOAD = "load"
    CHAT = "chat"
    API = "api"  # a request of the OpenAI-compatible API
    DRAFT = "draft"
    REWRITE = "rewrite"
    ANALYZE = "analyze"
    SUMMARIZE = "summarize"
    TRANSLATE = "translate"
    MEASURE = "measure"  # a speed check of the model

    @property
    def interactive(self) -> bool:
        """Someone waits for its first words: it runs between the parts of a long job."""
        return self in (JobKind.CHAT, JobKind.API)

    @property
    def doing(self) -> str:
        return _DOING.get(self, "working")


_DOING = {JobKind.LOAD: "loading a model", JobKind.CHAT: "writing a chat reply",
          JobKind.API: "answering an API request", JobKind.DRAFT: "writing a draft",
          JobKind.REWRITE: "rewriting text", JobKind.ANALYZE: "reading feedback",
          JobKind.SUMMARIZE: "summarizing a document", JobKind.TRANSLATE: "translating a document",
          JobKind.MEASURE: "measuring its speed"}
GIVES_WAY = (JobKind.TRANSLATE, JobKind.SUMMARIZE, JobKind.ANALYZE, JobKind.DRAFT)  # long jobs made of parts


@dataclass(frozen=True)
class LoadedModel:
    """The result of a load job."""

    model: ModelRef
    info: ModelInfo
    device: str  # "CPU" or "GPU: N/M layers on <device>"
    notice: str = ""  # e.g. a GPU this llama.cpp build cannot use, and how to fix it


@dataclass(frozen=True)
class EngineConfig:
    n_ctx: int = 4096
    n_threads: int = 0
    n_gpu_layers: int = 0  # used when gpu_mode is "manual"
    gpu_mode: str = "auto"
    options: EngineOptions = EngineOptions()


class HostContext:
    """What a job may use while it runs on the host thread."""

    def __init__(self, host: "ModelHost", cancel: threading.Event):
        self._host = host
        self.cancel = cancel
        self._model: ModelRef | None = None

    def engine_for(self, model: ModelRef) -> Iterator[Event]:
        """Make `model` the loaded one (yields progress); then use `.engine`."""
        self._model = model
        yield from self._host._ensure_loaded(model)

    def give_way(self) -> Iterator[Event]:
        """Between two parts of a long job: the chat turns and API requests waiting for this model
        run now, then the job carries on where it was (its model loaded again if one of them
        changed it)."""
        waiting = self._host._take_interactive()
        for job in waiting:
            self._host._run_nested(job)
        if waiting and self._model is not None:
            yield from self._host._ensure_loaded(self._model)

    @property
    def engine(self) -> Engine:
        engine = self._host._engine
        if engine is None:  # engine_for() comes first in every job
            raise RuntimeError("no model loaded: call engine_for() first")
        return engine

    @property
    def model_info(self) -> ModelInfo | None:
        return self._host._model_info


JobFn = Callable[[HostContext], Iterator[Event]]


class Job:
    """A submitted request: iterate it for events, or give a listener."""

    def __init__(self, fn: JobFn, listener: Listener | None = None, kind: JobKind = JobKind.NONE,
                 info: dict | None = None):
        self.fn = fn
        self.kind = kind
        self.info = dict(info or {})  # what the submitter knows already (a conversation id...)
        self.cancel_event = threading.Event()
        self._listener = listener
        self._queue: queue.Queue[Event] | None = None if listener else queue.Queue()

    def cancel(self) -> None:
        self.cancel_event.set()

    def emit(self, event: Event) -> None:
        if self._listener is not None:
            try:
                self._listener(event)
            except Exception:
                log.exception("event listener failed")
        elif self._queue is not None:
            self._queue.put(event)

    def events(self, poll_s: float = 0.1) -> Iterator[Event]:
        """Yield events until the job ends (only for jobs without a listener)."""
        if self._queue is None:
            raise RuntimeError("this job delivers its events to a listener")
        while True:
            try:
                event = self._queue.get(timeout=poll_s)
            except queue.Empty:
                continue
            yield event
            if isinstance(event, TERMINAL):
                return

    __iter__ = events

    def result(self, on_event: Listener | None = None) -> Any:
        """Wait for the job's end and return its result; a failure raises
        its UserError (kind kept). `on_event` sees every event on the way."""
        return outcome(self.events(), on_event)


class ModelHost:
    def __init__(self, guard: ModelGuard, config: EngineConfig = EngineConfig(),
                 engine_factory: Callable[..., Engine] | None = None, states: StateCache | None = None):
        self.guard = guard
        self.config = config
        self.states = states  # the model's memory of recent prompts, kept across jobs (and model loads)
        self._engine_factory: Callable[..., Engine] = engine_factory or LlamaCppEngine
        self.remote_engine: Callable[[ServerModel], RemoteEngine] | None = None  # set by the app
        self._engine: Engine | None = None
        self._model: ModelRef | None = None
        self._model_info: ModelInfo | None = None
        self._loaded_config: EngineConfig | None = None
        self._device = "CPU"
        self._notice = ""
        self._jobs: queue.Queue[Job | None] = queue.Queue()
        self._running: list[Job] = []  # the job running now last; before it, long jobs that gave way to it
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="model-host", daemon=True)
        self._thread.start()

    # -- public API (any thread) ---------------------------------------------
    def submit(self, fn: JobFn, listener: Listener | None = None, kind: JobKind = JobKind.NONE,
               info: dict | None = None) -> Job:
        job = Job(fn, listener, kind, info)
        with self._lock:
            running = self._running[-1] if self._running else None
            if running is not None:  # say what it waits for (a Progress of no total: a wait, not a step)
                job.emit(Progress(0, 0, self._waiting_label(running, job)))
            self._jobs.put(job)
        return job

    def _waiting_label(self, running: Job, job: Job) -> str:
        if job.kind.interactive and running.kind in GIVES_WAY and self._same_model(job):
            return (f"Waiting: the model is {running.kind.doing}; this goes first, as soon as the part "
                    "in hand is done")
        return f"Waiting: the model is {running.kind.doing}; this goes next"

    def _same_model(self, job: Job) -> bool:
        """Whether a job asks for the model loaded now (a job that names none is taken to)."""
        wanted = job.info.get("model")
        return wanted is None or (self._model is not None and wanted == self._model.name)

    @property
    def current_kind(self) -> JobKind:
        """What the host is doing now (JobKind.NONE when nothing)."""
        running = self._running
        return running[-1].kind if running else JobKind.NONE

    def queued_kinds(self) -> list[JobKind]:
        """What waits for the model, in order."""
        with self._jobs.mutex:
            return [job.kind for job in self._jobs.queue if job is not None]

    @property
    def _current(self) -> Job | None:
        return self._running[-1] if self._running else None

    def load(self, model: ModelRef, listener: Listener | None = None) -> Job:
        def load_job(ctx: HostContext) -> Iterator[Event]:
            yield from ctx.engine_for(model)
            info = ctx.model_info
            if info is None:
                raise RuntimeError("a loaded model has its facts")
            yield Finished(LoadedModel(model, info, self._device, self._notice))

        return self.submit(load_job, listener, kind=JobKind.LOAD)

    def cancel_all(self) -> None:
        """Cancel the running job and every queued one."""
        with self._lock:
            for running in self._running:
                running.cancel()
        for job in list(self._jobs.queue):
            if job is not None:
                job.cancel()

    def shutdown(self, timeout: float = 10.0) -> None:
        self.cancel_all()
        self._jobs.put(None)
        self._thread.join(timeout)

    @property
    def loaded_model(self) -> ModelRef | None:
        return self._model

    # -- host thread -----------------------------------------------------------
    def reconfigure(self, config: EngineConfig) -> None:
        """Use `config` from the next job on; the model reloads if it changed."""
        self.config = config

    def _ensure_loaded(self, model: ModelRef) -> Iterator[Event]:
        if isinstance(model, ServerModel):  # nothing to load: a fresh client each time (the key may have changed)
            yield from self._use_remote(model)
            return
        if (self._engine is not None and self._model == model
                and self._loaded_config == self.config):
            return
        yield Progress(0, 2, f"Checking {model.name}")
        info = self.guard.check(model)
        yield Progress(1, 2, f"Loading {model.name}")
        if self._engine is not None:
            self._engine.close()
            self._engine = None
            self._model = None
        n_ctx = self.config.n_ctx
        if info.context_length:
            n_ctx = min(n_ctx, info.context_length)
        plan, gpu_name, self._notice = plan_for(info, n_ctx, self.config)
        engine = self._engine_factory(
            model.path, n_ctx=n_ctx, n_threads=self.config.n_threads, n_gpu_layers=plan.n_gpu_layers,
            states=self.states, options=self.config.options,
        )
        engine.load()
        self._device = engine.device_summary + (f" on {gpu_name}" if plan.n_gpu_layers and gpu_name else "")
        self._engine, self._model, self._model_info = engine, model, info
        self._loaded_config = self.config
        yield Progress(2, 2, f"{model.name} ready")

    def _use_remote(self, model: ServerModel) -> Iterator[Event]:
        """A remote model: no file, no memory; the server does the work."""
        if self.remote_engine is None:
            raise UserError("Remote models are not available here.")
        engine = self.remote_engine(model)
        engine.load()  # refuses in offline mode
        if self._engine is not None:
            self._engine.close()
        self._engine, self._model, self._model_info = engine, model, remote_info(engine.config)
        self._device, self._notice = engine.device_summary, ""
        self._loaded_config = self.config
        yield Progress(1, 1, f"{model.name} ready")

    def _run(self) -> None:
        yield_to_the_window()
        while True:
            job = self._jobs.get()
            if job is None:
                break
            self._run_nested(job)
        if self._engine is not None:
            self._engine.close()

    def _run_nested(self, job: Job) -> None:
        with self._lock:
            self._running.append(job)
        try:
            self._run_job(job)
        finally:
            with self._lock:
                self._running.remove(job)

    def _take_interactive(self) -> list[Job]:
        """The chat turns and API requests queued for the model loaded now, out of the queue (in order)."""
        with self._jobs.mutex:
            jobs = self._jobs.queue
            if None in jobs:  # shutting down: nothing jumps ahead
                return []
            taken = [j for j in jobs if j is not None and j.kind.interactive and self._same_model(j)]
            for job in taken:
                jobs.remove(job)
        return taken

    def _run_job(self, job: Job) -> None:
        ended = False
        try:
            if job.cancel_event.is_set():
                job.emit(Failed("Cancelled before it started.", kind=ErrorKind.CANCELLED))
                return
            for event in job.fn(HostContext(self, job.cancel_event)):
                job.emit(event)
                if isinstance(event, TERMINAL):
                    ended = True
                    break
            if not ended:
                job.emit(Failed("The request ended without a result.", "job yielded no terminal event",
                                ErrorKind.INTERNAL))
        except UserError as exc:
            job.emit(Failed.of(exc))
        except MemoryError:
            job.emit(Failed("Out of memory. Close other programs or choose a smaller model.",
                            kind=ErrorKind.RESOURCES))
        except Exception as exc:  # keep the host alive whatever a job does
            log.exception("job %s failed", job.kind)
            job.emit(Failed(f"Something went wrong: {exc}. The app keeps running; try again.",
                            traceback.format_exc(), ErrorKind.INTERNAL))




WORKER_NICENESS = 15  # well below the window's thread: on a machine with few cores the model would starve it


def yield_to_the_window() -> None:
    """Run the model at a lower scheduling priority than the window (llama.cpp's worker threads, created
    from this thread, inherit it): when both want the CPU the window wins, and alone the model runs at
    full speed. Linux and other systems with per-thread niceness only."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), WORKER_NICENESS)
    except (AttributeError, OSError):  # Windows and macOS: no per-thread niceness; left as it is
        pass


def plan_for(info: ModelInfo, n_ctx: int, config: EngineConfig) -> tuple[fit.OffloadPlan, str, str]:
    """GPU layers for this model and context on this computer; refuse a model
    that cannot fit in memory at all instead of letting the system swap or die."""
    hw = hardware.detect()
    arch = info.architecture_facts
    kv_bytes = config.options.kv_bytes_per_value
    plan = fit.plan_offload(info.file_size, arch, n_ctx, hw, config.gpu_mode, config.n_gpu_layers, kv_bytes)
    on_cpu = fit.estimate(info.file_size, arch, n_ctx, hw.cpu_only(), kv_bytes)
    if plan.n_gpu_layers == 0 and on_cpu.verdict == "too_large":
        raise ModelFileError(
            f"{info.name} needs about {on_cpu.needed_bytes / fit.GiB:.1f} GB of memory, more than this computer has "
            f"({hw.total_ram / fit.GiB:.1f} GB). Choose a smaller model or a smaller context size in Settings."
        )
    gpu = hw.gpu
    return plan, gpu.name if gpu else "", hw.gpu_unused_note
