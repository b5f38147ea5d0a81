"""The kernel manifest: every kernel family declared once, as typed records.

The default manifest ships with archforge (``archforge/data/kernels.toml``); a project
can pass its own with ``--manifest``. Unknown keys are errors with a suggestion, so a
typo cannot silently drop a family's requirement.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from archforge.arch import Capability, Target
from archforge.errors import ManifestError
from archforge.select import Requirement
from archforge.suggest import check_keys, did_you_mean

if TYPE_CHECKING:
    from pathlib import Path

    from archforge.cuda import CudaVersion

__all__ = ["Family", "Manifest", "Support", "load_manifest"]

_FAMILY_KEYS = {
    "description",
    "sources",
    "ops",
    "kernels",
    "per_target_kernels",
    "release",
    "forward_ptx",
    "defines",
    "support",
    "enabled",
}
_SUPPORT_KEYS = {"cuda", "targets", "min"}


@dataclass(frozen=True, kw_only=True)
class Support:
    """What a family's code needs, for the CUDA versions in ``cuda``."""

    cuda: SpecifierSet
    requirements: tuple[Requirement, ...]

    def covers(self, version: CudaVersion) -> bool:
        return Version(str(version)) in self.cuda


@dataclass(frozen=True, kw_only=True)
class Family:
    name: str
    description: str
    sources: tuple[str, ...]
    ops: tuple[str, ...]
    kernels: tuple[str, ...]
    """Qualified-name prefixes of the family's CUDA kernels, for verify and smoke."""
    per_target_kernels: bool
    """Code-generated: one kernel instantiation per target (a device needs just one)."""
    release: bool
    enabled: bool
    forward_ptx: bool
    defines: tuple[tuple[str, tuple[int, ...]], ...]
    """Compile definition -> the majors whose targets turn it on (empty: always)."""
    support: tuple[Support, ...]

    def requirements(self, cuda: CudaVersion) -> tuple[Requirement, ...]:
        """What the family needs on ``cuda``; empty when no support range covers it."""
        for s in self.support:
            if s.covers(cuda):
                return s.requirements
        return ()

    def defines_for(self, targets: tuple[Target, ...]) -> tuple[str, ...]:
        majors = {t.capability.major for t in targets}
        return tuple(name for name, on in self.defines if targets and (not on or majors & set(on)))


@dataclass(frozen=True, kw_only=True)
class Manifest:
    families: tuple[Family, ...]
    source: str

    def family(self, name: str) -> Family:
        for f in self.families:
            if f.name == name:
                return f
        names = [f.name for f in self.families]
        hint = did_you_mean(name, names)
        raise ManifestError(f"unknown kernel family {name!r}{hint} (known: {', '.join(names)})")


def _str_list(where: str, value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ManifestError(f"{where}: expected a list of strings, got {value!r}")
    return tuple(value)


def _parse_support(where: str, raw: object) -> Support:
    if not isinstance(raw, dict):
        raise ManifestError(f"{where}: expected a table, got {raw!r}")
    check_keys(where, raw, _SUPPORT_KEYS, ManifestError)
    try:
        spec = SpecifierSet(str(raw.get("cuda", "")))
    except InvalidSpecifier as exc:
        raise ManifestError(f"{where}: invalid cuda range {raw.get('cuda')!r}: {exc}") from None
    if ("targets" in raw) == ("min" in raw):
        raise ManifestError(f"{where}: give exactly one of 'targets' or 'min'")
    if "min" in raw:
        reqs: tuple[Requirement, ...] = (Requirement(Capability.parse(str(raw["min"])), open_ended=True),)
    else:
        reqs = tuple(Requirement.parse(t) for t in _str_list(f"{where}.targets", raw["targets"]))
    return Support(cuda=spec, requirements=reqs)


def _parse_family(name: str, raw: object) -> Family:
    where = f"families.{name}"
    if not isinstance(raw, dict):
        raise ManifestError(f"{where}: expected a table")
    check_keys(where, raw, _FAMILY_KEYS, ManifestError)
    defines_raw = raw.get("defines", {})
    if not isinstance(defines_raw, dict):
        raise ManifestError(f"{where}.defines: expected a table of name = [majors]")
    defines = []
    for define, majors in defines_raw.items():
        if not isinstance(majors, list) or not all(isinstance(m, int) for m in majors):
            raise ManifestError(f"{where}.defines.{define}: expected a list of integer majors")
        defines.append((define, tuple(majors)))
    support_raw = raw.get("support")
    if not isinstance(support_raw, list) or not support_raw:
        raise ManifestError(f"{where}.support: expected a non-empty list of tables")
    return Family(
        name=name,
        description=str(raw.get("description", "")),
        sources=_str_list(f"{where}.sources", raw.get("sources", [])),
        ops=_str_list(f"{where}.ops", raw.get("ops", [])),
        kernels=_str_list(f"{where}.kernels", raw.get("kernels", [])),
        per_target_kernels=bool(raw.get("per_target_kernels", False)),
        release=bool(raw.get("release", False)),
        enabled=bool(raw.get("enabled", True)),
        forward_ptx=bool(raw.get("forward_ptx", False)),
        defines=tuple(defines),
        support=tuple(_parse_support(f"{where}.support[{i}]", s) for i, s in enumerate(support_raw)),
    )


def parse_manifest(text: str, source: str) -> Manifest:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError(f"{source}: not valid TOML: {exc}") from None
    check_keys(source, data, {"schema", "families"}, ManifestError)
    if data.get("schema") != 1:
        raise ManifestError(f"{source}: unsupported schema {data.get('schema')!r} (expected 1)")
    families = data.get("families")
    if not isinstance(families, dict) or not families:
        raise ManifestError(f"{source}: no [families.*] tables")
    return Manifest(families=tuple(_parse_family(n, f) for n, f in families.items()), source=source)


def load_manifest(path: Path | None = None) -> Manifest:
    """Load ``path``, or the manifest that ships with archforge."""
    if path is None:
        ref = resources.files("archforge") / "data" / "kernels.toml"
        return parse_manifest(ref.read_text(encoding="utf-8"), "archforge/data/kernels.toml")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ManifestError(f"cannot read manifest {path}: {exc.strerror}") from None
    return parse_manifest(text, str(path))
