"""The sidebar: conversations, search, and their export and import."""
