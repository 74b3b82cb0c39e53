"""Sub-commands of the ``mlmon`` CLI; each module exposes ``register(subparsers)``."""
