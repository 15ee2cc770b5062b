"""The Library page: the user's libraries, their indexing, problems and search."""
