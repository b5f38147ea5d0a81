"""The one way archforge runs an external program.

Every subprocess goes through :class:`Runner`:

* the executable is resolved with :func:`shutil.which` before anything runs, so a
  missing tool fails at once with a :class:`~archforge.errors.ToolError` naming it;
* the shell-quoted command is echoed (to stderr, so captured stdout stays clean);
* ``mode="stream"`` shows the output live (and keeps its tail for the error
  message), ``mode="capture"`` returns it;
* a non-zero exit raises :class:`CommandFailed`, which carries the command, the
  exit code and the last lines of output.

Only the environment variables that differ from the runner's base environment are
echoed, because a whole environment drowns the one variable that matters.
"""

from __future__ import annotations

import collections
import os
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Literal

from archforge.errors import ToolError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from pathlib import Path

Mode = Literal["stream", "capture"]

#: How many lines of output a failure keeps for its message.
TAIL_LINES = 40


class CommandFailed(ToolError):
    """A command exited non-zero. Carries what is needed to report it."""

    def __init__(self, argv: Sequence[str], returncode: int, tail: Sequence[str]) -> None:
        self.argv = tuple(argv)
        self.returncode = returncode
        self.tail = tuple(tail)
        shown = "\n".join(f"  | {line}" for line in self.tail)
        super().__init__(
            f"command failed with exit code {returncode}: {shlex.join(self.argv)}"
            + (f"\n  last lines of output:\n{shown}" if shown else "")
        )


@dataclass(frozen=True, kw_only=True)
class Result:
    """What a finished command left behind."""

    argv: tuple[str, ...]
    returncode: int
    #: The whole output in capture mode; in stream mode only the tail.
    output: str


def _echo_default(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


@dataclass(frozen=True, kw_only=True)
class Runner:
    """Runs commands. Pass one around instead of calling :mod:`subprocess`.

    ``env`` is the base environment every command starts from; ``echo`` receives
    the echoed command line (tests pass a list's ``append``); ``dry_run`` echoes
    and returns without running anything.
    """

    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    echo: Callable[[str], None] = _echo_default
    dry_run: bool = False

    def which(self, tool: str) -> str:
        """The absolute path of ``tool``, or :class:`ToolError` naming it."""
        if os.sep in tool:
            if os.access(tool, os.X_OK):
                return tool
            raise ToolError(f"required tool not found or not executable: {tool}")
        found = shutil.which(tool, path=self.env.get("PATH", os.defpath))
        if found is None:
            raise ToolError(f"required tool not found on PATH: {tool}")
        return found

    def run(
        self,
        argv: Sequence[str | Path],
        *,
        mode: Mode = "stream",
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        stdin: bytes | None = None,
        on_line: Callable[[str], None] | None = None,
        check: bool = True,
        quiet: bool = False,
    ) -> Result:
        """Run ``argv``; see the module docstring for modes and errors.

        ``env`` adds to (and overrides) the base environment. ``on_line`` gets each
        output line in stream mode instead of it being printed: the caller may show
        progress instead of the raw log. ``quiet`` skips the echo, for read-only
        queries (``docker image inspect``) that would drown the log.
        """
        args = [str(a) for a in argv]
        if not args:
            raise ValueError("empty command")
        args[0] = self.which(args[0])
        changed = {k: v for k, v in (env or {}).items() if self.env.get(k) != v}
        prefix = " ".join(f"{k}={shlex.quote(v)}" for k, v in sorted(changed.items()))
        if not quiet:
            self.echo(f"$ {prefix + ' ' if prefix else ''}{shlex.join(args)}")
        if self.dry_run:
            return Result(argv=tuple(args), returncode=0, output="")
        full_env = {**self.env, **changed}
        if mode == "capture":
            return self._capture(args, full_env, cwd, stdin, check)
        return self._stream(args, full_env, cwd, stdin, on_line, check)

    def _capture(
        self, args: list[str], env: dict[str, str], cwd: Path | None, stdin: bytes | None, check: bool
    ) -> Result:
        proc = subprocess.run(
            args, env=env, cwd=cwd, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False
        )
        output = proc.stdout.decode(errors="replace")
        if check and proc.returncode != 0:
            raise CommandFailed(args, proc.returncode, output.splitlines()[-TAIL_LINES:])
        return Result(argv=tuple(args), returncode=proc.returncode, output=output)

    def _stream(
        self,
        args: list[str],
        env: dict[str, str],
        cwd: Path | None,
        stdin: bytes | None,
        on_line: Callable[[str], None] | None,
        check: bool,
    ) -> Result:
        tail: collections.deque[str] = collections.deque(maxlen=TAIL_LINES)
        sink = on_line or _print_line
        with subprocess.Popen(
            args,
            env=env,
            cwd=cwd,
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        ) as proc:
            if stdin is not None:
                _feed(proc.stdin, stdin)
            assert proc.stdout is not None
            for raw in proc.stdout:
                line = raw.decode(errors="replace").rstrip("\n")
                tail.append(line)
                sink(line)
            returncode = proc.wait()
        if check and returncode != 0:
            raise CommandFailed(args, returncode, list(tail))
        return Result(argv=tuple(args), returncode=returncode, output="\n".join(tail))


def _print_line(line: str) -> None:
    print(line, flush=True)


def _feed(pipe: IO[bytes] | None, data: bytes) -> None:
    assert pipe is not None
    with pipe:
        pipe.write(data)
