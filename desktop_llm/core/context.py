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


CHARS_PER_TOKEN_HIGH = 6  # more characters than this per token of budget: the whole surely does not fit


def fit_to_context(messages: list[dict], count: Counter, budget: int) -> tuple[list[dict], int]:
    """The messages to send, and how many of the oldest turns were left out.

    `count` gives the prompt length in tokens of a list of messages. It is
    called O(log k) times on at most ~2k turns, k being the turns kept: a long
    conversation costs what its prompt holds, not what its history holds.
    """
    head = messages[:1] if messages and messages[0]["role"] == "system" else []
    turns = messages[len(head):]
    chars = sum(len(m["content"]) for m in messages)
    if chars <= CHARS_PER_TOKEN_HIGH * budget and count(messages) <= budget:
        return messages, 0

    def fits(kept: int) -> bool:  # the newest `kept` turns, after the system prompt
        return count(head + turns[len(turns) - kept:]) <= budget

    if not turns or not fits(1):
        newest = count(head + turns[-1:]) if turns else count(head)
        raise ContextTooLong(
            f"This message is too long for the model's context ({newest} tokens; the context holds "
            f"{budget} besides room for the reply). Shorten it or split it, or raise the "
            "context size in Settings.",
        )
    good, bad = 1, 2  # doubling from the newest turn until a count is over the budget...
    while bad < len(turns) and fits(bad):
        good, bad = bad, bad * 2
    if bad >= len(turns):
        if fits(len(turns)):
            return messages, 0
        bad = len(turns)
    while bad - good > 1:  # ...then halving between the last that fit and the first that did not
        mid = (good + bad) // 2
        good, bad = (mid, bad) if fits(mid) else (good, mid)
    dropped = len(turns) - good
    # Many templates want the kept part to start with the user's turn.
    while dropped < len(turns) - 1 and turns[dropped]["role"] != "user":
        dropped += 1
    return head + turns[dropped:], dropped
