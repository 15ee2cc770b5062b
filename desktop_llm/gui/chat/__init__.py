"""The chat screen: the session that streams replies, the view of messages, the input."""
