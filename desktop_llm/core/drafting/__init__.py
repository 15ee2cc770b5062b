"""The writing workspace's core: templates, drafting with enforced
constraints, rewriting and sentiment analysis."""
