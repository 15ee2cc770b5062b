"""desktop-llm: a private, offline chat and writing assistant."""

__version__ = "0.1.0"
APP_NAME = "desktop-llm"
