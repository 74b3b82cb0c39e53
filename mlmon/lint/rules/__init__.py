"""Lint rules: each module lists its rule classes in ``RULES`` (see mlmon.lint.registry)."""
