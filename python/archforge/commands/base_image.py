"""``archforge base-image``: debootstrap the base OS image, or reuse it."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from archforge.container import baseimage
from archforge.container.cli_common import ROOTFS_WORKDIR, add_common, make_console, make_runner, resolve_root
from archforge.container.config import VERSIONS_FILE, Pins
from archforge.container.engine import get_engine, require_engine
from archforge.container.execute import run_step
from archforge.container.summary import print_summary
from archforge.errors import ToolError

if TYPE_CHECKING:
    import argparse

    from rich.console import Console

    from archforge.container.engine import Engine
    from archforge.container.execute import StepResult
    from archforge.runner import Runner


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "base-image",
        help="build the base OS image with debootstrap (reused when present)",
        description=(
            "Debootstrap Debian (suite and mirror from versions.toml) with Python into a rootfs, "
            "import it as archforge-base:<suite>-<Release date> and tag archforge-base:<suite>. "
            "Reuses the image when it exists. Needs root, debootstrap and a Docker engine."
        ),
    )
    add_common(parser)
    parser.add_argument("--rebuild", action="store_true", help="build even when the image exists")
    parser.add_argument(
        "--workdir", type=Path, default=ROOTFS_WORKDIR, help="where the temporary rootfs goes"
    )
    parser.set_defaults(func=run)


def ensure_base_image(
    root: Path, engine: Engine, runner: Runner, console: Console, *, rebuild: bool, workdir: Path
) -> tuple[str, list[StepResult]]:
    """The base image reference, building it first when missing. Used by image/release."""
    pins = Pins.load(root / VERSIONS_FILE)
    release = baseimage.fetch_release(pins.debian)
    ref = baseimage.base_ref(pins.debian, release)
    if not rebuild and engine.image_exists(runner, ref):
        console.print(f"base image {ref} present: reusing it")
        return ref, []
    runner.which("debootstrap")
    workdir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="archforge-base-", dir=workdir))
    plan = baseimage.plan_base_image(pins.debian, release, tmp, engine)
    try:
        results = [
            run_step(step, runner, root / "build" / "logs" / "base-image", console) for step in plan.steps
        ]
    finally:
        # The rootfs is ~300 MB of root-owned files; never leave it behind.
        shutil.rmtree(tmp, ignore_errors=True)
    return ref, results


def run(args: argparse.Namespace) -> int:
    console = make_console()
    root = resolve_root(args)
    engine = get_engine(args.engine)
    pins = Pins.load(root / VERSIONS_FILE)
    if args.dry_run:
        release = baseimage.fetch_release(pins.debian)
        plan = baseimage.plan_base_image(pins.debian, release, args.workdir / "archforge-base-XXXX", engine)
        console.print(plan.render(), markup=False, highlight=False)
        return 0
    runner = make_runner(console)
    require_engine(engine, runner)
    if shutil.which("debootstrap") is None and args.rebuild:
        raise ToolError("required tool not found on PATH: debootstrap (apt-get install debootstrap)")
    ref, results = ensure_base_image(
        root, engine, runner, console, rebuild=args.rebuild, workdir=args.workdir
    )
    print_summary(console, results, engine=engine, runner=runner, title=f"base image {ref}")
    return 0
