"""Run configurations that are checked against the device when they are built.

A configuration that cannot run here fails at construction with what to do instead,
not later inside a kernel launch.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from archforge_kernels.backends import DeviceRule
from archforge_kernels.errors import UnsupportedConfigError
from archforge_kernels.platform import DeviceCapability, Platform


class KVCacheDtype(enum.Enum):
    AUTO = "auto"
    FP8_E4M3 = "fp8_e4m3"
    NVFP4 = "nvfp4"


# What each KV-cache format needs from the GPU, and what to use otherwise.
_KV_CACHE_REQUIREMENTS: dict[KVCacheDtype, tuple[DeviceRule, str]] = {
    KVCacheDtype.AUTO: (DeviceRule(), ""),
    KVCacheDtype.FP8_E4M3: (
        DeviceRule(minimum=DeviceCapability(8, 9), text="SM 8.9 or newer (FP8 conversions)"),
        "use kv_cache_dtype='auto'",
    ),
    KVCacheDtype.NVFP4: (
        # The NVFP4 attention kernels exist for the SM100 family only (B200/GB200/B300).
        DeviceRule(families=frozenset({100}), text="an SM100-family GPU (B200, GB200, B300)"),
        "use kv_cache_dtype='fp8_e4m3' (SM 8.9+) or 'auto'",
    ),
}


@dataclass(frozen=True, kw_only=True)
class KVCacheConfig:
    dtype: KVCacheDtype
    capability: DeviceCapability | None
    """The device the cache is for; :meth:`for_platform` fills it from the current GPU."""

    def __post_init__(self) -> None:
        rule, alternative = _KV_CACHE_REQUIREMENTS[self.dtype]
        unmet = rule.unmet(self.capability)
        if unmet is not None:
            raise UnsupportedConfigError(
                f"kv_cache_dtype={self.dtype.value!r} cannot run here: it {unmet}; {alternative}"
            )

    @classmethod
    def for_platform(cls, dtype: KVCacheDtype | str, platform: Platform | None = None) -> KVCacheConfig:
        platform = platform if platform is not None else Platform()
        return cls(dtype=KVCacheDtype(dtype), capability=platform.capability())
