"""``archforge inspect``: which targets and kernels do wheels, shared objects, fatbins carry."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape

# The inspector and rich.table are imported in run(): the CLI imports every command module
# to build its parser, and `archforge plan` should not pay for pyelftools and zstandard.
if TYPE_CHECKING:
    import argparse

    from rich.table import Table

    from archforge.inspect.model import Entry, FileReport


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "inspect",
        help="list the CUDA targets and kernels in wheels, .so, fatbin and .cubin files",
        description="Read wheels (member by member), shared objects, fatbins, cubins and "
        "directories of these; report each fatbin entry's target (with its exact a/f "
        "suffix), kind, PTX ISA and compression, and with --kernels every kernel's targets.",
    )
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    parser.add_argument("--kernels", action="store_true", help="read the kernels inside each entry")
    parser.add_argument("--json", action="store_true", help="print the archforge.inspect/1 JSON document")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from archforge.inspect import inspect_paths
    from archforge.inspect.report import document

    reports = list(inspect_paths(args.paths, kernels=args.kernels))
    if args.json:
        # Plain json, not rich: a document of thousands of entries is for machines, and
        # rich's highlighter takes seconds on it.
        sys.stdout.write(json.dumps(document(reports, kernels=args.kernels), indent=2) + "\n")
        return 0
    out = Console(highlight=False, soft_wrap=True)
    for report in reports:
        out.print(_targets_table(report, kernels=args.kernels))
        if args.kernels and report.entries:
            out.print(_kernels_table(report))
    return 0


def _title(report: FileReport) -> str:
    machine = f", {report.machine}" if report.machine else ""
    return f"{escape(report.display_path)} ({report.format}{machine}, {report.fatbins} fatbins)"


def _targets_table(report: FileReport, *, kernels: bool) -> Table:
    from rich.table import Table

    from archforge.inspect.report import target_key

    table = Table(title=_title(report), title_justify="left")
    for column in ("target", "kind", "entries", "PTX ISA", "compression", "size"):
        table.add_column(column, justify="right" if column in {"entries", "size"} else "left")
    if kernels:
        table.add_column("kernels", justify="right")
    groups: dict[str, list[Entry]] = {}
    for entry in sorted(report.entries, key=target_key):
        groups.setdefault(entry.target, []).append(entry)
    for target, entries in groups.items():
        first = entries[0]
        methods = Counter(e.compression.value for e in entries)
        row = [
            target,
            first.kind.value,
            str(len(entries)),
            ", ".join(sorted({f"{e.version[0]}.{e.version[1]}" for e in entries}))
            if first.kind.value == "ptx"
            else "",
            ", ".join(f"{m} x{n}" for m, n in sorted(methods.items())),
            _size(sum(e.size for e in entries)),
        ]
        if kernels:
            row.append(str(len({k for e in entries for k in e.kernels or ()})))
        table.add_row(*row)
    if not groups:
        table.add_row("(no CUDA code)", *[""] * (len(table.columns) - 1))
    return table


def _kernels_table(report: FileReport) -> Table:
    from rich.table import Table

    from archforge.inspect.report import kernels_of

    table = Table(title=f"kernels of {escape(report.display_path)}", title_justify="left")
    table.add_column("kernel")
    table.add_column("targets")
    for kernel in kernels_of(report):
        table.add_row(escape(kernel.name), " ".join(kernel.targets))
    return table


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB"):
        if n < 1024:
            return f"{n} {unit}"
        n //= 1024
    return f"{n} GiB"
