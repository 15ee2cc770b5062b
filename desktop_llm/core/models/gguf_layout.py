"""The cheap facts of a GGUF file, read before the full reader: its version,
and where its tensor data ends as the header declares it, so a file cut
short says by how much (the full reader only fails, saying nothing useful).
The header is walked field by field with `struct`; nothing is loaded."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import BinaryIO

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


def _skip_value(f: BinaryIO, kind: int) -> int | None:
    """Skip one value; an unsigned integer's value is returned (for general.alignment)."""
    if kind == STRING:
        _string(f)
        return None
    if kind == ARRAY:
        item, count = _u32(f), _u64(f)
        if item in SCALAR_SIZES:
            f.seek(SCALAR_SIZES[item] * count, 1)
        else:
            for _ in range(count):
                _skip_value(f, item)
        return None
    size = SCALAR_SIZES.get(kind)
    if size is None:
        raise ValueError(f"unknown value type {kind}")
    raw = _read(f, size)
    return int.from_bytes(raw, "little") if kind in (0, 2, 4, 10) else None


def version(path: Path) -> int:
    with open(path, "rb") as f:
        f.seek(4)
        return _u32(f)


def declared_data_end(path: Path) -> int:
    """The byte where the last tensor's data ends, as the header says.
    Raises HeaderCut when the file ends inside the header."""
    from gguf import GGML_QUANT_SIZES, GGMLQuantizationType

    with open(path, "rb") as f:
        f.seek(8)
        n_tensors, n_kv = _u64(f), _u64(f)
        alignment = DEFAULT_ALIGNMENT
        for _ in range(n_kv):
            key = _string(f)
            value = _skip_value(f, _u32(f))
            if key == b"general.alignment" and value:
                alignment = value
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
        data_start = -(-f.tell() // alignment) * alignment
        return data_start + end
