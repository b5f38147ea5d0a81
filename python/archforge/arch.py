"""The arch model: capabilities, targets, arch lists, and which device loads which code.

This module, with :mod:`archforge.cuda` (what each toolkit accepts) and
:mod:`archforge.select` (targets per kernel family), is the only place in archforge
where arch logic lives. Nothing here runs a compiler.

Vocabulary:

* a *capability* is a device's compute capability, ``12.1`` for DGX Spark (GB10);
* a *target* is what nvcc compiles for: SASS ``sm_121a`` or PTX ``compute_120f``;
* an *arch list* is ``TORCH_CUDA_ARCH_LIST`` syntax: ``8.9+PTX;9.0a;12.0f``. Each entry
  names one device capability and asks for SASS (and PTX with ``+PTX``) for it.
"""

from __future__ import annotations

import difflib
import enum
import re
import shlex
from dataclasses import dataclass
from functools import total_ordering
from typing import TYPE_CHECKING

from archforge.errors import ArchError

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

__all__ = [
    "ArchEntry",
    "ArchList",
    "Capability",
    "CodeKind",
    "LoadKind",
    "Target",
    "Variant",
    "best_load",
    "gencode_flags",
    "load_kind",
    "target_entries",
    "why_not",
]

_VALID_ENTRY_FORMS = "X.Y, X.Ya, X.Yf, optionally followed by +PTX (e.g. 8.9+PTX, 9.0a, 12.0f, 12.1a)"
_VALID_TARGET_FORMS = "sm_XY, sm_XYa, sm_XYf, compute_XY, compute_XYa, compute_XYf (e.g. sm_121a, compute_90)"


@total_ordering
class Variant(enum.Enum):
    """How specific a target is. Ordered by the features code may use: plain < f < a.

    NVIDIA, CUDA C++ Programming Guide (12.9+), "Feature Availability": architecture-
    specific features (``a``) are a superset of family-specific ones (``f``), which are a
    superset of the baseline features of the same compute capability.
    """

    PLAIN = ""
    FAMILY = "f"
    ARCH = "a"

    @property
    def suffix(self) -> str:
        return self.value

    @property
    def level(self) -> int:
        return _VARIANT_LEVEL[self]

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Variant):
            return NotImplemented
        return self.level < other.level


_VARIANT_LEVEL = {Variant.PLAIN: 0, Variant.FAMILY: 1, Variant.ARCH: 2}


@total_ordering
class CodeKind(enum.Enum):
    """Machine code for one chip (SASS, in a cubin) or virtual ISA the driver JIT-compiles (PTX).

    Ordered SASS before PTX, so sorted target lists read ``sm_90a, compute_90a``.
    """

    SASS = "sm"
    PTX = "compute"

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, CodeKind):
            return NotImplemented
        return self is CodeKind.SASS and other is CodeKind.PTX


class LoadKind(enum.Enum):
    """How a device comes to run a target's code."""

    NATIVE = "native"
    FAMILY = "family"
    BINARY_COMPATIBLE = "binary-compatible"
    PTX_JIT = "ptx-jit"


@dataclass(frozen=True, order=True)
class Capability:
    """A device compute capability, e.g. ``Capability(12, 1)`` for SM121."""

    major: int
    minor: int

    def __post_init__(self) -> None:
        if not (0 < self.major < 100 and 0 <= self.minor < 10):
            raise ArchError(f"invalid compute capability {self.major}.{self.minor}")

    @classmethod
    def parse(cls, text: str) -> Capability:
        """Parse ``"12.1"`` (also accepts ``"121"`` and ``"sm_121"`` for convenience)."""
        raw = text.strip()
        m = re.fullmatch(r"(\d{1,2})\.(\d)", raw) or re.fullmatch(r"(?:sm_?)?(\d{1,2})(\d)", raw)
        if m is None:
            raise ArchError(f"invalid compute capability {text!r}: expected X.Y, e.g. 12.1 or 9.0")
        return cls(int(m.group(1)), int(m.group(2)))

    @property
    def number(self) -> int:
        """The digits nvcc uses: 121 for 12.1."""
        return self.major * 10 + self.minor

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}"


@dataclass(frozen=True, order=True)
class Target:
    """One thing nvcc can generate: SASS for ``sm_XY[a|f]`` or PTX for ``compute_XY[a|f]``."""

    capability: Capability
    variant: Variant = Variant.PLAIN
    kind: CodeKind = CodeKind.SASS

    @classmethod
    def parse(cls, text: str) -> Target:
        m = re.fullmatch(r"(sm|compute)_(\d{1,2})(\d)([af]?)", text.strip())
        if m is None:
            raise ArchError(
                f"invalid target name {text!r}: expected {_VALID_TARGET_FORMS}{_suggest_target(text)}"
            )
        kind = CodeKind(m.group(1))
        return cls(Capability(int(m.group(2)), int(m.group(3))), Variant(m.group(4)), kind)

    @property
    def name(self) -> str:
        return f"{self.kind.value}_{self.capability.number}{self.variant.suffix}"

    @property
    def arch_name(self) -> str:
        """The arch-list spelling of the capability and variant: ``12.1a``."""
        return f"{self.capability}{self.variant.suffix}"

    def with_kind(self, kind: CodeKind) -> Target:
        return Target(self.capability, self.variant, kind)

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True, order=True)
class ArchEntry:
    """One ``TORCH_CUDA_ARCH_LIST`` entry: SASS for a capability and variant, PTX too if ``ptx``."""

    capability: Capability
    variant: Variant = Variant.PLAIN
    ptx: bool = False

    @classmethod
    def parse(cls, token: str) -> ArchEntry:
        m = re.fullmatch(r"(\d{1,2})\.(\d)([af]?)(\+PTX)?", token.strip(), flags=re.IGNORECASE)
        if m is None or (m.group(3) and m.group(3) != m.group(3).lower()):
            raise ArchError(
                f"invalid arch-list entry {token!r}: expected {_VALID_ENTRY_FORMS}{_suggest_entry(token)}"
            )
        cap = Capability(int(m.group(1)), int(m.group(2)))
        return cls(cap, Variant(m.group(3)), ptx=m.group(4) is not None)

    @property
    def sass(self) -> Target:
        return Target(self.capability, self.variant, CodeKind.SASS)

    @property
    def targets(self) -> tuple[Target, ...]:
        if self.ptx:
            return (self.sass, self.sass.with_kind(CodeKind.PTX))
        return (self.sass,)

    def __str__(self) -> str:
        return f"{self.capability}{self.variant.suffix}{'+PTX' if self.ptx else ''}"


@dataclass(frozen=True)
class ArchList:
    """A normalised arch list: entries sorted, de-duplicated, ``+PTX`` merged.

    Round-trips: ``ArchList.parse(str(al)) == al`` and
    ``ArchList.from_nvcc_flags(al.nvcc_flags()) == al``.
    """

    entries: tuple[ArchEntry, ...]

    @classmethod
    def of(cls, entries: Iterable[ArchEntry]) -> ArchList:
        merged: dict[tuple[Capability, Variant], bool] = {}
        for e in entries:
            key = (e.capability, e.variant)
            merged[key] = merged.get(key, False) or e.ptx
        return cls(tuple(ArchEntry(c, v, p) for (c, v), p in sorted(merged.items())))

    @classmethod
    def parse(cls, text: str) -> ArchList:
        """Parse ``TORCH_CUDA_ARCH_LIST`` syntax: entries separated by ``;``, ``,`` or spaces."""
        tokens = [t for t in re.split(r"[;,\s]+", text.strip()) if t]
        if not tokens:
            raise ArchError(f"empty arch list {text!r}: expected entries of the form {_VALID_ENTRY_FORMS}")
        entries = []
        for token in tokens:
            if token.upper() == "+PTX":
                raise ArchError(
                    f"invalid arch-list entry {token!r}: +PTX must follow a capability, e.g. 8.9+PTX"
                )
            entries.append(ArchEntry.parse(token))
        return cls.of(entries)

    @classmethod
    def from_targets(cls, targets: Iterable[Target]) -> ArchList:
        """Group targets into entries. PTX without the SASS of the same name cannot be written
        in arch-list syntax, so it is refused rather than silently widened."""
        sass = {t for t in targets if t.kind is CodeKind.SASS}
        ptx = {t for t in targets if t.kind is CodeKind.PTX}
        lone = sorted(p for p in ptx if p.with_kind(CodeKind.SASS) not in sass)
        if lone:
            names = ", ".join(p.name for p in lone)
            raise ArchError(
                f"PTX target(s) {names} have no SASS of the same capability: an arch list can "
                f"only say X.Y+PTX (SASS and PTX together)"
            )
        return cls.of(ArchEntry(s.capability, s.variant, s.with_kind(CodeKind.PTX) in ptx) for s in sass)

    @classmethod
    def from_nvcc_flags(cls, flags: str | Sequence[str]) -> ArchList:
        """Parse the arch flags of an nvcc command line; other flags are ignored."""
        return cls.from_targets(parse_nvcc_targets(flags))

    @property
    def targets(self) -> tuple[Target, ...]:
        return tuple(sorted(t for e in self.entries for t in e.targets))

    @property
    def capabilities(self) -> tuple[Capability, ...]:
        """The device capabilities the list names, in order, once each."""
        return tuple(dict.fromkeys(e.capability for e in self.entries))

    def nvcc_flags(self) -> list[str]:
        """One ``-gencode`` flag per entry, e.g. ``-gencode=arch=compute_89,code=[sm_89,compute_89]``."""
        flags = []
        for e in self.entries:
            virtual = e.sass.with_kind(CodeKind.PTX).name
            code = f"[{e.sass.name},{virtual}]" if e.ptx else e.sass.name
            flags.append(f"-gencode=arch={virtual},code={code}")
        return flags

    def __str__(self) -> str:
        return ";".join(str(e) for e in self.entries)

    def __len__(self) -> int:
        return len(self.entries)


def _lone_ptx(targets: Iterable[Target]) -> tuple[list[Target], list[Target]]:
    """Split targets into those an arch list can say and PTX that has no SASS twin."""
    targets = list(targets)
    sass = {t for t in targets if t.kind is CodeKind.SASS}
    lone = sorted(t for t in targets if t.kind is CodeKind.PTX and t.with_kind(CodeKind.SASS) not in sass)
    return [t for t in targets if t not in lone], lone


def target_entries(targets: Iterable[Target]) -> tuple[str, ...]:
    """Arch-list entries (``12.0f``, ``8.9+PTX``) for the targets, then PTX-only targets by
    name (``compute_120``), which arch-list syntax cannot express."""
    paired, lone = _lone_ptx(targets)
    entries = ArchList.from_targets(paired).entries if paired else ()
    return tuple(str(e) for e in entries) + tuple(t.name for t in lone)


def gencode_flags(targets: Iterable[Target]) -> list[str]:
    """nvcc ``-gencode`` flags embedding exactly ``targets``."""
    paired, lone = _lone_ptx(targets)
    flags = ArchList.from_targets(paired).nvcc_flags() if paired else []
    return flags + [f"-gencode=arch={t.name},code={t.name}" for t in lone]


def parse_target_list(text: str) -> tuple[Target, ...]:
    """Parse target names separated by ``;``, ``,`` or spaces: ``sm_121a;compute_120f``."""
    tokens = [t for t in re.split(r"[;,\s]+", text.strip()) if t]
    if not tokens:
        raise ArchError(f"empty target list {text!r}: expected {_VALID_TARGET_FORMS}")
    return tuple(sorted({Target.parse(t) for t in tokens}))


_GENCODE = re.compile(r"(?:-gencode|--generate-code)(?:=(.*))?")
_ARCH = re.compile(r"(?:-arch|--gpu-architecture)(?:=(.*))?")
_CODE = re.compile(r"(?:-code|--gpu-code)(?:=(.*))?")


def parse_nvcc_targets(flags: str | Sequence[str]) -> tuple[Target, ...]:
    """Targets named by nvcc's ``-gencode``/``--generate-code``, ``-arch`` and ``-code`` flags.

    ``-arch=sm_90a`` alone is nvcc's shorthand for SASS and PTX of ``90a`` (nvcc manual,
    "--gpu-architecture"); ``-arch=compute_90`` alone embeds PTX only.
    """
    tokens = shlex.split(flags) if isinstance(flags, str) else list(flags)
    targets: set[Target] = set()
    arch: str | None = None
    code: str | None = None
    i = 0
    while i < len(tokens):
        token = tokens[i]
        for pattern in (_GENCODE, _ARCH, _CODE):
            m = pattern.fullmatch(token)
            if m is None:
                continue
            value = m.group(1)
            if value is None:
                i += 1
                if i >= len(tokens):
                    raise ArchError(f"nvcc flag {token!r} is missing its value")
                value = tokens[i]
            if pattern is _GENCODE:
                targets.update(_parse_gencode(value))
            elif pattern is _ARCH:
                arch = value
            else:
                code = value
            break
        i += 1
    if arch is not None:
        targets.update(_parse_arch_code(arch, code))
    elif code is not None:
        raise ArchError(f"nvcc flag -code={code} needs -arch=compute_XY to say which PTX it compiles from")
    if not targets:
        raise ArchError(
            f"no arch flags in {' '.join(tokens)!r}: expected -gencode arch=compute_XY,code=sm_XY, "
            f"--generate-code=..., or -arch=sm_XY"
        )
    return tuple(sorted(targets))


def _split_code(value: str) -> list[str]:
    return [c for c in re.split(r"[,\s]+", value.strip().strip("[]\"'")) if c]


def _parse_gencode(value: str) -> set[Target]:
    m = re.fullmatch(r"\s*arch=([^,]+),\s*code=(.+)", value.strip().strip("\"'"))
    if m is None:
        raise ArchError(
            f"invalid -gencode value {value!r}: expected arch=compute_XY,code=sm_XY or "
            f"arch=compute_XY,code=[sm_XY,compute_XY]"
        )
    virtual = Target.parse(m.group(1))
    if virtual.kind is not CodeKind.PTX:
        raise ArchError(f"invalid -gencode value {value!r}: arch= takes a compute_XY name, got {m.group(1)}")
    return {Target.parse(c) for c in _split_code(m.group(2))}


def _parse_arch_code(arch: str, code: str | None) -> set[Target]:
    if arch in {"native", "all", "all-major"}:
        raise ArchError(
            f"-arch={arch} depends on the machine or the nvcc version; name targets explicitly, "
            f"e.g. -arch=sm_90a or -gencode arch=compute_121a,code=sm_121a"
        )
    target = Target.parse(arch)
    if code is not None:
        return {Target.parse(c) for c in _split_code(code)}
    if target.kind is CodeKind.SASS:
        return {target, target.with_kind(CodeKind.PTX)}
    return {target}


# -- Which device loads which code ----------------------------------------------------------
#
# NVIDIA, CUDA C++ Programming Guide, "Binary Compatibility": a cubin for sm_XY runs on
# devices of compute capability X.Z with Z >= Y (same major), never across majors.
# Same guide, "PTX Compatibility" / "Application Compatibility": PTX for compute_XY is
# JIT-compiled by the driver for any device of capability >= X.Y.
# Same guide (12.9+), "Feature Availability" -> "Architecture-Specific Features" and
# "Family-Specific Features": code for sm_XYa / compute_XYa runs only on X.Y exactly;
# code for sm_XYf / compute_XYf runs on X.Y and the later minors of the same major
# (NVIDIA Blackwell Compatibility Guide: sm_120f runs on 12.0 and 12.1, sm_100f on 10.0 and 10.3).


def load_kind(target: Target, device: Capability) -> LoadKind | None:
    """How ``device`` runs ``target``'s code, or ``None`` if it cannot load it."""
    cc = target.capability
    same_family = device.major == cc.major and device.minor >= cc.minor
    if target.kind is CodeKind.PTX:
        ok = {
            Variant.PLAIN: device >= cc,
            Variant.FAMILY: same_family,
            Variant.ARCH: device == cc,
        }[target.variant]
        return LoadKind.PTX_JIT if ok else None
    if device == cc:
        return LoadKind.NATIVE
    if target.variant is Variant.ARCH or not same_family:
        return None
    return LoadKind.FAMILY if target.variant is Variant.FAMILY else LoadKind.BINARY_COMPATIBLE


def why_not(target: Target, device: Capability) -> str:
    """A sentence saying why ``device`` cannot load ``target`` (or how it does)."""
    how = load_kind(target, device)
    if how is not None:
        return f"{target.name} loads on {device} ({how.value})"
    cc = target.capability
    if target.variant is Variant.ARCH:
        return f"{target.name} is arch-specific: it loads only on {cc}, not on {device}"
    if target.kind is CodeKind.PTX and target.variant is Variant.PLAIN:
        return f"{target.name} is PTX for {cc} and later; {device} is older"
    if device.major != cc.major:
        return f"{target.name} is SASS for the {cc.major}.x family; {device} is outside it"
    return f"{target.name} needs {cc} or a later {cc.major}.x device; {device} is older"


def _load_rank(target: Target, how: LoadKind) -> tuple[int, Capability, int]:
    # The driver prefers SASS built for the device, then the closest compatible SASS,
    # and JIT-compiles PTX only when no SASS fits (CUDA C++ Programming Guide,
    # "Application Compatibility").
    order = {LoadKind.NATIVE: 3, LoadKind.FAMILY: 2, LoadKind.BINARY_COMPATIBLE: 2, LoadKind.PTX_JIT: 1}
    return (order[how], target.capability, target.variant.level)


def best_load(targets: Iterable[Target], device: Capability) -> tuple[Target, LoadKind] | None:
    """The target the driver would pick for ``device`` among ``targets``, and how it loads."""
    loadable = [(t, how) for t in targets if (how := load_kind(t, device)) is not None]
    if not loadable:
        return None
    return max(loadable, key=lambda pair: _load_rank(*pair))


# -- Suggestions for bad input ---------------------------------------------------------------


def _suggest_entry(token: str) -> str:
    m = re.fullmatch(r"\s*(?:sm|compute)?_?(\d{1,2})(\d)([af]?)\s*", token, flags=re.IGNORECASE)
    if m:
        return f"; did you mean {m.group(1)}.{m.group(2)}{m.group(3).lower()}?"
    m = re.fullmatch(r"\s*(\d{1,2})\.(\d)([a-z]+)\s*", token, flags=re.IGNORECASE)
    if m:
        return f"; the suffix {m.group(3)!r} is not one of '', 'a', 'f'"
    return ""


def _suggest_target(text: str) -> str:
    m = re.fullmatch(r"\s*(sm|compute)_?(\d{1,2})\.?(\d)([af]?)\s*", text, flags=re.IGNORECASE)
    if m:
        return f"; did you mean {m.group(1).lower()}_{m.group(2)}{m.group(3)}{m.group(4).lower()}?"
    close = difflib.get_close_matches(text.lower(), ["sm_", "compute_"], n=1)
    return f"; names start with {close[0]}" if close else ""
