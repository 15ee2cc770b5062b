"""Models: the installed ones, the curated catalog, the Hub, downloads and
whether a model fits this computer."""

from desktop_llm.core.models.registry import (
    STARTER_ALIASES,
    InstalledModel,
    ModelRegistry,
    bundled_starter,
)

__all__ = ["STARTER_ALIASES", "InstalledModel", "ModelRegistry", "bundled_starter"]
