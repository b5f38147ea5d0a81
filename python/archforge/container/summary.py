"""The final summary table of a container build."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.table import Table

from archforge.errors import ToolError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from rich.console import Console

    from archforge.container.engine import Engine
    from archforge.container.execute import StepResult
    from archforge.runner import Runner


@dataclass(frozen=True, kw_only=True)
class Extras:
    """Facts about the products that belong in the table next to the stage rows."""

    wheel_name: str | None = None
    wheel_size: int | None = None
    verified: Mapping[str, str] | None = None
    """Device (e.g. ``sm_120``) -> what verify says it gets (``5/5 kernels``)."""


def human_size(n: int | None) -> str:
    if n is None:
        return ""
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GiB"


def print_summary(
    console: Console,
    results: Sequence[StepResult],
    *,
    engine: Engine,
    runner: Runner,
    title: str,
    extras: Extras | None = None,
) -> None:
    table = Table(title=title, title_justify="left")
    table.add_column("stage")
    table.add_column("time", justify="right")
    table.add_column("cache hits", justify="right")
    table.add_column("image", overflow="fold")
    table.add_column("size", justify="right")
    total = 0.0
    for result in results:
        total += result.seconds
        size = None
        if result.image:
            try:
                size = engine.image_size(runner, result.image)
            except ToolError:
                size = None
        hits = f"{result.cache_hits}/{result.cache_steps}" if result.cache_steps is not None else ""
        table.add_row(result.name, f"{result.seconds:.0f}s", hits, result.image or "", human_size(size))
    table.add_row("[bold]total[/]", f"[bold]{total:.0f}s[/]", "", "", "")
    console.print(table)
    if extras and extras.wheel_name:
        console.print(f"wheel: {extras.wheel_name} ({human_size(extras.wheel_size)})")
    if extras and extras.verified:
        vt = Table(title="verified kernels per device", title_justify="left")
        vt.add_column("device")
        vt.add_column("kernels")
        for device, text in extras.verified.items():
            vt.add_row(device, text)
        console.print(vt)
