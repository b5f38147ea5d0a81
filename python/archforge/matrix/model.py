"""The matrix file as typed records, and the compile units its entries share.

A compile unit is one source file compiled for one target with one set of compile
definitions, on one CUDA version: exactly what a compiler cache keys on once each target
is compiled by its own nvcc invocation. Entries that share a unit can share its object.
Family-wide defines that depend on the *whole* target list (``ENABLE_NVFP4_SM100`` when any
10.x target is present) are part of the key, because they change the preprocessed source:
the report shows where such defines split units that would otherwise be shared.
"""

from __future__ import annotations

import tomllib
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from archforge.arch import ArchList, Capability
from archforge.cuda import DEFAULT_CUDA, CudaVersion, parse_cuda
from archforge.errors import ConfigError
from archforge.plan import Plan, make_plan
from archforge.suggest import check_keys, did_you_mean

if TYPE_CHECKING:
    from pathlib import Path

    from archforge.manifest import Manifest

__all__ = ["CompileUnit", "Entry", "Matrix", "compile_units", "load_matrix"]

_ENTRY_KEYS = {"description", "arch_list", "cuda", "profile", "require"}


@dataclass(frozen=True, kw_only=True)
class Entry:
    name: str
    description: str
    arch_list: ArchList
    cuda: CudaVersion
    profile: str
    require: tuple[tuple[Capability, tuple[str, ...]], ...]


@dataclass(frozen=True, kw_only=True)
class Matrix:
    entries: tuple[Entry, ...]

    def select(self, names: list[str]) -> Matrix:
        known = {e.name: e for e in self.entries}
        for n in names:
            if n not in known:
                hint = did_you_mean(n, known)
                raise ConfigError(f"no matrix entry {n!r}{hint} (entries: {', '.join(known)})")
        return Matrix(entries=tuple(known[n] for n in names)) if names else self


@dataclass(frozen=True, order=True)
class CompileUnit:
    cuda: str
    source: str
    target: str
    defines: tuple[str, ...]


def _entry(name: str, raw: Any, where: str) -> Entry:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a table")
    check_keys(where, raw, _ENTRY_KEYS, ConfigError)
    if "arch_list" not in raw:
        raise ConfigError(f"{where}: missing arch_list")
    require = tuple(
        (Capability.parse(dev), tuple(str(f) for f in fams))
        for dev, fams in dict(raw.get("require", {})).items()
    )
    return Entry(
        name=name,
        description=str(raw.get("description", "")),
        arch_list=ArchList.parse(str(raw["arch_list"])),
        cuda=parse_cuda(str(raw["cuda"])) if "cuda" in raw else DEFAULT_CUDA,
        profile=str(raw.get("profile", "default")),
        require=require,
    )


def load_matrix(path: Path) -> Matrix:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read matrix file {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    if data.get("schema") != 1:
        raise ConfigError(f"{path}: unsupported schema {data.get('schema')!r} (expected 1)")
    entries = data.get("entries")
    if not isinstance(entries, dict) or not entries:
        raise ConfigError(f"{path}: no [entries.*] tables")
    return Matrix(entries=tuple(_entry(n, e, f"{path}: entries.{n}") for n, e in entries.items()))


def entry_plans(matrix: Matrix, manifest: Manifest) -> dict[str, Plan]:
    return {e.name: make_plan(manifest, e.arch_list, e.cuda) for e in matrix.entries}


def compile_units(plans: dict[str, Plan]) -> dict[CompileUnit, tuple[str, ...]]:
    """Every compile unit of every entry, and the entries that need it."""
    users: dict[CompileUnit, list[str]] = defaultdict(list)
    for name, plan in plans.items():
        for fam in plan.built:
            for source in fam.family.sources:
                for target in fam.targets:
                    unit = CompileUnit(str(plan.cuda), source, target.name, fam.defines)
                    users[unit].append(name)
    return {u: tuple(v) for u, v in sorted(users.items())}


def missing_requirements(entry: Entry, plan: Plan) -> list[str]:
    """Families the matrix file requires per device that the entry's plan does not give."""
    problems = []
    for device, families in entry.require:
        dev = next((d for d in plan.devices if d.capability == device), None)
        got = set(dev.loads) if dev else set()
        problems += [
            f"{entry.name}: {fam} required on {device} but "
            + (dev.missing.get(fam, "not planned") if dev else f"{device} is not in the arch list")
            for fam in families
            if fam not in got
        ]
    return problems
