"""The small events every long-running request yields.

Core tasks are iterators of these; the model host forwards them to whoever
submitted the request (a Qt bridge, the CLI, the API server).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Generator, Iterable, TypeVar, Union

from desktop_llm.core.errors import ErrorKind, UserError


@dataclass(frozen=True)
class Started:
    info: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Token:
    text: str
    logprobs: tuple = ()  # the tokens behind this text, with their log probabilities (when asked for)


@dataclass(frozen=True)
class Progress:
    done: int
    total: int
    label: str


@dataclass(frozen=True)
class Partial:
    """A finished piece of a longer result (a translated block), before the end."""

    piece: Any


@dataclass(frozen=True)
class Finished:
    result: Any = None
    stats: Any = None


@dataclass(frozen=True)
class Failed:
    user_message: str
    detail: str = ""
    kind: ErrorKind = ErrorKind.USER

    @classmethod
    def of(cls, error: UserError) -> "Failed":
        return cls(error.message, error.detail, error.kind)

    def error(self) -> UserError:
        """The failure as the UserError a caller raises."""
        return UserError(self.user_message, self.detail, self.kind)


Event = Union[Started, Token, Progress, Partial, Finished, Failed]
TERMINAL = (Finished, Failed)

T = TypeVar("T")
Steps = Generator[Event, None, T]  # a step of a job: yields events, returns its result (`yield from`)


def relayed(steps: Steps[T], relabel: Callable[[Event], Event | None]) -> Steps[T]:
    """The events of `steps` passed through `relabel` (None leaves one out); returns what `steps` returns."""
    while True:
        try:
            event = next(steps)
        except StopIteration as done:
            return done.value
        passed = relabel(event)
        if passed is not None:
            yield passed


def outcome(events: Iterable[Event], on_event: Callable[[Event], None] | None = None) -> Any:
    """Follow events to the end: Finished's result, or Failed's UserError
    raised (its kind kept). `on_event` sees every event on the way."""
    for event in events:
        if on_event is not None:
            on_event(event)
        if isinstance(event, Failed):
            raise event.error()
        if isinstance(event, Finished):
            return event.result
    return None
