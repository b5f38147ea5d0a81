"""Arguments and helpers shared by the container commands (base-image, image, wheel, release)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape

from archforge.container.config import find_repo_root
from archforge.container.engine import ENGINES
from archforge.runner import Runner

if TYPE_CHECKING:
    import argparse

#: Where the debootstrap rootfs is made: a disk-backed directory (/tmp may be a small
#: tmpfs) that only root writes to here; the rootfs is removed after the import.
ROOTFS_WORKDIR = Path("/var/tmp")  # noqa: S108

#: The proxy CA bundle handed to BuildKit as a secret; Debian's standard location.
DEFAULT_CA = Path("/etc/ssl/certs/ca-certificates.crt")


def add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--repo", type=Path, default=None, help="repository root (default: found from cwd)")
    parser.add_argument("--engine", choices=sorted(ENGINES), default="docker", help="container engine")
    parser.add_argument("--dry-run", action="store_true", help="print the plan (every command) and exit")


def add_build_options(parser: argparse.ArgumentParser) -> None:
    """Options of the commands that run the Dockerfile (image, wheel, release)."""
    add_common(parser)
    parser.add_argument("--profile", default="default", help="release profile from ci/profiles.toml")
    parser.add_argument("--arch-list", default=None, help="override the profile's TORCH_CUDA_ARCH_LIST")
    parser.add_argument(
        "--kernels", default=None, help="override the profile's kernel families (semicolon-separated)"
    )
    parser.add_argument("--max-jobs", type=int, default=None, help="override the profile's MAX_JOBS")
    parser.add_argument(
        "--base-image", default=None, help="use this image as the OS instead of the debootstrapped one"
    )
    parser.add_argument(
        "--ca-bundle",
        type=Path,
        default=None,
        help=f"CA bundle passed as the BuildKit secret 'ca' (default: {DEFAULT_CA} when present; "
        "'none' to pass nothing)",
    )
    parser.add_argument("--dist", type=Path, default=None, help="output directory (default: <repo>/dist)")


def resolve_root(args: argparse.Namespace) -> Path:
    start = args.repo if args.repo is not None else Path.cwd()
    return find_repo_root(start.resolve())


def resolve_ca(args: argparse.Namespace, environ: dict[str, str] | None = None) -> Path | None:
    if args.ca_bundle is not None:
        return None if str(args.ca_bundle) == "none" else args.ca_bundle.resolve()
    env = environ if environ is not None else dict(os.environ)
    for candidate in (env.get("PIP_CERT"), env.get("SSL_CERT_FILE"), str(DEFAULT_CA)):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def make_console() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def make_runner(console: Console) -> Runner:
    return Runner(echo=lambda text: console.print(f"[dim]{escape(text)}[/]"))
