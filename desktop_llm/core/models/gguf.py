"""GGUF files: split models' part names, and header inspection done before llama.cpp ever sees a file.

llama.cpp may abort() the whole process on a malformed file, so a file's header
is read first (gguf_layout): a file that is not GGUF, is truncated or lacks
the keys a model needs is refused here with a clear message. Results are
cached by file identity (path, size, modification time).
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

import desktop_llm.core.models.gguf_layout as gguf_layout
from desktop_llm.core.errors import ModelFileError
from desktop_llm.core.files import atomic_write_text, read_json
from desktop_llm.core.models.catalog import Architecture

log = logging.getLogger(__name__)

GGUF_MAGIC = b"GGUF"
SPLIT_RE = re.compile(r"^(?P<stem>.+)-(?P<index>\d{5})-of-(?P<count>\d{5})\.gguf$", re.IGNORECASE)


def is_later_split_part(name: str) -> bool:
    """Parts 2..N of a split GGUF load through part 1; they are not models of their own."""
    split = SPLIT_RE.match(name)
    return split is not None and split.group("index") != "00001"


def split_parts(path: Path) -> list[Path]:
    """Every file of a split GGUF, given its first part (just `path` otherwise)."""
    split = SPLIT_RE.match(path.name)
    if not split:
        return [path]
    count = int(split.group("count"))
    return [path.with_name(f"{split.group('stem')}-{i:05d}-of-{split.group('count')}.gguf")
            for i in range(1, count + 1)]


@dataclass(frozen=True)
class ModelInfo:
    path: str
    file_size: int
    architecture: str
    name: str
    context_length: int
    block_count: int
    quantization: str
    parameter_count: int | None
    size_label: str
    has_chat_template: bool
    chat_template: str
    kv_heads: int = 0
    head_dim: int = 0

    @property
    def architecture_facts(self):
        """Layers and KV-cache shape, for the memory and GPU offload estimates."""
        return Architecture(self.block_count or 1, self.kv_heads or 1, self.head_dim or 128)

    def as_dict(self) -> dict:
        return {"display_name": self.name, "architecture": self.architecture, "parameters": self.parameters_text,
                "quantization": self.quantization, "context_length": self.context_length,
                "layers": self.block_count, "file_size": self.file_size,
                "chat_template": self.has_chat_template}

    @property
    def parameters_text(self) -> str:
        if self.size_label:
            return self.size_label
        if self.parameter_count:
            n = self.parameter_count
            return f"{n / 1e9:.1f}B" if n >= 1e9 else f"{n / 1e6:.0f}M"
        return "?"


def _quantization_name(header: gguf_layout.Header) -> str:
    import gguf

    file_type = header.fields.get("general.file_type")
    if isinstance(file_type, int):
        try:
            return gguf.LlamaFileType(file_type).name.removeprefix("MOSTLY_")
        except ValueError:
            pass
    # Fall back to the most common tensor type (read_header refused any type the package does not know).
    common = Counter(gguf.GGMLQuantizationType(kind).name for kind in header.tensor_types).most_common(1)
    return common[0][0] if common else "unknown"


def check_gguf_magic(path: str | os.PathLike) -> Path:
    """Cheap first check (no header parsing): the file exists and starts like a GGUF."""
    path = Path(path)
    if not path.exists():
        raise ModelFileError(f"Model file not found: {path}. Check the path or choose another model.")
    if not path.is_file():
        raise ModelFileError(f"{path} is not a file. Choose a .gguf model file.")
    with open(path, "rb") as f:
        magic = f.read(4)
    if magic != GGUF_MAGIC:
        raise ModelFileError(
            f"{path.name} is not a GGUF model file. Download a .gguf file (for example from Hugging Face)."
        )
    return path


def check_layout(path: Path, size: int) -> gguf_layout.Header:
    """A version llama.cpp reads, a header that can be read, and all the data the header declares."""
    found = gguf_layout.version(path) if size >= 8 else 0
    newest = max(gguf_layout.SUPPORTED_VERSIONS)
    if found > newest:
        raise ModelFileError(f"{path.name} is a GGUF file of version {found}, newer than this version of "
                             f"desktop-llm reads (up to {newest}). Update the app; downloading the file again "
                             "will not help.")
    if found not in gguf_layout.SUPPORTED_VERSIONS:
        raise ModelFileError(f"{path.name} is a GGUF file of version {found}, an old format llama.cpp no longer "
                             "reads. Get a newer conversion of the model (GGUF version 3).")
    try:
        header = gguf_layout.read_header(path)
    except gguf_layout.HeaderCut:
        raise ModelFileError(f"{path.name} is cut off inside its header ({size:,} bytes): the download did not "
                             "finish. Download it again.") from None
    except (ValueError, KeyError, OverflowError, UnicodeError, MemoryError) as exc:
        raise ModelFileError(f"{path.name} is damaged or incomplete (its GGUF header cannot be read). "
                             "Download it again.", detail=repr(exc)) from exc
    if header.data_end > size:
        end = header.data_end
        raise ModelFileError(f"{path.name} is incomplete: {size:,} of {end:,} bytes ({100 * size / end:.1f}%). "
                             "The download did not finish; download it again (a download resumes from what "
                             "arrived).")
    return header


def read_model_info(path: str | os.PathLike) -> ModelInfo:
    """Read and check a GGUF header; raise ModelFileError when unusable."""
    path = check_gguf_magic(path)
    size = path.stat().st_size
    header = check_layout(path, size)
    fields = header.fields
    if not header.tensor_types:
        raise ModelFileError(f"{path.name} holds no tensors ({size:,} bytes). Download it again.")
    arch = _text(fields, "general.architecture")
    if not arch:
        raise ModelFileError(f"{path.name} lacks general.architecture; it is not a usable model.")
    size = _split_model_size(path, fields, size)
    if fields.get("tokenizer.ggml.model") is None:
        raise ModelFileError(f"{path.name} has no tokenizer; it is not a usable chat model.")
    template = _text(fields, "tokenizer.chat_template")
    params = _number(fields, "general.parameter_count")
    heads = _number(fields, f"{arch}.attention.head_count")
    embedding = _number(fields, f"{arch}.embedding_length")
    head_dim = _number(fields, f"{arch}.attention.key_length") or (embedding // heads if heads else 0)
    return ModelInfo(
        path=str(path.resolve()),
        file_size=size,
        architecture=arch,
        name=_text(fields, "general.name") or path.stem,
        context_length=_number(fields, f"{arch}.context_length"),
        block_count=_number(fields, f"{arch}.block_count"),
        quantization=_quantization_name(header),
        parameter_count=params or None,
        size_label=_text(fields, "general.size_label"),
        has_chat_template=bool(template),
        chat_template=template,
        kv_heads=_number(fields, f"{arch}.attention.head_count_kv") or heads,
        head_dim=head_dim,
    )


def _text(fields: dict, key: str) -> str:
    value = fields.get(key)
    return value if isinstance(value, str) else ""


def _number(fields: dict, key: str) -> int:
    """A count from the header; a per-layer list counts as its largest entry, anything else as 0."""
    value = fields.get(key)
    if isinstance(value, list):
        value = max(value, default=0)
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0


def file_identity(path: Path) -> str:
    """Path, size and mtime of a model file (and of every part of a split
    model): what cached facts about it are keyed by. Raises OSError when a
    file is missing."""
    stats = [(p, p.stat()) for p in split_parts(Path(path))]
    return "|".join(f"{p.resolve()}|{st.st_size}|{st.st_mtime_ns}" for p, st in stats)


def _split_model_size(path: Path, fields: dict, size: int) -> int:
    """A split model (gguf-split) loads from its first part: every part must be there."""
    count = _number(fields, "split.count") or 1
    if count <= 1:
        return size
    parts = split_parts(path)
    missing = [p.name for p in parts if not p.exists()]
    if len(parts) != count or missing:
        raise ModelFileError(
            f"{path.name} is the first of {count} parts of a split model, and "
            f"{', '.join(missing) or 'the other parts'} cannot be found beside it. "
            "Put all parts in one folder, or download the model again.")
    return sum(p.stat().st_size for p in parts)


class ModelInfoCache:
    """Inspection results on disk, keyed by path, size and mtime."""

    def __init__(self, file: Path):
        self.file = Path(file)
        self._lock = threading.Lock()

    @staticmethod
    def _key(path: Path) -> str:
        return "v2|" + file_identity(path)

    def _load(self) -> dict:
        return read_json(self.file, dict)

    def inspect(self, path: str | os.PathLike) -> ModelInfo:
        path = Path(path)
        try:
            key = self._key(path)
        except OSError:
            return read_model_info(path)  # raises the clear message
        with self._lock:
            cached = self._load().get(key)
        if cached:
            try:
                return ModelInfo(**cached)
            except TypeError:
                pass
        info = read_model_info(path)
        with self._lock:
            data = self._load()
            data[key] = asdict(info)
            try:
                atomic_write_text(self.file, json.dumps(data))
            except OSError as exc:
                log.warning("cannot write model info cache: %s", exc)
        return info
