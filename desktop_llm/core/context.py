"""Fitting a conversation into the model's context window.

When a conversation outgrows n_ctx, the oldest turns are left out of the
prompt (the system prompt always stays). The newest message is never cut:
if it cannot fit on its own, the user is told so.
"""

from __future__ import annotations

from typing import Callable

from desktop_llm.core.errors import ContextTooLong

Counter = Callable[[list[dict]], int]


def reply_reserve(n_ctx: int, max_tokens: int) -> int:
    """Room kept free for the reply: max_tokens, but at most half the context."""
    return max(16, min(max_tokens, n_ctx // 2))


def fit_to_context(messages: list[dict], count: Counter, budget: int) -> tuple[list[dict], int]:
    """The messages to send, and how many of the oldest turns were left out.

    `count` gives the prompt length in tokens of a list of messages; it is
    called O(log n) times (a binary search over how many turns to drop).
    """
    head = messages[:1] if messages and messages[0]["role"] == "system" else []
    turns = messages[len(head):]
    if count(messages) <= budget:
        return messages, 0
    lo, hi = 1, len(turns) - 1  # drop at least one turn, keep at least the newest
    if hi < lo or count(head + turns[hi:]) > budget:
        newest = count(head + turns[-1:]) if turns else count(head)
        raise ContextTooLong(
            f"This message is too long for the model's context ({newest} tokens; the context holds "
            f"{budget} besides room for the reply). Shorten it or split it, or raise the "
            "context size in Settings.",
        )
    while lo < hi:  # smallest number of dropped turns that fits
        mid = (lo + hi) // 2
        if count(head + turns[mid:]) <= budget:
            hi = mid
        else:
            lo = mid + 1
    dropped = lo
    # Many templates want the kept part to start with the user's turn.
    while dropped < len(turns) - 1 and turns[dropped]["role"] != "user":
        dropped += 1
    return head + turns[dropped:], dropped
