"""``archforge release``: image, wheel, verify report and SHA256SUMS for a profile."""

from __future__ import annotations

from typing import TYPE_CHECKING

from archforge.container.cli_common import add_build_options
from archforge.container.pipeline import run_pipeline

if TYPE_CHECKING:
    import argparse


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "release",
        help="build a release: runtime image, tested; wheel, plan, verify report, SHA256SUMS in dist/",
        description=(
            "Build every stage a profile lists (ci/profiles.toml; default: toolchain, wheel, runtime, "
            "test), tag archforge-kernels:<version>-cu<cuda>-<profile>, publish the wheel, plan and "
            "verify report with SHA256SUMS into dist/, and optionally push the image."
        ),
    )
    add_build_options(parser)
    parser.add_argument("--push", metavar="REGISTRY", default=None, help="also tag and push to REGISTRY")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    return run_pipeline(args, targets=None, to_dist=True, checksums=True)
