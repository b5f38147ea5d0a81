"""``archforge wheel``: build archforge-kernels in the container and export it to dist/."""

from __future__ import annotations

from typing import TYPE_CHECKING

from archforge.container.cli_common import add_build_options
from archforge.container.pipeline import run_pipeline

if TYPE_CHECKING:
    import argparse


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "wheel",
        help="build the kernel wheel in the container and export it (with its plan) to dist/",
        description=(
            "Build the Dockerfile's toolchain and wheel stages for a profile and move the verified "
            "wheel, its plan and the verify report into dist/ (all or nothing)."
        ),
    )
    add_build_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    return run_pipeline(args, targets=("toolchain", "wheel"), to_dist=True, checksums=False)
