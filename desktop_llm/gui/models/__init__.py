"""The Models window: catalog, Hub search, installed models, downloads, remote models."""
