"""Fill-in-the-middle: the text before and after a gap laid out with the
model's own FIM tokens, so a code model writes what goes between."""

from __future__ import annotations

from typing import Any

from desktop_llm.core.errors import UserError


def fim_tokens(vocab: Any) -> tuple[int, int, int] | None:
    """The model's fill-in-the-middle tokens (prefix, suffix, middle), or None when it has none."""
    import llama_cpp

    ids = (llama_cpp.llama_vocab_fim_pre(vocab), llama_cpp.llama_vocab_fim_suf(vocab),
           llama_cpp.llama_vocab_fim_mid(vocab))
    return None if -1 in ids else ids


def infill_tokens(llm: Any, vocab: Any, model_name: str, prefix: str, suffix: str) -> list[int]:
    """[BOS] FIM_PRE prefix FIM_SUF suffix FIM_MID: the layout code models are trained on (and
    llama.cpp's server uses); the model writes the middle."""
    import llama_cpp

    fim = fim_tokens(vocab)
    if fim is None:
        raise UserError(f"{model_name} cannot fill in the middle: it has no fill-in-the-middle tokens. Send the "
                        "text before the gap as 'prompt' without 'suffix', or use a code model that has them "
                        "(Qwen2.5-Coder, CodeLlama, StarCoder2 and others).")
    pre, suf, mid = fim

    def text(value: str) -> list[int]:
        return llm.tokenize(value.encode("utf-8"), add_bos=False, special=False)

    bos = [llm.token_bos()] if llama_cpp.llama_vocab_get_add_bos(vocab) else []
    return [*bos, pre, *text(prefix), suf, *text(suffix), mid]
