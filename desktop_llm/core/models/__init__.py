"""Models: the installed ones, the curated catalog, the Hub, downloads and
whether a model fits this computer."""

from desktop_llm.core.models.ref import LocalModel, ModelRef, ModelSource, ServerModel
from desktop_llm.core.models.registry import STARTER_ALIASES, ModelRegistry, bundled_starter

__all__ = ["STARTER_ALIASES", "LocalModel", "ModelRef", "ModelRegistry", "ModelSource", "ServerModel",
           "bundled_starter"]
