"""The Documents page: summarize and translate a document, review a translation."""
