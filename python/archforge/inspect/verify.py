"""Checks on what the inspector found: will each kernel load on each device, are the
required targets there, does it match a plan. Arch rules come from :mod:`archforge.arch`.

Results are records; the ``verify`` command renders them and maps them to an exit code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from archforge import arch
from archforge.errors import ArchError, ConfigError
from archforge.inspect.report import kernels_of
from archforge.plan import PLAN_SCHEMA, family_targets

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from pathlib import Path

    from archforge.inspect.model import FileReport

VERIFY_SCHEMA = "archforge.verify/1"


@dataclass(frozen=True, kw_only=True)
class Load:
    """How one device loads one kernel: the target it picks and how, or why it cannot."""

    device: arch.Capability
    target: arch.Target | None
    how: arch.LoadKind | None
    why: str


@dataclass(frozen=True, kw_only=True)
class KernelCheck:
    file: str
    name: str
    mangled: str
    targets: tuple[arch.Target, ...]
    loads: tuple[Load, ...]


@dataclass(frozen=True, kw_only=True)
class FamilyExpectation:
    """What a plan says one kernel family must carry."""

    name: str
    targets: frozenset[arch.Target]
    prefixes: tuple[str, ...]
    """Qualified-name prefixes of the family's kernels (``archforge::fp8_quant_kernels::``),
    matched anywhere in the demangled name; empty when the plan does not list them."""
    per_target: bool = False
    """Code-generated: one kernel instantiation per target, dispatched by device at run time,
    so a device needs one loadable instance, not every instance."""
    missing_on: frozenset[arch.Capability] = frozenset()
    """Devices the plan says get no code for this family: not loading there is expected."""

    def owns(self, kernel: KernelCheck) -> bool:
        return any(p in kernel.name or kernel.mangled.startswith(p) for p in self.prefixes)


@dataclass(frozen=True, kw_only=True)
class Verdict:
    devices: tuple[arch.Capability, ...]
    kernels: tuple[KernelCheck, ...]
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    def loadable(self, device: arch.Capability) -> int:
        return sum(
            1 for k in self.kernels for load in k.loads if load.device == device and load.how is not None
        )

    def summary(self) -> str:
        """One line a CI log can grep for: ``archforge verify: OK ...`` or ``... FAIL ...``."""
        per_device = ", ".join(f"{d}: {self.loadable(d)} loadable" for d in self.devices)
        counts = f"{len(self.kernels)} kernels" + (f", devices {per_device}" if self.devices else "")
        if self.ok:
            return f"archforge verify: OK {counts}"
        return f"archforge verify: FAIL {len(self.problems)} problems; {counts}"


def parse_targets(text: str) -> tuple[arch.Target, ...]:
    """``sm_121a``/``compute_90`` name one target; ``12.1a`` or ``8.9+PTX`` name its SASS (and PTX)."""
    if text.strip().startswith(("sm_", "compute_")):
        return (arch.Target.parse(text),)
    return arch.ArchEntry.parse(text).targets


def load_plan(path: Path) -> tuple[tuple[FamilyExpectation, ...], tuple[arch.Capability, ...]]:
    """The families (with their SASS and PTX targets) and devices of a plan JSON file."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read plan: {exc.strerror or exc}") from None
    except (ValueError, UnicodeError) as exc:
        raise ConfigError(f"{path}: not a JSON plan: {exc}") from None
    if not isinstance(doc, dict) or doc.get("schema") != PLAN_SCHEMA:
        raise ConfigError(f"{path}: expected a plan with schema {PLAN_SCHEMA!r}")
    try:
        device_docs = dict(doc.get("devices", {}))
        devices = tuple(arch.Capability.parse(str(d)) for d in device_docs)
        missing = {
            name: frozenset(
                arch.Capability.parse(str(d))
                for d, body in device_docs.items()
                if name in body.get("missing", {})
            )
            for name in dict(doc.get("families", {}))
        }
        families = tuple(
            _family(name, body, missing[name]) for name, body in dict(doc.get("families", {})).items()
        )
    except (TypeError, ValueError, AttributeError, ArchError) as exc:
        raise ConfigError(f"{path}: malformed plan: {exc}") from None
    return families, devices


def _family(name: str, body: Mapping[str, Any], missing_on: frozenset[arch.Capability]) -> FamilyExpectation:
    return FamilyExpectation(
        name=name,
        targets=frozenset(family_targets(body)),
        prefixes=tuple(str(p) for p in body.get("kernels", [])),
        per_target=bool(body.get("per_target_kernels", False)),
        missing_on=missing_on,
    )


def check_kernels(reports: Sequence[FileReport], devices: Sequence[arch.Capability]) -> list[KernelCheck]:
    checks: list[KernelCheck] = []
    for report in reports:
        for kernel in kernels_of(report):
            targets = tuple(arch.Target.parse(t) for t in kernel.targets)
            loads = []
            for device in devices:
                best = arch.best_load(targets, device)
                if best is None:
                    # The newest target's reason is the informative one; the rest are listed.
                    names = ", ".join(t.name for t in targets)
                    why = f"{arch.why_not(max(targets), device)} (targets: {names})"
                    loads.append(Load(device=device, target=None, how=None, why=why))
                else:
                    target, how = best
                    loads.append(
                        Load(device=device, target=target, how=how, why=arch.why_not(target, device))
                    )
            checks.append(
                KernelCheck(
                    file=report.display_path,
                    name=kernel.name,
                    mangled=kernel.mangled,
                    targets=targets,
                    loads=tuple(loads),
                )
            )
    return checks


def verify(
    reports: Sequence[FileReport],
    *,
    devices: Sequence[arch.Capability] = (),
    required: Iterable[arch.Target] = (),
    families: Sequence[FamilyExpectation] | None = None,
) -> Verdict:
    """Check every kernel of ``reports`` against the devices, required targets and plan."""
    kernels = check_kernels(reports, devices)
    problems: list[str] = []
    if not kernels:
        problems.append(
            "no CUDA kernels found in " + (", ".join(r.display_path for r in reports) or "the input")
        )
    problems.extend(
        f"{k.name} ({k.file}) will not load on {load.device}: {load.why}"
        for k in kernels
        for load in k.loads
        if load.how is None and not _expected_absent(k, load.device, families or (), kernels)
    )
    required = tuple(required)
    problems.extend(
        f"{k.name} ({k.file}) lacks required target {target.name}"
        for k in kernels
        for target in required
        if target not in k.targets
    )
    if families is not None:
        problems.extend(_against_plan(kernels, families))
    return Verdict(devices=tuple(devices), kernels=tuple(kernels), problems=tuple(problems))


def _expected_absent(
    kernel: KernelCheck,
    device: arch.Capability,
    families: Sequence[FamilyExpectation],
    kernels: Sequence[KernelCheck],
) -> bool:
    """Not loading on ``device`` is right: the plan gives the kernel's family no code there,
    or the family instantiates per target and a sibling instance loads there."""
    for f in families:
        if not f.owns(kernel):
            continue
        if device in f.missing_on:
            return True
        if f.per_target and any(
            f.owns(k) and any(ld.device == device and ld.how is not None for ld in k.loads) for k in kernels
        ):
            return True
    return False


def _against_plan(kernels: Sequence[KernelCheck], families: Sequence[FamilyExpectation]) -> list[str]:
    problems: list[str] = []
    planned = frozenset(t for f in families for t in f.targets)
    found: set[arch.Target] = {t for k in kernels for t in k.targets}
    for family in families:
        if not family.prefixes:
            # Without kernel names the plan can only be held against the files as a whole.
            problems.extend(
                f"family {family.name}: planned target {t.name} is in no inspected file"
                for t in sorted(family.targets - found)
            )
            continue
        members = [k for k in kernels if family.owns(k)]
        if not members:
            problems.append(f"family {family.name}: no kernel named {' or '.join(family.prefixes)}* found")
            continue
        # Code-generated families instantiate one kernel per target, so the family's
        # kernels together must carry every planned target; none may carry another.
        have = {t for k in members for t in k.targets}
        problems.extend(
            f"family {family.name}: planned target {t.name} is in none of its {len(members)} kernels"
            for t in sorted(family.targets - have)
        )
        for k in members:
            problems.extend(
                f"family {family.name}: kernel {k.name} ({k.file}) has unplanned {t.name}"
                for t in sorted(set(k.targets) - family.targets)
            )
    for target in sorted(found - planned):
        holders = sorted({k.name for k in kernels if target in k.targets})
        shown = ", ".join(holders[:3]) + (f" and {len(holders) - 3} more" if len(holders) > 3 else "")
        problems.append(f"target {target.name} is planned for no family (kernels {shown})")
    return problems


def verdict_json(verdict: Verdict) -> dict[str, Any]:
    return {
        "schema": VERIFY_SCHEMA,
        "ok": verdict.ok,
        "devices": [str(d) for d in verdict.devices],
        "kernels": [
            {
                "file": k.file,
                "name": k.name,
                "mangled": k.mangled,
                "targets": [t.name for t in k.targets],
                "loads": {
                    str(load.device): {
                        "target": load.target.name if load.target else None,
                        "how": load.how.value if load.how else None,
                        "why": load.why,
                    }
                    for load in k.loads
                },
            }
            for k in verdict.kernels
        ],
        "problems": list(verdict.problems),
        "summary": verdict.summary(),
    }
