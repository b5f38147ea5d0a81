"""Build plans: the list of commands a container build will run, computed up front.

Planning is pure: it needs the pins, the profile and the engine's command-line
conventions, and no engine. The plan is printed by ``--dry-run`` and tested on its
own; :mod:`archforge.container.execute` only runs it.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal

from archforge.container.engine import BuildSpec

if TYPE_CHECKING:
    from pathlib import Path

    from archforge.container.config import Pins, Profile
    from archforge.container.engine import Engine

StepKind = Literal["command", "build"]

#: The secret id the Dockerfile mounts (``RUN --mount=type=secret,id=ca``).
CA_SECRET_ID = "ca"  # noqa: S105 - an id naming the secret, not one

LABEL_PREFIX = "io.archforge"

#: Stands for the digest of the plan the build stage used; filled in by the executor
#: from the exported plan.json once the wheel stage ran (the digest covers the
#: manifest the container saw, so the host cannot compute it beforehand).
PLAN_DIGEST_PLACEHOLDER = "@PLAN_DIGEST@"


@dataclass(frozen=True, kw_only=True)
class Step:
    """One command of a plan, and one row of the final summary."""

    name: str
    argv: tuple[str, ...]
    env: tuple[tuple[str, str], ...] = ()
    kind: StepKind = "command"
    image: str | None = None
    """The image this step tags (its size goes into the summary)."""
    output_dir: Path | None = None
    """Where a ``--output type=local`` export lands."""

    def resolve(self, values: dict[str, str]) -> Step:
        """This step with placeholders (``@NAME@``) in its arguments replaced."""
        argv = self.argv
        for key, value in values.items():
            argv = tuple(a.replace(key, value) for a in argv)
        return replace(self, argv=argv)

    def render(self) -> str:
        env = " ".join(f"{k}={shlex.quote(v)}" for k, v in self.env)
        return f"{env + ' ' if env else ''}{shlex.join(self.argv)}"


@dataclass(frozen=True, kw_only=True)
class BuildRequest:
    """What a user asked for, resolved: the inputs of :func:`plan_build`."""

    root: Path
    pins: Pins
    profile: Profile
    base_image: str
    version: str
    """Version of the kernel package: goes into the image tag and labels."""
    ca_bundle: Path | None
    staging: Path
    """Where exported files (wheel, plan, verify report) land before they are moved to dist/."""
    source_revision: str = ""
    created: str = ""
    plan_digest: str = PLAN_DIGEST_PLACEHOLDER
    targets: tuple[str, ...] = ()
    """Dockerfile targets to build; empty means the profile's."""
    image_repo: str = "archforge-kernels"
    push_registry: str | None = None


@dataclass(frozen=True, kw_only=True)
class BuildPlan:
    request: BuildRequest
    steps: tuple[Step, ...]
    image_tag: str
    tags: tuple[str, ...] = field(default=())

    def render(self) -> str:
        lines = [f"# image: {self.image_tag}", f"# profile: {self.request.profile.name}"]
        lines += [f"[{step.name}] {step.render()}" for step in self.steps]
        return "\n".join(lines)


def image_tag(request: BuildRequest) -> str:
    """``archforge-kernels:<version>-cu<cuda>-<profile>``."""
    return f"{request.image_repo}:{request.version}-{request.pins.cuda_tag}-{request.profile.name}"


def build_args(request: BuildRequest, *, with_labels: bool) -> tuple[tuple[str, str], ...]:
    """Pins, then the profile's build knobs, then (for labelled stages) label values.

    Label-only args are left out of stages that do not need them: BuildKit does not
    invalidate a cache on unused args, but a plan that names them reads as if it did.
    """
    profile = request.profile
    args = [
        *request.pins.build_args,
        ("BASE_IMAGE", request.base_image),
        ("TORCH_CUDA_ARCH_LIST", profile.arch_list),
        ("ARCHFORGE_KERNELS", ";".join(profile.kernels)),
        ("MAX_JOBS", str(profile.max_jobs)),
        ("NVCC_THREADS", str(profile.nvcc_threads)),
    ]
    if with_labels:
        args += [
            ("IMAGE_VERSION", request.version),
            ("IMAGE_CREATED", request.created),
            ("IMAGE_REVISION", request.source_revision),
            ("PLAN_DIGEST", request.plan_digest),
            ("PROFILE", profile.name),
        ]
    return tuple(args)


def plan_build(request: BuildRequest, engine: Engine) -> BuildPlan:
    """The docker builds for ``request``: one step per Dockerfile target.

    ``wheel`` is exported to the staging directory; ``runtime`` and ``test`` are
    tagged images. Each build reuses the BuildKit cache of the ones before it, so the
    toolchain is built once and the kernel build once.
    """
    tag = image_tag(request)
    targets = request.targets or request.profile.targets
    secrets = ((CA_SECRET_ID, request.ca_bundle),) if request.ca_bundle else ()
    steps = []
    for target in targets:
        tags: tuple[str, ...] = ()
        output_dir = None
        if target == "wheel":
            output_dir = request.staging
        elif target == "runtime":
            tags = (tag,)
        elif target == "test":
            tags = (f"{tag}-test",)
        spec = BuildSpec(
            dockerfile=request.root / "docker" / "Dockerfile",
            context=request.root,
            target=target,
            build_args=build_args(request, with_labels=target in {"runtime", "test"}),
            secrets=secrets,
            tags=tags,
            output_dir=output_dir,
        )
        steps.append(
            Step(
                name=target,
                argv=tuple(engine.build_argv(spec)),
                env=tuple(sorted(engine.env().items())),
                kind="build",
                image=tags[0] if tags else None,
                output_dir=output_dir,
            )
        )
    pushed: list[str] = []
    if request.push_registry and "runtime" in targets:
        remote = f"{request.push_registry.rstrip('/')}/{tag}"
        pushed.append(remote)
        steps.append(Step(name="tag", argv=tuple(engine.tag_argv(tag, remote))))
        steps.append(Step(name="push", argv=tuple(engine.push_argv(remote))))
    return BuildPlan(request=request, steps=tuple(steps), image_tag=tag, tags=(tag, *pushed))
