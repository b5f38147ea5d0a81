"""The ``archforge`` command line: parses arguments, dispatches, maps errors to exit codes."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape

from archforge import __version__, commands
from archforge.errors import ArchforgeError

if TYPE_CHECKING:
    from collections.abc import Sequence


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="archforge",
        description="Plan, build, inspect and verify CUDA kernel wheels per GPU architecture.",
    )
    parser.add_argument("--version", action="version", version=f"archforge {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point. Returns the process exit code (see :mod:`archforge.errors`)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        code: int = args.func(args)
    except ArchforgeError as exc:
        err.print(f"[bold red]archforge {args.command}: error:[/] {escape(str(exc))}")
        return exc.exit_code
    except KeyboardInterrupt:
        err.print(f"archforge {args.command}: interrupted")
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
