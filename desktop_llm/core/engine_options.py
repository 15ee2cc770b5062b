"""How llama.cpp runs a model beyond its file and context size — the engine
options users of other apps expect (Settings → Engine): flash attention, the
KV cache's number type (a quantized cache holds a long context in less
memory), and the prompt batch size."""

from __future__ import annotations

from dataclasses import dataclass

# Bytes per value of each KV cache type (q8_0 and q4_0 pack 32 values with a 2-byte scale).
KV_BYTES = {"f16": 2.0, "q8_0": 34 / 32, "q4_0": 18 / 32}
KV_TYPES = tuple(KV_BYTES)


@dataclass(frozen=True)
class EngineOptions:
    flash_attn: bool = False
    kv_cache_type: str = "f16"
    n_batch: int = 512

    @property
    def uses_flash_attn(self) -> bool:
        """llama.cpp needs flash attention for a quantized V cache: such a cache turns it on."""
        return self.flash_attn or self.kv_cache_type != "f16"

    def llama_kwargs(self) -> dict:
        """Arguments of llama_cpp.Llama for these options."""
        import llama_cpp

        kv = {"f16": llama_cpp.GGML_TYPE_F16, "q8_0": llama_cpp.GGML_TYPE_Q8_0,
              "q4_0": llama_cpp.GGML_TYPE_Q4_0}[self.kv_cache_type]
        return {"flash_attn": self.uses_flash_attn, "type_k": kv, "type_v": kv, "n_batch": self.n_batch,
                "n_ubatch": self.n_batch}

    def identity(self) -> str:
        """What a saved model state depends on."""
        return f"fa={int(self.uses_flash_attn)}|kv={self.kv_cache_type}"

    @property
    def kv_bytes_per_value(self) -> float:
        return KV_BYTES.get(self.kv_cache_type, 2.0)
