"""Chat history in one SQLite file."""

from desktop_llm.core.store.history import History
from desktop_llm.core.store.records import Conversation, Message, MessageStatus, SearchHit

__all__ = ["Conversation", "History", "Message", "MessageStatus", "SearchHit"]
