"""Chat history in one SQLite file."""

from desktop_llm.core.store.history import Conversation, History, Message, SearchHit

__all__ = ["Conversation", "History", "Message", "SearchHit"]
