"""Backend selection, explain() and fail-fast configs with an injected device (no GPU, no torch)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from packaging.version import Version

from archforge_kernels import Backend, Context, Platform, explain, select
from archforge_kernels.configs import KVCacheConfig, KVCacheDtype
from archforge_kernels.errors import UnsupportedConfigError
from archforge_kernels.platform import DeviceCapability

if TYPE_CHECKING:
    from collections.abc import Callable


def compiled(*available: tuple[str, str]) -> Callable[[str, str], bool]:
    return lambda family, kernel: (family, kernel) in set(available)


def versions(**installed: str) -> Callable[[str], Version | None]:
    table = {name.replace("_", "-"): Version(v) for name, v in installed.items()}
    return table.get


ALL_ARCHFORGE = compiled(
    ("activation", "silu_and_mul"),
    ("activation", "rms_norm"),
    ("fp8_quant", "dynamic_per_token_scaled_fp8_quant"),
    ("nvfp4_quant", "scaled_fp4_quant"),
    ("fp8_marlin", "fp8_marlin_gemm_bf16"),
)


def context(
    capability: str | None, *, flashinfer: str | None = None, kernels: object = ALL_ARCHFORGE
) -> Context:
    installed = {"flashinfer_python": flashinfer} if flashinfer else {}
    return Context(
        platform=Platform.fixed(capability),
        compiled=kernels,  # type: ignore[arg-type]
        versions=versions(**installed),
    )


@pytest.mark.parametrize(
    ("capability", "flashinfer", "expected"),
    [
        ("12.1", "0.6.7", None),  # DGX Spark: CUTLASS MoE broken up to 0.6.7
        ("12.1", "0.6.8", Backend.FLASHINFER_CUTLASS),
        ("12.1", "0.7.0", Backend.FLASHINFER_CUTLASS),
        ("12.0", "0.6.7", Backend.FLASHINFER_CUTLASS),  # the bug is SM 12.1 only
        ("10.0", "0.6.7", Backend.FLASHINFER_CUTLASS),
        ("9.0", "0.6.8", None),
        ("12.1", None, None),
    ],
)
def test_flashinfer_moe_gate(capability: str, flashinfer: str | None, expected: Backend | None) -> None:
    assert select("moe_nvfp4", context(capability, flashinfer=flashinfer)) is expected


def test_explain_names_the_flashinfer_bug() -> None:
    text = str(explain("moe_nvfp4", context("12.1", flashinfer="0.6.7")))
    assert "SM 12.1 (device 0): no usable backend" in text
    assert "flashinfer-python 0.6.7 does not satisfy >=0.6.8" in text
    assert "DGX Spark" in text


@pytest.mark.parametrize(
    ("capability", "expected"),
    [
        ("12.0", Backend.MARLIN),  # no CUTLASS family compiled yet
        ("12.1", Backend.MARLIN),
        ("8.9", Backend.MARLIN),
        ("9.0", Backend.TORCH),  # Hopper: CUTLASS territory, not the mma.sync fallback
        ("10.0", Backend.TORCH),
    ],
)
def test_fp8_gemm_fallbacks(capability: str, expected: Backend) -> None:
    assert select("fp8_gemm", context(capability)) is expected


def test_future_sm12x_minor_is_in_the_family() -> None:
    # A hypothetical SM 12.3 is matched by major, never by a list of known minors.
    assert select("fp8_gemm", context("12.3")) is Backend.MARLIN
    assert select("nvfp4_quant", context("12.3")) is Backend.ARCHFORGE


def test_uncompiled_kernel_falls_back_with_reason() -> None:
    explanation = explain("nvfp4_quant", context("12.1", kernels=compiled()))
    assert explanation.chosen is Backend.TORCH
    assert "this build has no nvfp4_quant kernel for SM 12.1" in str(explanation)


def test_sm90_nvfp4_explains_the_hardware() -> None:
    text = str(explain("nvfp4_quant", context("9.0")))
    assert "needs the SM100, SM110 or SM12x family; this GPU is SM 9.0" in text


def test_no_gpu_answers_cleanly() -> None:
    explanation = explain("silu_and_mul", context(None))
    assert explanation.device == "no CUDA GPU"
    assert explanation.chosen is Backend.TORCH
    assert not Platform.fixed(None).is_device_capability_family(120)


def test_unknown_op_lists_known_ones() -> None:
    with pytest.raises(KeyError, match="known ops: fp8_gemm"):
        explain("nope", context("12.0"))


@pytest.mark.parametrize(
    ("capability", "family", "exact", "expected"),
    [
        ("12.1", 120, 121, (True, True)),
        ("12.0", 120, 121, (True, False)),
        ("10.3", 100, 100, (True, False)),
        ("9.0", 120, 90, (False, True)),
    ],
)
def test_capability_queries(capability: str, family: int, exact: int, expected: tuple[bool, bool]) -> None:
    platform = Platform.fixed(capability)
    assert (platform.is_device_capability_family(family), platform.is_device_capability(exact)) == expected


def test_capability_parse() -> None:
    assert DeviceCapability.parse(121) == DeviceCapability(12, 1)
    assert DeviceCapability.parse("12.1") == DeviceCapability(12, 1)
    assert DeviceCapability.parse("89").family == 80
    assert DeviceCapability(9, 0) < DeviceCapability(12, 0)


def test_nvfp4_kv_cache_fails_at_construction_outside_sm100() -> None:
    with pytest.raises(
        UnsupportedConfigError, match=r"needs an SM100-family GPU .*this GPU is SM 12\.1.*fp8_e4m3"
    ):
        KVCacheConfig.for_platform("nvfp4", Platform.fixed("12.1"))


def test_kv_cache_configs_that_fit() -> None:
    assert KVCacheConfig.for_platform("nvfp4", Platform.fixed("10.3")).dtype is KVCacheDtype.NVFP4
    assert KVCacheConfig.for_platform(
        KVCacheDtype.FP8_E4M3, Platform.fixed("12.1")
    ).capability == DeviceCapability(12, 1)
    with pytest.raises(UnsupportedConfigError, match="no CUDA GPU"):
        KVCacheConfig.for_platform("fp8_e4m3", Platform.fixed(None))
