"""``archforge verify``: will each kernel load on each device; does the build match its plan."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape

from archforge.errors import CheckFailed
from archforge.fsutil import atomic_write_text

# The inspector is imported in run(): the CLI imports every command module to build its
# parser, and other commands should not pay for pyelftools and zstandard.
if TYPE_CHECKING:
    import argparse

    from archforge.inspect.verify import FamilyExpectation, Verdict

_MAX_PROBLEMS_SHOWN = 50


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "verify",
        help="check that every kernel loads on the given devices and matches the plan",
        description="Inspect the files, then check every kernel: will it load on each --device "
        "and how (native, family, binary-compatible, PTX JIT) or why not; are --require-target "
        "targets present; do the targets match --expect PLAN.json. Exit 0 when everything "
        "holds, 1 when not, 2 for bad input. The last line of output is a one-line summary.",
    )
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    parser.add_argument(
        "--device",
        action="append",
        default=[],
        metavar="X.Y",
        help="a device capability, e.g. 12.1 (repeatable)",
    )
    parser.add_argument(
        "--require-target",
        action="append",
        default=[],
        metavar="TARGET",
        help="every kernel must carry this target: 12.1a, 8.9+PTX or sm_121a (repeatable)",
    )
    parser.add_argument(
        "--expect", type=Path, metavar="PLAN.json", help="a plan from `archforge plan --format json`"
    )
    parser.add_argument("--json", action="store_true", help="print the archforge.verify/1 JSON document")
    parser.add_argument("--report", type=Path, metavar="FILE", help="also write the JSON document to FILE")
    parser.add_argument("--kernels", action="store_true", help="show one row per kernel")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from archforge import arch
    from archforge.inspect import inspect_paths
    from archforge.inspect.verify import load_plan, parse_targets, verdict_json, verify

    devices = list(dict.fromkeys(arch.Capability.parse(d) for d in args.device))
    required = [t for text in args.require_target for t in parse_targets(text)]
    families: tuple[FamilyExpectation, ...] | None = None
    if args.expect is not None:
        families, plan_devices = load_plan(args.expect)
        devices = devices or list(plan_devices)
    reports = list(inspect_paths(args.paths, kernels=True))
    verdict = verify(reports, devices=devices, required=required, families=families)
    doc = json.dumps(verdict_json(verdict), indent=2) + "\n"
    if args.report is not None:
        atomic_write_text(args.report, doc)
    out = Console(highlight=False, soft_wrap=True)
    if args.json:
        print(doc, end="")
        Console(stderr=True, highlight=False, soft_wrap=True).print(escape(verdict.summary()))
    else:
        _render(out, verdict, kernels=args.kernels)
        out.print(escape(verdict.summary()))
    return 0 if verdict.ok else CheckFailed.exit_code


def _render(out: Console, verdict: Verdict, *, kernels: bool) -> None:
    from rich.table import Table

    if kernels and verdict.kernels:
        table = Table(title="kernels", title_justify="left")
        table.add_column("kernel")
        table.add_column("file")
        for device in verdict.devices:
            table.add_column(f"on {device}")
        for k in verdict.kernels:
            cells = [
                f"{load.target.name} ({load.how.value})"
                if load.target and load.how
                else "[red]will not load[/]"
                for load in k.loads
            ]
            table.add_row(escape(k.name), escape(k.file), *cells)
        out.print(table)
    files: dict[str, list[int]] = {}
    for k in verdict.kernels:
        row = files.setdefault(k.file, [0] * (1 + len(verdict.devices)))
        row[0] += 1
        for i, load in enumerate(k.loads, start=1):
            row[i] += load.how is not None
    if files:
        table = Table(title="files", title_justify="left")
        table.add_column("file")
        table.add_column("kernels", justify="right")
        for device in verdict.devices:
            table.add_column(f"load on {device}", justify="right")
        for name, counts in files.items():
            table.add_row(escape(name), *map(str, counts))
        out.print(table)
    for problem in verdict.problems[:_MAX_PROBLEMS_SHOWN]:
        out.print(f"[red]problem:[/] {escape(problem)}")
    if len(verdict.problems) > _MAX_PROBLEMS_SHOWN:
        out.print(f"... and {len(verdict.problems) - _MAX_PROBLEMS_SHOWN} more problems (see --json)")
