"""Runs plan steps: live progress, full logs on disk, timing and BuildKit cache hits.

Each step's whole output goes to ``<log_dir>/<step>.log``; the terminal shows a
spinner with the step's latest line instead of thousands of compiler lines. A
failing step raises :class:`~archforge.errors.BuildError` naming the stage, the
command and the last lines of its log.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rich.markup import escape

from archforge.errors import BuildError
from archforge.runner import CommandFailed

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

    from rich.console import Console

    from archforge.container.plan import Step
    from archforge.runner import Runner

# BuildKit's plain progress: "#7 [toolchain 2/5] RUN ..." opens vertex 7 and
# "#7 CACHED" says it was taken from the cache.
_VERTEX = re.compile(r"^#(\d+) \[[^\]]*\d+/\d+\] (\S+)")
_CACHED = re.compile(r"^#(\d+) CACHED$")


@dataclass(kw_only=True)
class BuildKitStats:
    """Counts the Dockerfile steps of one build and how many came from the cache."""

    steps: set[str] = field(default_factory=set)
    cached: set[str] = field(default_factory=set)

    def feed(self, line: str) -> None:
        if m := _VERTEX.match(line):
            # FROM is resolved, never "CACHED": counting it would make a fully cached
            # build read 7/8.
            if m.group(2) != "FROM":
                self.steps.add(m.group(1))
        elif m := _CACHED.match(line):
            self.cached.add(m.group(1))

    @classmethod
    def from_lines(cls, lines: Iterable[str]) -> BuildKitStats:
        stats = cls()
        for line in lines:
            stats.feed(line)
        return stats


@dataclass(frozen=True, kw_only=True)
class StepResult:
    name: str
    seconds: float
    cache_hits: int | None = None
    cache_steps: int | None = None
    image: str | None = None
    image_size: int | None = None
    log: Path | None = None


def run_step(step: Step, runner: Runner, log_dir: Path, console: Console) -> StepResult:
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{step.name}.log"
    stats = BuildKitStats()
    start = time.monotonic()
    with log_path.open("w", encoding="utf-8") as log, console.status(f"[bold]{step.name}[/]") as status:

        def on_line(line: str) -> None:
            log.write(line + "\n")
            stats.feed(line)
            elapsed = time.monotonic() - start
            status.update(f"[bold]{step.name}[/] {elapsed:5.0f}s  [dim]{escape(line[:110])}[/]")

        try:
            runner.run(step.argv, env=dict(step.env), on_line=on_line)
        except CommandFailed as exc:
            log.flush()
            tail = "\n".join(f"  | {line}" for line in exc.tail[-25:])
            raise BuildError(
                f"stage {step.name!r} failed (exit code {exc.returncode})\n"
                f"  command: {step.render()}\n  log: {log_path}\n  last lines:\n{tail}"
            ) from None
    seconds = time.monotonic() - start
    console.print(f"[green]done[/] {step.name} in {seconds:.0f}s  [dim]log: {log_path}[/]")
    if step.kind == "build":
        return StepResult(
            name=step.name,
            seconds=seconds,
            cache_hits=len(stats.cached),
            cache_steps=len(stats.steps),
            image=step.image,
            log=log_path,
        )
    return StepResult(name=step.name, seconds=seconds, image=step.image, log=log_path)
