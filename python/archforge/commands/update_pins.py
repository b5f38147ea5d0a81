"""``archforge update-pins``: refresh versions.toml from PyPI, by each pin's policy."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rich.table import Table

from archforge.container.cli_common import make_console, resolve_root
from archforge.container.config import VERSIONS_FILE
from archforge.container.pins import apply_updates, plan_updates
from archforge.fsutil import atomic_write_text

if TYPE_CHECKING:
    import argparse


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "update-pins",
        help="refresh versions.toml from PyPI (CUDA wheels within the toolkit series, build tools)",
        description=(
            "Query PyPI's JSON API for every pinned wheel and move pins by policy: CUDA wheels to the "
            "newest release of [cuda] version's series, build tools to the newest release; torch and "
            "flashinfer-python are held (reported only). Edits versions.toml in place, comments kept."
        ),
    )
    parser.add_argument("--repo", type=Path, default=None, help="repository root (default: found from cwd)")
    parser.add_argument("--dry-run", action="store_true", help="report, do not write")
    parser.set_defaults(func=run, engine="docker")


def run(args: argparse.Namespace) -> int:
    console = make_console()
    path = resolve_root(args) / VERSIONS_FILE
    updates = plan_updates(path)
    table = Table(title=f"pins in {path}", title_justify="left")
    for column in ("pin", "policy", "current", "new", "newest on PyPI"):
        table.add_column(column)
    for u in updates:
        name = ".".join((*u.rule.table, u.rule.key))
        new = f"[bold green]{u.newest}[/]" if u.changes else ""
        table.add_row(name, u.rule.policy, u.current, new, u.newest_any)
    console.print(table)
    if any(u.changes for u in updates) and not args.dry_run:
        atomic_write_text(path, apply_updates(path.read_text(encoding="utf-8"), updates))
        console.print(f"updated {path}; check the Dockerfile ARG defaults (tests/container/test_pins.py)")
    return 0
