"""The plan: per kernel family the targets to build, per requested device what it gets.

Planning is pure: (manifest, arch list, CUDA version) in, a frozen :class:`Plan` out. No
compiler runs. Renderers turn a plan into JSON (schema ``archforge.plan/1``, see
docs/plan.md) and into a file CMake can ``include()``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from archforge.arch import ArchList, Capability, CodeKind, LoadKind, Target, gencode_flags, target_entries
from archforge.cuda import SUPPORTED_CUDA, CudaVersion, check_accepts
from archforge.errors import ArchError
from archforge.select import select_targets

if TYPE_CHECKING:
    from collections.abc import Mapping

    from archforge.manifest import Family, Manifest

__all__ = ["PLAN_SCHEMA", "DevicePlan", "FamilyPlan", "Plan", "family_targets", "make_plan"]

PLAN_SCHEMA = "archforge.plan/1"


@dataclass(frozen=True, kw_only=True)
class FamilyPlan:
    family: Family
    targets: tuple[Target, ...]
    notes: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.family.name

    @property
    def entries(self) -> tuple[str, ...]:
        """Arch-list form (``12.0f``, ``8.9+PTX``); PTX-only targets by name (``compute_120``)."""
        return target_entries(self.targets)

    @property
    def sass(self) -> tuple[Target, ...]:
        return tuple(t for t in self.targets if t.kind is CodeKind.SASS)

    @property
    def ptx(self) -> tuple[Target, ...]:
        return tuple(t for t in self.targets if t.kind is CodeKind.PTX)

    @property
    def defines(self) -> tuple[str, ...]:
        return self.family.defines_for(self.targets)

    def gencode(self) -> list[str]:
        return gencode_flags(self.targets)


@dataclass(frozen=True, kw_only=True)
class DevicePlan:
    capability: Capability
    loads: dict[str, tuple[Target, LoadKind]]
    """Family -> the target the device will run, and how."""
    missing: dict[str, str]
    """Family -> why the device gets no code for it."""


@dataclass(frozen=True, kw_only=True)
class Plan:
    cuda: CudaVersion
    arch_list: ArchList
    manifest_source: str
    families: tuple[FamilyPlan, ...]
    devices: tuple[DevicePlan, ...]
    disabled: tuple[Family, ...]
    errors: tuple[str, ...]
    """A release-required family gets no code for a device it could serve: builds must fail."""

    @property
    def built(self) -> tuple[FamilyPlan, ...]:
        return tuple(f for f in self.families if f.targets)

    @property
    def empty(self) -> tuple[FamilyPlan, ...]:
        return tuple(f for f in self.families if not f.targets)

    def family(self, name: str) -> FamilyPlan:
        for f in self.families:
            if f.name == name:
                return f
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        """The JSON body (schema ``archforge.plan/1``), its digest last."""
        return {**self._body, "digest": self.digest}

    @cached_property
    def _body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "schema": PLAN_SCHEMA,
            "cuda": str(self.cuda),
            "arch_list": str(self.arch_list),
            "manifest": self.manifest_source,
            "families": {
                f.name: {
                    "targets": list(f.entries),
                    "sass": [t.name for t in f.sass],
                    "ptx": [t.name for t in f.ptx],
                    "gencode": f.gencode(),
                    "defines": list(f.defines),
                    "sources": list(f.family.sources),
                    "ops": list(f.family.ops),
                    "kernels": list(f.family.kernels),
                    "per_target_kernels": f.family.per_target_kernels,
                    "release": f.family.release,
                    "notes": list(f.notes),
                }
                for f in self.families
            },
            "devices": {
                str(d.capability): {
                    "families": list(d.loads),
                    "loads": {
                        name: {"target": t.name, "how": how.value} for name, (t, how) in d.loads.items()
                    },
                    "missing": dict(d.missing),
                }
                for d in self.devices
            },
            "disabled": {f.name: f.description for f in self.disabled},
            "errors": list(self.errors),
        }
        return body

    @cached_property
    def digest(self) -> str:
        """sha256 over the canonical JSON body; renderers ask for it more than once."""
        return _digest(self._body)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2) + "\n"


def family_targets(body: Mapping[str, Any]) -> tuple[Target, ...]:
    """The SASS and PTX targets of one family in plan JSON (``families.<name>``)."""
    return tuple(Target.parse(str(n)) for n in [*body.get("sass", []), *body.get("ptx", [])])


def _digest(body: dict[str, Any]) -> str:
    canonical = json.dumps(body, sort_keys=True)
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def _could_serve(family: Family, device: Capability) -> list[CudaVersion]:
    """CUDA versions on which the family would get code for ``device``."""
    out = []
    for version in SUPPORTED_CUDA:
        reqs = family.requirements(version)
        try:
            single = ArchList.parse(str(device))
            check_accepts(version, single)
        except ArchError:  # the device does not exist on that toolkit
            continue
        if reqs and device in select_targets(reqs, single, version, family=family.name).served:
            out.append(version)
    return out


def make_plan(manifest: Manifest, arch_list: ArchList, cuda: CudaVersion) -> Plan:
    """Choose targets for every enabled family; raises ArchError for entries ``cuda`` refuses."""
    check_accepts(cuda, arch_list)
    family_plans: list[FamilyPlan] = []
    loads: dict[Capability, dict[str, tuple[Target, LoadKind]]] = {c: {} for c in arch_list.capabilities}
    missing: dict[Capability, dict[str, str]] = {c: {} for c in arch_list.capabilities}
    errors: list[str] = []
    for family in manifest.families:
        if not family.enabled:
            continue
        reqs = family.requirements(cuda)
        sel = select_targets(reqs, arch_list, cuda, family=family.name, forward_ptx=family.forward_ptx)
        family_plans.append(FamilyPlan(family=family, targets=sel.targets, notes=sel.notes))
        for device, load in sel.served.items():
            loads[device][family.name] = load
        for device, reason in sel.missing.items():
            missing[device][family.name] = reason
            if not family.release:
                continue
            elsewhere = [v for v in _could_serve(family, device) if v != cuda]
            if elsewhere:
                others = ", ".join(str(v) for v in elsewhere)
                errors.append(
                    f"release family {family.name} gets no code for {device} on CUDA {cuda} "
                    f"({reason}); fix: build with CUDA {others}, or drop {device} from the arch list"
                )
    devices = tuple(
        DevicePlan(capability=c, loads=loads[c], missing=missing[c]) for c in arch_list.capabilities
    )
    return Plan(
        cuda=cuda,
        arch_list=arch_list,
        manifest_source=manifest.source,
        families=tuple(family_plans),
        devices=devices,
        disabled=tuple(f for f in manifest.families if not f.enabled),
        errors=tuple(errors),
    )
