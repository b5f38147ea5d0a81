"""Which targets each CUDA toolkit accepts.

The rows were read off the toolkits themselves: ``ptxas --help`` ("Allowed values for
this option") of the ``nvidia-cuda-nvcc-cu12`` 12.8.93 and 12.9.86 wheels and of nvcc
13.0.88, and ``nvcc --list-gpu-code`` of 13.0 (tests/test_cuda_table.py re-checks them
against the real tools). Facts the rows encode: ``f`` targets first appear in 12.9
(with sm_103 and sm_121); 13.0 drops everything below 7.5, adds 8.8, and renames
10.1 to 11.0 (NVIDIA CUDA 13.0 release notes).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from archforge.arch import ArchList, Capability, CodeKind, Target, Variant
from archforge.errors import ArchError

__all__ = ["DEFAULT_CUDA", "SUPPORTED_CUDA", "CudaVersion", "accepted_targets", "check_accepts", "parse_cuda"]


@dataclass(frozen=True, order=True)
class CudaVersion:
    major: int
    minor: int

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}"


def _caps(text: str) -> frozenset[Capability]:
    return frozenset(Capability.parse(t) for t in text.split())


# capability -> variants accepted, per toolkit. PTX (compute_*) names mirror SASS ones.
_TABLE: dict[CudaVersion, dict[Variant, frozenset[Capability]]] = {
    CudaVersion(12, 8): {
        Variant.PLAIN: _caps("5.0 5.2 5.3 6.0 6.1 6.2 7.0 7.2 7.5 8.0 8.6 8.7 8.9 9.0 10.0 10.1 12.0"),
        Variant.ARCH: _caps("9.0 10.0 10.1 12.0"),
        Variant.FAMILY: frozenset(),
    },
    CudaVersion(12, 9): {
        Variant.PLAIN: _caps(
            "5.0 5.2 5.3 6.0 6.1 6.2 7.0 7.2 7.5 8.0 8.6 8.7 8.9 9.0 10.0 10.1 10.3 12.0 12.1"
        ),
        Variant.ARCH: _caps("9.0 10.0 10.1 10.3 12.0 12.1"),
        Variant.FAMILY: _caps("10.0 10.1 10.3 12.0 12.1"),
    },
    CudaVersion(13, 0): {
        Variant.PLAIN: _caps("7.5 8.0 8.6 8.7 8.8 8.9 9.0 10.0 10.3 11.0 12.0 12.1"),
        Variant.ARCH: _caps("9.0 10.0 10.3 11.0 12.0 12.1"),
        Variant.FAMILY: _caps("10.0 10.3 11.0 12.0 12.1"),
    },
}

SUPPORTED_CUDA: tuple[CudaVersion, ...] = tuple(sorted(_TABLE))
# The toolkit archforge builds with unless told otherwise; versions.toml pins the same.
DEFAULT_CUDA = CudaVersion(13, 0)

# Why a capability vanished, for error messages.
_RENAMED = {(CudaVersion(13, 0), Capability(10, 1)): "CUDA 13.0 renamed 10.1 to 11.0"}


def parse_cuda(text: str) -> CudaVersion:
    """Parse ``"13.0"`` (also ``"13"`` and ``"12.9.1"``, taken as their major.minor)."""
    parts = text.strip().split(".")
    try:
        nums = [int(p) for p in parts]
    except ValueError:
        nums = []
    if not nums or len(nums) > 3:
        raise ArchError(f"invalid CUDA version {text!r}: expected one of {_supported()}")
    version = CudaVersion(nums[0], nums[1] if len(nums) > 1 else 0)
    if version not in _TABLE:
        raise ArchError(f"unsupported CUDA version {text!r}: archforge knows {_supported()}")
    return version


def _supported() -> str:
    return ", ".join(str(v) for v in SUPPORTED_CUDA)


@cache
def accepted_targets(cuda: CudaVersion) -> frozenset[Target]:
    """Every SASS and PTX target the toolkit accepts."""
    row = _TABLE[cuda]
    return frozenset(
        Target(cap, variant, kind) for variant, caps in row.items() for cap in caps for kind in CodeKind
    )


def accepts(cuda: CudaVersion, target: Target) -> bool:
    return target in accepted_targets(cuda)


def check_accepts(cuda: CudaVersion, arch_list: ArchList) -> None:
    """Raise :class:`ArchError` naming the first entry the toolkit does not accept."""
    for entry in arch_list.entries:
        for target in entry.targets:
            if accepts(cuda, target):
                continue
            cap = target.capability
            same_cap = sorted(
                t.arch_name for t in accepted_targets(cuda) if t.capability == cap and t.kind is CodeKind.SASS
            )
            if same_cap:
                valid = f"it accepts {', '.join(same_cap)} for {cap}"
            else:
                renamed = _RENAMED.get((cuda, cap))
                valid = (
                    (f"{renamed}; " if renamed else "")
                    + "it accepts "
                    + ", ".join(str(c) for c in sorted(_TABLE[cuda][Variant.PLAIN]))
                )
            hint = ""
            if target.variant is Variant.FAMILY and cap.major < 10:
                hint = " (family-specific 'f' targets exist from 10.0 on)"
            elif target.variant is Variant.FAMILY and not _TABLE[cuda][Variant.FAMILY]:
                hint = " ('f' targets need CUDA 12.9 or later)"
            raise ArchError(f"CUDA {cuda} does not accept {str(entry)!r}{hint}: {valid}")
