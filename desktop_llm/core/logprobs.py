"""Log probabilities of generated tokens, as OpenAI reports them: the chosen
token's, and the most likely alternatives at that step — read from the logits
that chose the token, before sampling's penalties and grammar."""

from __future__ import annotations


def logprob_entry(llm, token: int, top: int) -> dict:
    """{"token", "logprob", "bytes", "top_logprobs": [...]} for `token`, just sampled by `llm`."""
    import llama_cpp
    import numpy as np

    n_vocab = llm.n_vocab()
    logits = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(llm._ctx.ctx, -1), shape=(n_vocab,))
    logits = logits.astype(np.float64)
    peak = logits.max()
    logprobs = logits - (peak + np.log(np.exp(logits - peak).sum()))

    def entry(t: int) -> dict:
        piece = llm.detokenize([t])
        return {"token": piece.decode("utf-8", errors="replace"), "logprob": float(logprobs[t]),
                "bytes": list(piece)}

    best: list[int] = [int(t) for t in np.argpartition(-logprobs, top)[:top]] if 0 < top < n_vocab else []
    ranked = sorted(best, key=lambda t: -logprobs[t])
    return {**entry(token), "top_logprobs": [entry(t) for t in ranked]}


def completion_logprobs(entries: list[dict], offset: int = 0) -> dict:
    """The legacy completions shape: parallel lists, and each step's alternatives as a mapping."""
    tokens, offsets, at = [], [], offset
    for e in entries:
        tokens.append(e["token"])
        offsets.append(at)
        at += len(e["token"])
    return {"tokens": tokens, "token_logprobs": [e["logprob"] for e in entries],
            "top_logprobs": [{t["token"]: t["logprob"] for t in e["top_logprobs"]} for e in entries],
            "text_offset": offsets}
