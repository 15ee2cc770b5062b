"""Everything a user can do, as plain Python. Never imports Qt."""
