"""A GGUF file's header: its version, its key-value fields, its tensors' types, and where its
tensor data ends as the header declares it, so a file cut short says by how much. The header
is walked field by field with `struct`; no tensor data is read."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

SUPPORTED_VERSIONS = (2, 3)  # what llama.cpp reads
DEFAULT_ALIGNMENT = 32
SCALAR_SIZES = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}  # GGUFValueType -> bytes
STRING, ARRAY = 8, 9


class HeaderCut(Exception):
    """The file ends inside its header."""


def _read(f: BinaryIO, n: int) -> bytes:
    data = f.read(n)
    if len(data) != n:
        raise HeaderCut()
    return data


def _u32(f: BinaryIO) -> int:
    return struct.unpack("<I", _read(f, 4))[0]


def _u64(f: BinaryIO) -> int:
    return struct.unpack("<Q", _read(f, 8))[0]


def _string(f: BinaryIO) -> bytes:
    return _read(f, _u64(f))


def version(path: Path) -> int:
    with open(path, "rb") as f:
        f.seek(4)
        return _u32(f)


SCALAR_FORMATS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q",
                  12: "<d"}


@dataclass
class Header:
    """What a GGUF header says: its key-value fields (arrays of strings, such as a tokenizer's
    vocabulary, as their length only), each tensor's type, and where the tensor data ends."""

    fields: dict[str, Any] = field(default_factory=dict)
    tensor_types: list[int] = field(default_factory=list)
    data_end: int = 0


def _value(f: BinaryIO, kind: int) -> Any:
    if kind == STRING:
        return _string(f).decode("utf-8", errors="replace")
    if kind == ARRAY:
        item, count = _u32(f), _u64(f)
        if item in SCALAR_SIZES:
            raw = _read(f, SCALAR_SIZES[item] * count)
            return [v[0] for v in struct.iter_unpack(SCALAR_FORMATS[item], raw)]
        for _ in range(count):  # strings (a vocabulary) or arrays: read past, counted
            _value(f, item)
        return count
    fmt = SCALAR_FORMATS.get(kind)
    if fmt is None:
        raise ValueError(f"unknown value type {kind}")
    return struct.unpack(fmt, _read(f, SCALAR_SIZES[kind]))[0]


def read_header(path: Path) -> Header:
    """The header, walked once with `struct` (a tenth of a second where the `gguf` package's reader,
    which makes an object per vocabulary entry, took seconds). Raises HeaderCut when the file ends
    inside its header, ValueError or KeyError on a value this walk does not know."""
    from gguf import GGML_QUANT_SIZES, GGMLQuantizationType

    header = Header()
    with open(path, "rb") as f:
        f.seek(8)
        n_tensors, n_kv = _u64(f), _u64(f)
        for _ in range(n_kv):
            key = _string(f).decode("utf-8", errors="replace")
            header.fields[key] = _value(f, _u32(f))
        end = 0
        for _ in range(n_tensors):
            _string(f)
            dims = [_u64(f) for _ in range(_u32(f))]
            kind, offset = _u32(f), _u64(f)
            block, type_size = GGML_QUANT_SIZES[GGMLQuantizationType(kind)]
            elements = 1
            for d in dims:
                elements *= d
            end = max(end, offset + elements // block * type_size)
            header.tensor_types.append(kind)
        alignment = header.fields.get("general.alignment") or DEFAULT_ALIGNMENT
        data_start = -(-f.tell() // alignment) * alignment
        header.data_end = data_start + end
    return header
