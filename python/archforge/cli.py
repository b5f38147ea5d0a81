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


def _command_modules(argv: Sequence[str]) -> list[str]:
    """The command modules to import: only the one named on the command line, if any.

    Importing every command (rich, pyelftools, the container pipeline) costs more than a
    fast `archforge inspect --json` takes, so help is the only path that loads them all.
    """
    names = sorted(m.name for m in pkgutil.iter_modules(commands.__path__))
    first = next((a for a in argv if not a.startswith("-")), None)
    wanted = first.replace("-", "_") if first else None
    return [wanted] if wanted in names else names


def build_parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="archforge",
        description="Plan, build, inspect and verify CUDA kernel wheels per GPU architecture.",
    )
    parser.add_argument("--version", action="version", version=f"archforge {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in _command_modules(argv):
        importlib.import_module(f"{commands.__name__}.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point. Returns the process exit code (see :mod:`archforge.errors`)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv)
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
