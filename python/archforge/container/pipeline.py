"""The shared body of ``archforge image``, ``wheel`` and ``release``."""

from __future__ import annotations

import shutil
from dataclasses import replace
from typing import TYPE_CHECKING

from archforge.container.cli_common import ROOTFS_WORKDIR, make_console, make_runner, resolve_root
from archforge.container.engine import get_engine, require_engine
from archforge.container.plan import image_tag, plan_build
from archforge.container.release import execute_plan, publish, resolve_request, verified_per_device
from archforge.container.summary import Extras, print_summary

if TYPE_CHECKING:
    import argparse
    from pathlib import Path


def run_pipeline(
    args: argparse.Namespace, *, targets: tuple[str, ...] | None, to_dist: bool, checksums: bool
) -> int:
    """Plan, print (``--dry-run``) or run, publish into dist/, summarise.

    ``targets`` None means the profile's own list (release); image and wheel pass theirs.
    """
    from archforge.commands.base_image import ensure_base_image

    console = make_console()
    root = resolve_root(args)
    engine = get_engine(args.engine)
    base = args.base_image or "archforge-base:<suite>-<Release date> (built or reused by base-image)"
    request = resolve_request(args, root, base_image=base, targets=targets or ())
    dist = (args.dist or root / "dist").resolve()
    if args.dry_run:
        plan = plan_build(request, engine)
        console.print(plan.render(), markup=False, highlight=False)
        if to_dist:
            console.print(f"# then: publish wheel, plan and verify report into {dist}", markup=False)
        return 0
    runner = make_runner(console)
    require_engine(engine, runner)
    results = []
    if args.base_image is None:
        ref, base_results = ensure_base_image(
            root, engine, runner, console, rebuild=False, workdir=ROOTFS_WORKDIR
        )
        results += base_results
        request = replace(request, base_image=ref)
    plan = plan_build(request, engine)
    extras = Extras()
    published: list[Path] = []
    try:
        step_results, products = execute_plan(plan, runner, console)
        results += step_results
        if products is not None and products.wheel is not None:
            extras = Extras(
                wheel_name=products.wheel.name,
                wheel_size=products.wheel.stat().st_size,
                verified=verified_per_device(products.verify) if products.verify else None,
            )
        if to_dist and products is not None:
            prefix = image_tag(request).split(":", 1)[1]
            published = publish(products, dist, prefix=prefix, checksums=checksums)
    finally:
        # Exports are copies; the staging tree never outlives the command.
        shutil.rmtree(request.staging, ignore_errors=True)
    title = f"{args.command}: profile {request.profile.name}, arch list {request.profile.arch_list}"
    print_summary(console, results, engine=engine, runner=runner, title=title, extras=extras)
    for path in published:
        console.print(f"wrote {path}")
    return 0
