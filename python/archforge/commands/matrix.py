"""``archforge matrix plan``: the release matrix as a dry run (no Docker, no compiler)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from archforge.errors import CheckFailed
from archforge.manifest import load_manifest
from archforge.matrix.model import compile_units, entry_plans, load_matrix, missing_requirements

if TYPE_CHECKING:
    import argparse

DEFAULT_MATRIX = Path("ci/matrix.toml")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("matrix", help="release matrix: plan every entry and the compile units they share")
    msub = p.add_subparsers(dest="matrix_command", metavar="ACTION", required=True)
    plan = msub.add_parser("plan", help="dry run: entries, their targets, shared compile units")
    plan.add_argument("--file", type=Path, default=DEFAULT_MATRIX, help="matrix file (default: %(default)s)")
    plan.add_argument("--manifest", type=Path, help="kernel manifest (default: the shipped one)")
    plan.add_argument(
        "--only", action="append", default=[], metavar="NAME", help="only this entry (repeatable)"
    )
    plan.add_argument("--json", action="store_true", help="machine-readable output")
    plan.set_defaults(func=run_plan)


def run_plan(args: argparse.Namespace) -> int:
    matrix = load_matrix(args.file).select(args.only)
    plans = entry_plans(matrix, load_manifest(args.manifest))
    units = compile_units(plans)
    problems = [p for e in matrix.entries for p in missing_requirements(e, plans[e.name])]
    problems += [f"{name}: {err}" for name, plan in plans.items() for err in plan.errors]
    total = sum(len(users) for users in units.values())
    if args.json:
        print(
            json.dumps(
                {
                    "schema": "archforge.matrix-plan/1",
                    "entries": {
                        e.name: {
                            "arch_list": str(e.arch_list),
                            "cuda": str(e.cuda),
                            "plan_digest": plans[e.name].digest,
                        }
                        for e in matrix.entries
                    },
                    "units": [
                        {
                            "cuda": u.cuda,
                            "source": u.source,
                            "target": u.target,
                            "defines": list(u.defines),
                            "entries": list(users),
                        }
                        for u, users in units.items()
                    ],
                    "unique_units": len(units),
                    "unit_uses": total,
                    "problems": problems,
                },
                indent=2,
            )
        )
    else:
        console = Console(highlight=False, width=160)
        table = Table(title="Matrix entries", title_justify="left")
        for col in ("entry", "arch list", "cuda", "families on 12.1", "families per device"):
            table.add_column(col)
        for e in matrix.entries:
            plan = plans[e.name]
            per_dev = {str(d.capability): sorted(d.loads) for d in plan.devices}
            table.add_row(
                e.name,
                str(e.arch_list),
                str(e.cuda),
                ", ".join(per_dev.get("12.1", [])) or "-",
                "; ".join(f"{d}: {len(f)}" for d, f in per_dev.items()),
            )
        console.print(table)
        units_table = Table(
            title="Compile units (source, target) and the entries sharing them", title_justify="left"
        )
        for col in ("source", "target", "defines", "entries"):
            units_table.add_column(col)
        for u, users in units.items():
            units_table.add_row(u.source, u.target, " ".join(u.defines), ", ".join(users))
        console.print(units_table)
        console.print(
            f"{len(units)} unique compile units, {total} uses across {len(matrix.entries)} entries "
            f"({total - len(units)} reusable)"
        )
        for p in problems:
            console.print(f"[red]problem:[/] {p}")
    if problems:
        raise CheckFailed(f"{len(problems)} matrix requirement(s) do not hold")
    return 0
