"""What this computer has: memory, GPUs and whether llama.cpp can use them."""

from __future__ import annotations

import functools
import platform
import shutil
import subprocess
from dataclasses import dataclass, field

import psutil

REBUILD_CUDA = 'CMAKE_ARGS="-DGGML_CUDA=on" pip install --force-reinstall --no-cache-dir llama-cpp-python'
REBUILD_METAL = 'CMAKE_ARGS="-DGGML_METAL=on" pip install --force-reinstall --no-cache-dir llama-cpp-python'


@dataclass(frozen=True)
class Gpu:
    name: str
    total_vram: int
    free_vram: int


@dataclass(frozen=True)
class Hardware:
    total_ram: int
    available_ram: int
    gpus: tuple = field(default_factory=tuple)
    gpu_offload_supported: bool = False  # llama.cpp was built with a GPU backend
    cpu_cores: int = 1  # physical

    @property
    def gpu(self) -> Gpu | None:
        """The GPU llama.cpp would use first (the one with most free memory)."""
        return max(self.gpus, key=lambda g: g.free_vram, default=None)

    @property
    def gpu_unused_note(self) -> str:
        """Set when a GPU is present but this llama.cpp build cannot use it."""
        gpu = self.gpu
        if gpu is None or self.gpu_offload_supported:
            return ""
        command = REBUILD_METAL if platform.system() == "Darwin" else REBUILD_CUDA
        return (f"{gpu.name} found, but this llama.cpp build runs on the CPU only. "
                f"To use the GPU, rebuild it: {command}")

    def cpu_only(self) -> "Hardware":
        return Hardware(self.total_ram, self.available_ram, (), False, self.cpu_cores)

    def as_dict(self) -> dict:
        return {
            "total_ram": self.total_ram, "available_ram": self.available_ram,
            "gpus": [g.__dict__ for g in self.gpus],
            "gpu_offload_supported": self.gpu_offload_supported, "cpu_cores": self.cpu_cores,
        }


def nvidia_gpus() -> tuple[Gpu, ...]:
    if shutil.which("nvidia-smi") is None:
        return ()
    try:
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=name,memory.total,memory.free", "--format=csv,noheader,nounits"],
            capture_output=True, text=True, timeout=10, check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return ()
    gpus = []
    for line in out.strip().splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
            gpus.append(Gpu(parts[0], int(parts[1]) << 20, int(parts[2]) << 20))
    return tuple(gpus)


def apple_gpus(total_ram: int, available_ram: int) -> tuple[Gpu, ...]:
    """Apple silicon shares memory with the GPU; Metal may use about 3/4 of it."""
    if platform.system() == "Darwin" and platform.machine() == "arm64":
        return (Gpu("Apple GPU (Metal)", total_ram * 3 // 4, available_ram * 3 // 4),)
    return ()


@functools.lru_cache(maxsize=1)
def llama_supports_gpu() -> bool:
    try:
        import llama_cpp

        return bool(llama_cpp.llama_supports_gpu_offload())
    except Exception:
        return False


def physical_cores() -> int:
    """Cores, not hyper-threads: llama.cpp runs fastest with one thread per core."""
    return psutil.cpu_count(logical=False) or psutil.cpu_count() or 1


def detect() -> Hardware:
    vm = psutil.virtual_memory()
    gpus = nvidia_gpus() or apple_gpus(vm.total, vm.available)
    return Hardware(vm.total, vm.available, gpus, llama_supports_gpu(), physical_cores())
