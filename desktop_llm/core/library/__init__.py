"""Libraries: the user's own documents, indexed for answers grounded in them."""
