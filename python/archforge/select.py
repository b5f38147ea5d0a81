"""Target selection: which targets to compile one kernel family for.

Given what a family needs (its :class:`Requirement` list for the CUDA version) and the
requested arch list, choose targets so that:

1. every requested device the family can serve gets code that loads on it *and* has
   the features the family needs (plain < ``f`` < ``a`` for the same capability);
2. the user's own entry is kept exactly where it satisfies the family;
3. the set is minimal: one target per requested entry at most, and a substitute is added
   only for a device no chosen target already serves;
4. every requested device the family cannot serve is reported with the reason.

This is where real projects lost kernels: an arch guard that knew ``12.0a`` but not
``12.1a``, or a plain ``12.1`` request compiled as plain ``sm_121`` for code that needs
family features.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from archforge.arch import (
    ArchEntry,
    ArchList,
    Capability,
    CodeKind,
    LoadKind,
    Target,
    Variant,
    best_load,
    load_kind,
    target_entries,
)
from archforge.cuda import CudaVersion, accepted_targets
from archforge.errors import ManifestError

__all__ = ["Requirement", "Selection", "select_targets"]


@dataclass(frozen=True, order=True)
class Requirement:
    """What a family's code needs to compile for one capability.

    * ``12.0`` (plain): baseline features of 12.0, so any target of major 12 with minor >= 0
      (``f`` and ``a`` have more features, so they satisfy it too);
    * ``12.0f``: the 12.x family features, so ``sm_12Yf`` or ``sm_12Ya`` with Y >= 0;
    * ``12.0a``: the arch-specific features of 12.0 exactly, so only ``sm_120a``;
    * ``open_ended`` (the manifest's ``min``): baseline features of any capability >= it.
    """

    capability: Capability
    variant: Variant = Variant.PLAIN
    open_ended: bool = False

    @classmethod
    def parse(cls, text: str) -> Requirement:
        m = re.fullmatch(r"(\d{1,2})\.(\d)([af]?)", text.strip())
        if m is None:
            raise ManifestError(f"invalid requirement {text!r}: expected X.Y, X.Yf or X.Ya")
        return cls(Capability(int(m.group(1)), int(m.group(2))), Variant(m.group(3)))

    def satisfied_by(self, target: Target) -> bool:
        have, need = target.capability, self.capability
        if self.open_ended:
            return have >= need
        if self.variant is Variant.ARCH:
            return target.variant is Variant.ARCH and have == need
        if have.major != need.major or have.minor < need.minor:
            return False
        return target.variant >= self.variant

    def __str__(self) -> str:
        if self.open_ended:
            return f"{self.capability} and later"
        return f"{self.capability}{self.variant.suffix}"


@dataclass(frozen=True, kw_only=True)
class Selection:
    """The outcome for one family: targets, and per requested device how or why not."""

    targets: tuple[Target, ...]
    served: dict[Capability, tuple[Target, LoadKind]]
    missing: dict[Capability, str]
    notes: tuple[str, ...]

    def describe(self) -> str:
        return ";".join(target_entries(self.targets))


def _satisfies(reqs: tuple[Requirement, ...], target: Target) -> bool:
    return any(r.satisfied_by(target) for r in reqs)


def _candidates(reqs: tuple[Requirement, ...], entry: ArchEntry, cuda: CudaVersion) -> list[Target]:
    """Targets that serve the entry's device, best first: the same capability at the
    lowest sufficient variant (plain, then f, then a), then older capabilities of the
    same major whose code loads on the device (newest first)."""
    device = entry.capability
    pool = [
        t
        for t in accepted_targets(cuda)
        if t.kind is CodeKind.SASS and _satisfies(reqs, t) and load_kind(t, device) is not None
    ]
    return sorted(pool, key=lambda t: (t.capability != device, -t.capability.number, t.variant.level))


def _missing_reason(reqs: tuple[Requirement, ...], device: Capability, cuda: CudaVersion) -> str:
    needs = ", ".join(str(r) for r in reqs) or "nothing on this CUDA version"
    # Would a target satisfying the family load on the device if the toolkit accepted it?
    wanted = [
        Target(device, v)
        for v in Variant
        if _satisfies(reqs, Target(device, v)) and Target(device, v) not in accepted_targets(cuda)
    ]
    if wanted:
        return f"needs {needs}; that means {wanted[0].name} for {device}, which CUDA {cuda} does not accept"
    loaders = sorted(
        t.name
        for t in accepted_targets(cuda)
        if t.kind is CodeKind.SASS and _satisfies(reqs, t) and t.capability.major == device.major
    )
    if loaders:
        return f"needs {needs} on CUDA {cuda}: {', '.join(loaders)} cannot load on {device}"
    return f"needs {needs} on CUDA {cuda}; {device} has none of those features"


def select_targets(
    reqs: tuple[Requirement, ...],
    arch_list: ArchList,
    cuda: CudaVersion,
    *,
    family: str,
    forward_ptx: bool = False,
) -> Selection:
    """Choose a family's targets for ``arch_list`` on ``cuda`` (see the module docstring)."""
    accepted = accepted_targets(cuda)
    chosen: dict[Target, bool] = {}  # SASS target -> emit PTX of the same name too
    notes: list[str] = []
    pending: list[ArchEntry] = []
    for entry in arch_list.entries:
        if entry.sass in accepted and _satisfies(reqs, entry.sass):
            chosen[entry.sass] = chosen.get(entry.sass, False) or entry.ptx
        else:
            pending.append(entry)

    missing: dict[Capability, str] = {}
    for entry in pending:
        device = entry.capability
        if any(load_kind(t, device) is not None for t in chosen):
            continue  # an honoured entry already serves this device with the features needed
        candidates = _candidates(reqs, entry, cuda)
        if not candidates:
            missing.setdefault(device, _missing_reason(reqs, device, cuda))
            continue
        pick = candidates[0]
        chosen[pick] = chosen.get(pick, False) or (entry.ptx and pick.with_kind(CodeKind.PTX) in accepted)
        notes.append(f"{entry} -> {pick.arch_name}: {family} needs {', '.join(str(r) for r in reqs)}")

    extra: set[Target] = set()
    if forward_ptx and chosen:
        extra = _forward_ptx(reqs, chosen, accepted, notes, family)

    targets = sorted(
        {t for s, ptx in chosen.items() for t in ((s, s.with_kind(CodeKind.PTX)) if ptx else (s,))} | extra
    )
    served: dict[Capability, tuple[Target, LoadKind]] = {}
    for device in arch_list.capabilities:
        if device in missing:
            continue
        best = best_load(targets, device)
        if best is None:  # pragma: no cover - the loop above guarantees a loader
            missing[device] = f"{family}: no chosen target loads on {device}"
        else:
            served[device] = best
    return Selection(targets=tuple(targets), served=served, missing=missing, notes=tuple(notes))


def _forward_ptx(
    reqs: tuple[Requirement, ...],
    chosen: dict[Target, bool],
    accepted: frozenset[Target],
    notes: list[str],
    family: str,
) -> set[Target]:
    """Embed plain PTX of the newest chosen capability, so later GPUs can JIT the family.

    Only plain PTX JIT-compiles on later majors; ``a``/``f`` PTX does not. When the plain
    SASS of that capability is chosen, its PTX rides along (``12.0+PTX``); otherwise the PTX
    goes alone (``compute_120``): adding plain ``sm_120`` beside ``sm_120f`` would cost a
    compile, and nvcc 13.0 refuses the pair ("same GPU code generated for non
    family-specific and family-specific GPU arch").
    """
    newest = max(t.capability for t in chosen)
    plain = Target(newest)
    ptx = plain.with_kind(CodeKind.PTX)
    if ptx not in accepted or not _satisfies(reqs, plain):
        return set()
    if plain in chosen:
        chosen[plain] = True
        return set()
    notes.append(f"{family}: + {ptx.name} for forward compatibility (PTX JIT on later GPUs)")
    return {ptx}
