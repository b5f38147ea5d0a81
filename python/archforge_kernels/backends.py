"""Backend selection per op, as a table of candidates with data conditions.

Each op has an ordered list of :class:`Candidate` rows; the first row whose conditions
all hold on the current :class:`Context` is chosen. Conditions are data: which device
families or capabilities, which compiled kernel must load on the device, which installed
package version. :func:`explain` reports every row with the reason it was taken or not.
Nothing here probes hardware by itself: the :class:`Context` carries the platform, the
compiled-kernel query and the package-version lookup, so tests inject all three.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import metadata

from packaging.specifiers import SpecifierSet
from packaging.version import Version

from archforge_kernels.platform import DeviceCapability, Platform


class Backend(enum.Enum):
    FLASHINFER_CUTLASS = "flashinfer-cutlass"
    CUTLASS = "cutlass"
    MARLIN = "marlin"
    ARCHFORGE = "archforge"
    TORCH = "torch"
    """The pure-torch reference (archforge_kernels.reference): always runs, slowly."""


@dataclass(frozen=True, kw_only=True)
class DeviceRule:
    """Which GPUs a backend's hardware path exists on.

    ``families`` are majors * 10 (120 covers SM 12.0 and 12.1); ``capabilities`` are exact
    (89). A device matches if it is in either set (both empty: any GPU) and is at least
    ``minimum``.
    """

    families: frozenset[int] = frozenset()
    capabilities: frozenset[int] = frozenset()
    minimum: DeviceCapability | None = None
    gpu_required: bool = True
    text: str = "any CUDA GPU"

    def unmet(self, capability: DeviceCapability | None) -> str | None:
        if capability is None:
            return "no CUDA GPU" if self.gpu_required else None
        listed = bool(self.families or self.capabilities)
        in_list = capability.family in self.families or capability.to_int() in self.capabilities
        if (listed and not in_list) or (self.minimum is not None and capability < self.minimum):
            return f"needs {self.text}; this GPU is SM {capability}"
        return None


@dataclass(frozen=True, kw_only=True)
class KernelRule:
    """A kernel of this build that must load on the device (registry truth)."""

    family: str
    kernel: str


@dataclass(frozen=True, kw_only=True)
class PackageRule:
    """An installed distribution whose version must satisfy ``specifier``.

    ``when`` restricts the rule to some devices (a bug on one chip only); ``why`` cites it.
    """

    distribution: str
    specifier: SpecifierSet = field(default_factory=SpecifierSet)
    when: DeviceRule | None = None
    why: str = ""


@dataclass(frozen=True, kw_only=True)
class Candidate:
    backend: Backend
    device: DeviceRule = DeviceRule()
    kernel: KernelRule | None = None
    packages: tuple[PackageRule, ...] = ()
    note: str = ""


CompiledQuery = Callable[[str, str], "bool | None"]
"""(family, kernel) -> loads on the device; None when it cannot be asked (no GPU/extension)."""
VersionLookup = Callable[[str], "Version | None"]


def installed_version(distribution: str) -> Version | None:
    try:
        return Version(metadata.version(distribution))
    except metadata.PackageNotFoundError:
        return None


def extension_query(device: int) -> CompiledQuery:
    """Ask the loaded extension (cudaFuncGetAttributes) whether a kernel loads on ``device``."""

    def query(family: str, kernel: str) -> bool | None:
        try:
            from archforge_kernels import ops
        except ImportError:
            return None
        try:
            return ops.has_kernel(family, kernel, device)
        except ImportError:
            return None

    return query


@dataclass(frozen=True, kw_only=True)
class Context:
    platform: Platform
    compiled: CompiledQuery
    versions: VersionLookup = installed_version

    @classmethod
    def current(cls, device: int = 0) -> Context:
        return cls(platform=Platform(device=device), compiled=extension_query(device))


# The pure-torch references run wherever torch does, CPU included.
_ANY_DEVICE = DeviceRule(gpu_required=False, text="any torch device")
_SM100_SM12X = DeviceRule(families=frozenset({100, 110, 120}), text="the SM100, SM110 or SM12x family")
_FP8_MMA = DeviceRule(
    families=frozenset({120}),
    capabilities=frozenset({89}),
    text="FP8 mma.sync without a CUTLASS path: SM 8.9 or the SM12x family",
)

TABLE: Mapping[str, tuple[Candidate, ...]] = {
    "moe_nvfp4": (
        Candidate(
            backend=Backend.FLASHINFER_CUTLASS,
            device=DeviceRule(families=frozenset({100, 120}), text="the SM100 or SM12x family"),
            packages=(
                PackageRule(distribution="flashinfer-python"),
                PackageRule(
                    distribution="flashinfer-python",
                    specifier=SpecifierSet(">=0.6.8"),
                    when=DeviceRule(capabilities=frozenset({121}), text="SM 12.1"),
                    why="the CUTLASS MoE path is unusable on SM 12.1 (DGX Spark) up to flashinfer 0.6.7",
                ),
            ),
        ),
    ),
    "fp8_gemm": (
        Candidate(
            backend=Backend.CUTLASS,
            device=DeviceRule(
                families=frozenset({90, 100, 120}), text="SM 9.0, the SM100 or the SM12x family"
            ),
            kernel=KernelRule(family="scaled_mm_fp8", kernel="cutlass_scaled_mm"),
        ),
        Candidate(
            backend=Backend.MARLIN,
            device=_FP8_MMA,
            kernel=KernelRule(family="fp8_marlin", kernel="fp8_marlin_gemm_bf16"),
            note="activations are quantized per token (mma.sync e4m3 takes FP8 on both sides)",
        ),
        Candidate(backend=Backend.TORCH, device=_ANY_DEVICE, note="reference matmul, slow"),
    ),
    "nvfp4_quant": (
        Candidate(
            backend=Backend.ARCHFORGE,
            device=_SM100_SM12X,
            kernel=KernelRule(family="nvfp4_quant", kernel="scaled_fp4_quant"),
        ),
        Candidate(backend=Backend.TORCH, device=_ANY_DEVICE, note="reference, slow"),
    ),
    "fp8_quant": (
        Candidate(
            backend=Backend.ARCHFORGE,
            device=DeviceRule(minimum=DeviceCapability(8, 9), text="SM 8.9 or newer"),
            kernel=KernelRule(family="fp8_quant", kernel="dynamic_per_token_scaled_fp8_quant"),
        ),
        Candidate(backend=Backend.TORCH, device=_ANY_DEVICE, note="reference, slow"),
    ),
    "silu_and_mul": (
        Candidate(backend=Backend.ARCHFORGE, kernel=KernelRule(family="activation", kernel="silu_and_mul")),
        Candidate(backend=Backend.TORCH, device=_ANY_DEVICE, note="reference"),
    ),
    "rms_norm": (
        Candidate(backend=Backend.ARCHFORGE, kernel=KernelRule(family="activation", kernel="rms_norm")),
        Candidate(backend=Backend.TORCH, device=_ANY_DEVICE, note="reference"),
    ),
}


@dataclass(frozen=True, kw_only=True)
class Verdict:
    candidate: Candidate
    reasons: tuple[str, ...]
    """Why the candidate cannot be used; empty when it can."""

    @property
    def usable(self) -> bool:
        return not self.reasons


@dataclass(frozen=True, kw_only=True)
class Explanation:
    op: str
    device: str
    verdicts: tuple[Verdict, ...]

    @property
    def chosen(self) -> Backend | None:
        return next((v.candidate.backend for v in self.verdicts if v.usable), None)

    def __str__(self) -> str:
        chosen = self.chosen
        head = f"{self.op} on {self.device}: " + (chosen.value if chosen else "no usable backend")
        lines = [head]
        for verdict in self.verdicts:
            name = verdict.candidate.backend.value
            if verdict.usable:
                mark = "chosen" if verdict.candidate.backend is chosen else "usable"
                note = f" ({verdict.candidate.note})" if verdict.candidate.note else ""
                lines.append(f"  {name}: {mark}{note}")
            else:
                lines.append(f"  {name}: no: " + "; ".join(verdict.reasons))
        return "\n".join(lines)


def _judge(candidate: Candidate, context: Context) -> Verdict:
    capability = context.platform.capability()
    reasons: list[str] = []
    if (unmet := candidate.device.unmet(capability)) is not None:
        reasons.append(unmet)
    if candidate.kernel is not None and capability is not None:
        loaded = context.compiled(candidate.kernel.family, candidate.kernel.kernel)
        if loaded is None:
            reasons.append(f"cannot ask the extension about {candidate.kernel.family} (not loaded)")
        elif not loaded:
            reasons.append(f"this build has no {candidate.kernel.family} kernel for SM {capability}")
    elif candidate.kernel is not None and not reasons:
        reasons.append("no CUDA GPU")
    for rule in candidate.packages:
        if rule.when is not None and rule.when.unmet(capability) is not None:
            continue
        version = context.versions(rule.distribution)
        if version is None:
            reasons.append(f"{rule.distribution} is not installed")
        elif version not in rule.specifier:
            why = f": {rule.why}" if rule.why else ""
            reasons.append(f"{rule.distribution} {version} does not satisfy {rule.specifier}{why}")
    return Verdict(candidate=candidate, reasons=tuple(reasons))


def explain(op: str, context: Context | None = None) -> Explanation:
    """Every candidate backend of ``op`` with why it is or is not used."""
    try:
        candidates = TABLE[op]
    except KeyError:
        raise KeyError(f"unknown op {op!r}; known ops: {', '.join(sorted(TABLE))}") from None
    context = context if context is not None else Context.current()
    verdicts = tuple(_judge(candidate, context) for candidate in candidates)
    return Explanation(op=op, device=context.platform.describe(), verdicts=verdicts)


def select(op: str, context: Context | None = None) -> Backend | None:
    return explain(op, context).chosen
