"""Container engines behind a small protocol, collected in a registry.

Only Docker (with its built-in BuildKit) is implemented; the protocol is what the
planner and executor need, so a podman/buildah engine would be one more entry.
Methods named ``*_argv`` are pure (they only build command lines, for plans and
tests); the others run commands through the :class:`~archforge.runner.Runner`.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from archforge.errors import ConfigError, ToolError
from archforge.runner import CommandFailed

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from pathlib import Path

    from archforge.runner import Runner


@dataclass(frozen=True, kw_only=True)
class BuildSpec:
    """One ``build`` invocation: a Dockerfile target and what to do with it."""

    dockerfile: Path
    context: Path
    target: str
    build_args: tuple[tuple[str, str], ...]
    secrets: tuple[tuple[str, Path], ...] = ()
    """``(id, source file)``: mounted only into RUN steps that ask for them."""
    tags: tuple[str, ...] = ()
    output_dir: Path | None = None
    """Export the target's filesystem here (``--output type=local``) instead of an image."""


class Engine(Protocol):
    # Read-only, so frozen dataclasses satisfy the protocol.
    @property
    def name(self) -> str: ...
    @property
    def executable(self) -> str: ...

    def env(self) -> dict[str, str]: ...
    def build_argv(self, spec: BuildSpec) -> list[str]: ...
    def image_exists(self, runner: Runner, ref: str) -> bool: ...
    def image_size(self, runner: Runner, ref: str) -> int: ...
    def labels(self, runner: Runner, ref: str) -> dict[str, str]: ...
    def import_argv(self, tarball: Path, ref: str, changes: Sequence[str]) -> list[str]: ...
    def tag_argv(self, src: str, dst: str) -> list[str]: ...
    def push_argv(self, ref: str) -> list[str]: ...
    def save_argv(self, ref: str, dest: Path) -> list[str]: ...
    def answers(self, runner: Runner) -> bool: ...


def _default_docker() -> str:
    # Debian's /usr/bin/docker: /usr/local/bin/docker on our CI images is a client
    # without buildx whose classic builder cannot do secret or cache mounts.
    override = os.environ.get("ARCHFORGE_DOCKER")
    if override:
        return override
    return "/usr/bin/docker" if os.access("/usr/bin/docker", os.X_OK) else "docker"


@dataclass(frozen=True, kw_only=True)
class DockerEngine:
    name: str = "docker"
    executable: str = ""

    def __post_init__(self) -> None:
        if not self.executable:
            object.__setattr__(self, "executable", _default_docker())

    def env(self) -> dict[str, str]:
        # Docker 20.10 (Debian bookworm) builds with the classic builder unless asked.
        return {"DOCKER_BUILDKIT": "1"}

    def build_argv(self, spec: BuildSpec) -> list[str]:
        argv = [
            self.executable,
            "build",
            "--progress=plain",
            "-f",
            str(spec.dockerfile),
            "--target",
            spec.target,
        ]
        for key, value in spec.build_args:
            argv += ["--build-arg", f"{key}={value}"]
        for secret_id, src in spec.secrets:
            argv += ["--secret", f"id={secret_id},src={src}"]
        for tag in spec.tags:
            argv += ["-t", tag]
        if spec.output_dir is not None:
            argv += ["--output", f"type=local,dest={spec.output_dir}"]
        argv.append(str(spec.context))
        return argv

    def answers(self, runner: Runner) -> bool:
        try:
            runner.run(
                [self.executable, "info", "--format", "{{.ServerVersion}}"], mode="capture", quiet=True
            )
        except (CommandFailed, ToolError):
            return False
        return True

    def image_exists(self, runner: Runner, ref: str) -> bool:
        result = runner.run(
            [self.executable, "image", "inspect", ref], mode="capture", check=False, quiet=True
        )
        return result.returncode == 0

    def _inspect(self, runner: Runner, ref: str) -> dict[str, object]:
        out = runner.run([self.executable, "image", "inspect", ref], mode="capture", quiet=True).output
        data = json.loads(out)
        if not isinstance(data, list) or not data or not isinstance(data[0], dict):
            raise ToolError(f"docker image inspect {ref}: unexpected output")
        return data[0]

    def image_size(self, runner: Runner, ref: str) -> int:
        size = self._inspect(runner, ref).get("Size")
        return size if isinstance(size, int) else 0

    def labels(self, runner: Runner, ref: str) -> dict[str, str]:
        config = self._inspect(runner, ref).get("Config")
        labels = config.get("Labels") if isinstance(config, dict) else None
        return {str(k): str(v) for k, v in labels.items()} if isinstance(labels, dict) else {}

    def import_argv(self, tarball: Path, ref: str, changes: Sequence[str]) -> list[str]:
        argv = [self.executable, "import"]
        for change in changes:
            argv += ["--change", change]
        return [*argv, str(tarball), ref]

    def tag_argv(self, src: str, dst: str) -> list[str]:
        return [self.executable, "tag", src, dst]

    def push_argv(self, ref: str) -> list[str]:
        return [self.executable, "push", ref]

    def save_argv(self, ref: str, dest: Path) -> list[str]:
        return [self.executable, "save", "-o", str(dest), ref]


ENGINES: Mapping[str, Callable[[], Engine]] = {"docker": DockerEngine}


def get_engine(name: str) -> Engine:
    try:
        return ENGINES[name]()
    except KeyError:
        raise ConfigError(f"unknown container engine {name!r}; known: {', '.join(ENGINES)}") from None


def require_engine(engine: Engine, runner: Runner) -> None:
    """Fail with a :class:`ToolError` that says how to get an engine when none answers."""
    runner.which(engine.executable)
    if not engine.answers(runner):
        raise ToolError(
            f"no {engine.name} engine answers ({engine.executable} info failed); "
            "start one with ci/docker-engine.sh (installs docker.io and starts dockerd as root)"
        )
