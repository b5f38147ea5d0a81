"""Subcommands of the ``archforge`` CLI.

Each module here defines ``register(subparsers)``, which adds its parser and sets
``func`` to a callable taking the parsed namespace and returning an exit code.
Commands raise :class:`archforge.errors.ArchforgeError`; only ``cli.main`` catches.
"""
