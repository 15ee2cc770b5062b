"""Will a model run on this computer, and how many layers go to the GPU?

Needed memory = the weights (file size) + the KV cache for the chosen context
+ compute buffers. The same arithmetic decides the fit badge before a
download and the GPU offload when a model loads.
"""

from __future__ import annotations

from dataclasses import dataclass

from desktop_llm.core.models.catalog import Architecture, CatalogEntry
from desktop_llm.core.models.hardware import Hardware

GiB = 1 << 30
COMPUTE_OVERHEAD = 300 << 20  # llama.cpp scratch buffers, a generous average
RAM_HEADROOM = 0.9  # never plan to use all of the memory
CPU_PARAMS_LIMIT = 3.5e9  # above this, CPU-only replies get slow for drafting
SMALL_CPU_PARAMS_LIMIT = 1.6e9  # on fewer than four cores


@dataclass(frozen=True)
class Fit:
    verdict: str  # "fits", "gpu" (fits with N of M layers on GPU), "tight", "too_large"
    needed_bytes: int
    gpu_layers: int
    total_layers: int
    gpu_name: str = ""

    @property
    def usable(self) -> bool:
        return self.verdict != "too_large"

    @property
    def text(self) -> str:
        need = f"{self.needed_bytes / GiB:.1f} GB"
        if self.verdict == "fits" and self.gpu_layers and self.gpu_layers == self.total_layers:
            return f"Fits (all {self.total_layers} layers on GPU, {need})"
        if self.verdict == "fits":
            return f"Fits ({need} of memory)"
        if self.verdict == "gpu":
            return f"Fits with {self.gpu_layers} of {self.total_layers} layers on GPU ({need})"
        if self.verdict == "tight":
            return f"Fits if other apps are closed ({need} needed)"
        return f"Too large for this computer ({need} needed)"

    def as_dict(self) -> dict:
        return {"verdict": self.verdict, "text": self.text, "needed_bytes": self.needed_bytes,
                "gpu_layers": self.gpu_layers, "total_layers": self.total_layers}


def estimate(file_size: int, arch: Architecture, n_ctx: int, hw: Hardware, kv_bytes: float = 2.0) -> Fit:
    """`kv_bytes`: bytes per value of the KV cache type chosen in the settings."""
    kv = arch.kv_cache_bytes(n_ctx, kv_bytes)
    need = file_size + kv + COMPUTE_OVERHEAD
    layers = max(1, arch.layers)
    gpu = hw.gpu if hw.gpu_offload_supported else None
    if gpu is not None:
        gpu_layers = gpu_layers_that_fit(file_size, kv, layers, gpu.free_vram)
        if gpu_layers == layers:
            return Fit("fits", need, layers, layers, gpu.name)
        # What stays on the CPU must fit in RAM.
        per_layer = (file_size + kv) / layers
        ram_need = int(per_layer * (layers - gpu_layers)) + COMPUTE_OVERHEAD
        if gpu_layers > 0 and ram_need <= hw.available_ram * RAM_HEADROOM:
            return Fit("gpu", need, gpu_layers, layers, gpu.name)
    if need <= hw.available_ram * RAM_HEADROOM:
        return Fit("fits", need, 0, layers)
    if need <= hw.total_ram * RAM_HEADROOM:
        return Fit("tight", need, 0, layers)
    return Fit("too_large", need, 0, layers)


def estimate_entry(entry: CatalogEntry, n_ctx: int, hw: Hardware, quant: str | None = None,
                   kv_bytes: float = 2.0) -> Fit:
    """The fit of a catalog model in one of its quantizations (the default one if none)."""
    return estimate(entry.estimated_size(quant), entry.architecture, n_ctx, hw, kv_bytes)


# Before a search result is downloaded its shape is unknown: assume a KV cache
# as large as Llama 3.1 8B's (128 KB per token), more than most GGUFs need.
UNKNOWN_SHAPE = Architecture(layers=32, kv_heads=8, head_dim=128)


def estimate_file(file_size: int, n_ctx: int, hw: Hardware) -> Fit:
    """The fit of a Hub file whose architecture is not known yet (a safe guess)."""
    return estimate(file_size, UNKNOWN_SHAPE, n_ctx, hw)


def gpu_layers_that_fit(file_size: int, kv_bytes: int, layers: int, free_vram: int) -> int:
    """How many of `layers` (weights and their KV cache) fit in free VRAM."""
    if free_vram <= COMPUTE_OVERHEAD:
        return 0
    if file_size + kv_bytes + COMPUTE_OVERHEAD <= free_vram:
        return layers
    per_layer = (file_size + kv_bytes) / layers
    return max(0, min(layers, int((free_vram - COMPUTE_OVERHEAD) // per_layer)))


@dataclass(frozen=True)
class OffloadPlan:
    n_gpu_layers: int
    total_layers: int
    reason: str


def plan_offload(file_size: int, arch: Architecture, n_ctx: int, hw: Hardware,
                 mode: str = "auto", manual_layers: int = 0, kv_bytes: float = 2.0) -> OffloadPlan:
    """The n_gpu_layers to load with. mode: auto, cpu or manual."""
    layers = arch.layers
    if mode == "cpu":
        return OffloadPlan(0, layers, "GPU off in settings")
    if not hw.gpu_offload_supported:
        return OffloadPlan(0, layers, hw.gpu_unused_note or "no GPU backend")
    if mode == "manual":
        return OffloadPlan(max(0, min(manual_layers, layers)), layers, "set in settings")
    gpu = hw.gpu
    if gpu is None:
        return OffloadPlan(0, layers, "no GPU found")
    n = gpu_layers_that_fit(file_size, arch.kv_cache_bytes(n_ctx, kv_bytes), layers, gpu.free_vram)
    return OffloadPlan(n, layers, f"{gpu.free_vram / GiB:.1f} GB free on {gpu.name}")


def recommend(catalog: list[CatalogEntry], hw: Hardware, n_ctx: int = 4096,
              kv_bytes: float = 2.0) -> CatalogEntry | None:
    """The largest catalog model that runs comfortably: entirely on the GPU
    when there is one, else one small enough for the CPU to answer briskly."""
    def comfortable(entry: CatalogEntry) -> bool:
        fit = estimate_entry(entry, n_ctx, hw, kv_bytes=kv_bytes)
        if fit.gpu_layers:
            return fit.gpu_layers == fit.total_layers
        cpu_limit = CPU_PARAMS_LIMIT if hw.cpu_cores >= 4 else SMALL_CPU_PARAMS_LIMIT
        return fit.verdict == "fits" and entry.parameter_count <= cpu_limit

    chat = [e for e in catalog if e.kind == "chat"]
    return max(filter(comfortable, chat), key=lambda e: e.parameter_count, default=None)
