"""``archforge plan``: targets per kernel family and what each requested device gets."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from archforge.arch import ArchList
from archforge.cuda import DEFAULT_CUDA, parse_cuda
from archforge.errors import ConfigError
from archforge.fsutil import atomic_write_text
from archforge.manifest import load_manifest
from archforge.plan import Plan, make_plan
from archforge.plan_cmake import render_cmake

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "plan",
        help="choose targets per kernel family for an arch list and CUDA version",
        description=(
            "Choose the targets to compile per kernel family and say, per requested device, "
            "which families it gets and why not. Exit 0; 1 if a release family gets no code "
            "for a device it could serve; 2 for bad input."
        ),
    )
    src = p.add_mutually_exclusive_group()
    src.add_argument(
        "--arch-list",
        help="TORCH_CUDA_ARCH_LIST syntax, e.g. '9.0a;12.0f;12.1a' (default: $TORCH_CUDA_ARCH_LIST)",
    )
    src.add_argument(
        "--gencode", help="nvcc arch flags instead, e.g. '-gencode arch=compute_121a,code=sm_121a'"
    )
    p.add_argument("--cuda", default=str(DEFAULT_CUDA), help="CUDA toolkit version (default: %(default)s)")
    p.add_argument(
        "--manifest", type=Path, help="kernel manifest TOML (default: the one shipped with archforge)"
    )
    p.add_argument("--format", choices=("text", "json", "cmake"), default="text")
    p.add_argument("--output", "-o", type=Path, help="write to this file (atomically) instead of stdout")
    p.set_defaults(func=run)


def resolve_arch_list(arch_list: str | None, gencode: str | None) -> ArchList:
    if gencode is not None:
        return ArchList.from_nvcc_flags(gencode)
    text = arch_list if arch_list is not None else os.environ.get("TORCH_CUDA_ARCH_LIST")
    if text is None:
        raise ConfigError("no arch list: pass --arch-list '9.0a;12.0f;12.1a' or set TORCH_CUDA_ARCH_LIST")
    return ArchList.parse(text)


def print_plan(plan: Plan, console: Console) -> None:
    fams = Table(title=f"Plan: {plan.arch_list} on CUDA {plan.cuda}", title_justify="left")
    for col in ("family", "targets", "defines", "notes"):
        fams.add_column(col)
    for f in plan.families:
        targets = ";".join(f.entries) or "[yellow]no targets[/]"
        fams.add_row(f.name, targets, " ".join(f.defines), escape("\n".join(f.notes)))
    for d in plan.disabled:
        fams.add_row(d.name, "[dim]disabled[/]", "", escape(d.description))
    console.print(fams)
    devs = Table(title="Per requested device", title_justify="left")
    for col in ("device", "gets", "does not get"):
        devs.add_column(col)
    for dev in plan.devices:
        gets = "\n".join(f"{n}: {t.name} ({how.value})" for n, (t, how) in dev.loads.items())
        missing = "\n".join(f"{n}: {why}" for n, why in dev.missing.items())
        devs.add_row(str(dev.capability), gets or "-", escape(missing) or "-")
    console.print(devs)
    for err in plan.errors:
        console.print(f"[bold red]error:[/] {escape(err)}")
    console.print(f"digest {plan.digest}")


def run(args: argparse.Namespace) -> int:
    arch_list = resolve_arch_list(args.arch_list, args.gencode)
    plan = make_plan(load_manifest(args.manifest), arch_list, parse_cuda(args.cuda))
    console = Console(highlight=False, soft_wrap=False, width=160)
    if args.format == "text" and args.output is None:
        print_plan(plan, console)
    else:
        renderers: dict[str, Callable[[Plan], str]] = {
            "json": Plan.to_json,
            "cmake": render_cmake,
            "text": _text,
        }
        text = renderers[args.format](plan)
        if args.output is None:
            print(text, end="")
        else:
            atomic_write_text(args.output, text)
    return 1 if plan.errors else 0


def _text(plan: Plan) -> str:
    console = Console(record=True, width=160, file=io.StringIO())
    print_plan(plan, console)
    return console.export_text()
