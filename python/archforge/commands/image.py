"""``archforge image``: the runtime image for an arch list."""

from __future__ import annotations

from typing import TYPE_CHECKING

from archforge.container.cli_common import add_build_options
from archforge.container.pipeline import run_pipeline

if TYPE_CHECKING:
    import argparse


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "image",
        help="build the runtime image (torch, flashinfer, archforge-kernels; no compiler)",
        description=(
            "Build the Dockerfile's toolchain, wheel and runtime stages for a profile "
            "(ci/profiles.toml) and tag archforge-kernels:<version>-cu<cuda>-<profile>. "
            "The build stage verifies the wheel against the plan; a missing kernel fails the build."
        ),
    )
    add_build_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    return run_pipeline(args, targets=("toolchain", "wheel", "runtime"), to_dist=False, checksums=False)
