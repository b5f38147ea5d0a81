"""Running a build plan to its products: images, and files published into dist/.

Exports land in a staging directory next to dist/ (same filesystem) and are moved
in with :func:`os.replace` only once every stage succeeded, so an interrupted or
failed build leaves dist/ as it was. SHA256SUMS is written last, the same way.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from archforge.container.cli_common import resolve_ca
from archforge.container.config import PROFILES_FILE, VERSIONS_FILE, Pins, get_profile, project_version
from archforge.container.execute import run_step
from archforge.container.plan import PLAN_DIGEST_PLACEHOLDER, BuildRequest
from archforge.container.subset import parse_kernels
from archforge.errors import BuildError, ConfigError

if TYPE_CHECKING:
    import argparse
    from pathlib import Path

    from rich.console import Console

    from archforge.container.execute import StepResult
    from archforge.container.plan import BuildPlan
    from archforge.runner import Runner


def resolve_request(
    args: argparse.Namespace, root: Path, *, base_image: str, targets: tuple[str, ...]
) -> BuildRequest:
    """Profile from ci/profiles.toml, overridden by the command line."""
    pins = Pins.load(root / VERSIONS_FILE)
    profile = get_profile(root / PROFILES_FILE, args.profile)
    if args.arch_list is not None:
        profile = replace(profile, arch_list=args.arch_list)
    if args.kernels is not None:
        profile = replace(profile, kernels=parse_kernels(args.kernels))
    if args.max_jobs is not None:
        if args.max_jobs < 1:
            raise ConfigError("--max-jobs must be >= 1")
        profile = replace(profile, max_jobs=args.max_jobs)
    return BuildRequest(
        root=root,
        pins=pins,
        profile=profile,
        base_image=base_image,
        version=project_version(root),
        ca_bundle=resolve_ca(args),
        staging=root / "build" / "staging" / profile.name,
        source_revision=_git_revision(root),
        created=_created(root),
        targets=targets,
        push_registry=getattr(args, "push", None),
    )


def _git_revision(root: Path) -> str:
    # Informational (an OCI label); a tarball checkout without git simply has none.
    git = shutil.which("git")
    if git is None:
        return ""
    proc = subprocess.run(
        [git, "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, check=False
    )
    return proc.stdout.strip() if proc.returncode == 0 else ""


def _created(root: Path) -> str:
    # SOURCE_DATE_EPOCH, else the commit time, never "now": a label that changes on
    # every run would invalidate the runtime and test stages' build cache each time.
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if not epoch:
        git = shutil.which("git")
        if git is not None:
            proc = subprocess.run(
                [git, "-C", str(root), "log", "-1", "--format=%ct"],
                capture_output=True,
                text=True,
                check=False,
            )
            epoch = proc.stdout.strip() if proc.returncode == 0 else ""
    when = dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC) if epoch else dt.datetime.now(dt.UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, kw_only=True)
class Products:
    """What the build exported: paths in the staging directory."""

    wheel: Path | None
    plan: Path | None
    verify: Path | None
    plan_digest: str


def read_products(staging: Path) -> Products:
    wheels = sorted(staging.glob("*.whl"))
    if len(wheels) > 1:
        raise BuildError(f"wheel stage exported {len(wheels)} wheels into {staging}; expected one")
    plan = staging / "plan.json"
    verify = staging / "verify.json"
    digest = ""
    if plan.is_file():
        data = json.loads(plan.read_text(encoding="utf-8"))
        digest = str(data.get("digest", "")) if isinstance(data, dict) else ""
    return Products(
        wheel=wheels[0] if wheels else None,
        plan=plan if plan.is_file() else None,
        verify=verify if verify.is_file() else None,
        plan_digest=digest,
    )


def execute_plan(
    plan: BuildPlan, runner: Runner, console: Console
) -> tuple[list[StepResult], Products | None]:
    """Run every step; the wheel stage's plan digest feeds the later (labelled) stages."""
    staging = plan.request.staging
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    values: dict[str, str] = {}
    results = []
    products = None
    log_dir = plan.request.root / "build" / "logs" / plan.request.profile.name
    for step in plan.steps:
        if PLAN_DIGEST_PLACEHOLDER in step.render() and PLAN_DIGEST_PLACEHOLDER not in values:
            raise BuildError(f"stage {step.name!r} needs the plan digest, but no wheel stage ran before it")
        results.append(run_step(step.resolve(values), runner, log_dir, console))
        if step.output_dir is not None:
            products = read_products(step.output_dir)
            values[PLAN_DIGEST_PLACEHOLDER] = products.plan_digest
    return results, products


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def publish(products: Products, dist: Path, *, prefix: str, checksums: bool) -> list[Path]:
    """Move the products into ``dist``: each file appears whole or not at all.

    The wheel keeps its name; plan and verify report get ``prefix`` (image tag
    without the repository) so releases of several profiles can share one dist/.
    """
    dist.mkdir(parents=True, exist_ok=True)
    moves: list[tuple[Path, str]] = []
    if products.wheel is not None:
        moves.append((products.wheel, products.wheel.name))
    if products.plan is not None:
        moves.append((products.plan, f"{prefix}.plan.json"))
    if products.verify is not None:
        moves.append((products.verify, f"{prefix}.verify.json"))
    published = []
    for src, name in moves:
        dest = dist / name
        tmp = dist / f".{name}.partial"
        # Copy into dist/ under a hidden name first: the staging tree may be on another
        # filesystem, and os.replace is atomic only within one.
        shutil.copyfile(src, tmp)
        tmp.chmod(0o644)
        tmp.replace(dest)
        published.append(dest)
    if checksums and published:
        sums = "".join(f"{sha256_file(p)}  {p.name}\n" for p in published)
        tmp = dist / ".SHA256SUMS.partial"
        tmp.write_text(sums, encoding="utf-8")
        tmp.replace(dist / "SHA256SUMS")
        published.append(dist / "SHA256SUMS")
    return published


def verified_per_device(verify_json: Path) -> dict[str, str]:
    """Device -> ``"N/M kernels (native a, ptx b)"`` from an archforge.verify/1 report."""
    data: Any = json.loads(verify_json.read_text(encoding="utf-8"))
    kernels = data.get("kernels", []) if isinstance(data, dict) else []
    devices = data.get("devices", []) if isinstance(data, dict) else []
    out: dict[str, str] = {}
    for device in devices:
        hows: dict[str, int] = {}
        for kernel in kernels:
            load = kernel.get("loads", {}).get(device) or {}
            # "how" is null for a kernel that does not load on this device (by plan:
            # e.g. an sm_121a-only variant on 9.0); verify's "ok" judges those.
            if load.get("how"):
                how = str(load["how"])
                hows[how] = hows.get(how, 0) + 1
        loaded = sum(hows.values())
        detail = ", ".join(f"{how} {n}" for how, n in sorted(hows.items()))
        out[f"sm_{device.replace('.', '')}"] = f"{loaded}/{len(kernels)} kernels ({detail})"
    status = "OK" if isinstance(data, dict) and data.get("ok") else "FAILED"
    out["verify"] = status
    return out
