"""The writing workspace: templates, variants, versions, and feedback analysis."""
