"""The one command runner: resolution, echo, modes, failure details."""

from __future__ import annotations

import sys

import pytest

from archforge.errors import ToolError
from archforge.runner import CommandFailed, Runner


def test_missing_tool_is_named_before_running() -> None:
    echoed: list[str] = []
    runner = Runner(echo=echoed.append)
    with pytest.raises(ToolError, match="definitely-not-a-tool-xyz"):
        runner.run(["definitely-not-a-tool-xyz", "--help"])
    assert echoed == []


def test_capture_returns_output_and_echoes_changed_env_only() -> None:
    echoed: list[str] = []
    runner = Runner(echo=echoed.append, env={"PATH": "/usr/bin:/bin", "KEEP": "1"})
    result = runner.run(
        [sys.executable, "-c", "import os; print(os.environ['NEW'])"],
        mode="capture",
        env={"NEW": "a b", "KEEP": "1"},
    )
    assert result.output.strip() == "a b"
    assert echoed[0].startswith("$ NEW='a b' ")
    assert "KEEP" not in echoed[0]


def test_failure_carries_command_code_and_tail() -> None:
    runner = Runner(echo=lambda _: None)
    script = "import sys\nfor i in range(100): print(f'line {i}')\nsys.exit(7)"
    lines: list[str] = []
    with pytest.raises(CommandFailed) as info:
        runner.run([sys.executable, "-c", script], on_line=lines.append)
    exc = info.value
    assert exc.returncode == 7
    assert exc.argv[-1] == script
    assert exc.tail[-1] == "line 99"
    assert len(exc.tail) < 100
    assert len(lines) == 100
    assert isinstance(exc, ToolError)


def test_dry_run_runs_nothing() -> None:
    echoed: list[str] = []
    result = Runner(echo=echoed.append, dry_run=True).run([sys.executable, "-c", "raise SystemExit(1)"])
    assert result.returncode == 0
    assert len(echoed) == 1
