"""What a request names as its model: a GGUF file on this computer, or a
model answered by an OpenAI-compatible server (a "remote model"). The two
are different types, so code that needs a file cannot be handed a server."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Union

from desktop_llm.core.enums import TextEnum


class ModelSource(TextEnum):
    BUNDLED = "bundled"  # the starter model shipped with the app
    DOWNLOADED = "downloaded"  # into the app's models folder
    HF_CACHE = "hf-cache"  # found in the huggingface_hub cache
    IMPORTED = "imported"  # a file the user added from disk
    FILE = "file"  # a path named for one run


@dataclass(frozen=True)
class LocalModel:
    """A GGUF file run by llama.cpp on this computer."""

    name: str
    path: Path
    source: ModelSource
    is_remote: ClassVar[bool] = False

    @property
    def bundled(self) -> bool:
        return self.source == ModelSource.BUNDLED

    def exists(self) -> bool:
        return self.path.exists()


@dataclass(frozen=True)
class ServerModel:
    """A model answered by an OpenAI-compatible server, by its configured name."""

    name: str
    is_remote: ClassVar[bool] = True
    source: ClassVar[str] = "remote"

    def exists(self) -> bool:
        return True  # configured, not a file: removing it is the remote models' business


ModelRef = Union[LocalModel, ServerModel]
