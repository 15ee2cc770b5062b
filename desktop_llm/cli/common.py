"""What every command shares: the core for one run, JSON output, and
following a job's events on the terminal."""

from __future__ import annotations

import json
import signal
import sys
from contextlib import contextmanager
from typing import Iterator

from desktop_llm.core.app import AppCore
from desktop_llm.core.events import Progress, Token
from desktop_llm.core.host import Job

OPTIONS: dict = {"offline": False, "progress": "auto"}  # options of this run (--offline, --progress)


def print_json(obj) -> None:
    print(json.dumps(obj, ensure_ascii=False, indent=2))


@contextmanager
def open_core() -> Iterator[AppCore]:
    """The app's core for one command, closed (model host stopped, history
    closed) when the command ends."""
    core = AppCore()
    if OPTIONS["offline"]:
        core.settings.offline = True  # for this run only; not saved
    try:
        yield core
    finally:
        core.close()


def progress_printer():
    """A function that shows progress on stderr, never mixed with the answer on stdout: a bar
    on a terminal, else a line per step (--progress lines), JSON lines, or nothing."""
    mode = OPTIONS["progress"]
    if mode == "auto":
        mode = "bar" if sys.stderr.isatty() else "lines"
    last_label = [""]

    def show(done: int, total: int, label: str) -> None:
        if not total and mode in ("bar", "lines"):  # a wait for the model, not a step
            sys.stderr.write(f"{label}\n")
        elif mode == "bar":
            sys.stderr.write(f"\r{label} {done}/{total}\x1b[K")
            if done >= total:
                sys.stderr.write("\r\x1b[K")
        elif mode == "lines" and label != last_label[0]:  # a line per step, not per token
            last_label[0] = label
            sys.stderr.write(f"{label} ({done}/{total})\n")
        elif mode == "json":
            sys.stderr.write(json.dumps({"progress": done, "total": total, "label": label}) + "\n")
        sys.stderr.flush()

    return show


def follow(job: Job, as_json: bool, show_tokens: bool = True):
    """Print a job's tokens to stdout and its progress to stderr; Ctrl+C
    stops it. Returns the result; a failure raises its UserError."""

    def stop(_signum, _frame):
        job.cancel()
        signal.signal(signal.SIGINT, signal.default_int_handler)  # a second Ctrl+C quits

    show_progress = progress_printer()

    def show(event) -> None:
        if isinstance(event, Token) and show_tokens and not as_json:
            sys.stdout.write(event.text)
            sys.stdout.flush()
        elif isinstance(event, Progress):
            show_progress(event.done, event.total, event.label)

    previous = signal.signal(signal.SIGINT, stop)
    try:
        return job.result(on_event=show)
    finally:
        signal.signal(signal.SIGINT, previous)
