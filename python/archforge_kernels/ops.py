"""The torch ops of the extension, with outputs allocated here.

Importing this module needs torch; loading the extension happens on first use. The C++
side checks every call against the kernels compiled in (a clear RuntimeError naming the
device, the build's targets and the TORCH_CUDA_ARCH_LIST to use), so these wrappers only
shape the outputs.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import torch

from archforge_kernels.errors import ExtensionNotBuiltError, KernelNotCompiledError

_PACKAGE_DIR = Path(__file__).parent


@functools.cache
def load_extension() -> Any:
    """Load ``_C*.so`` into torch once (torch keeps loaded libraries for the process)."""
    candidates = sorted(_PACKAGE_DIR.glob("_C*.so"))
    if not candidates:
        raise ExtensionNotBuiltError(
            f"no compiled extension (_C*.so) in {_PACKAGE_DIR}; install an archforge-kernels wheel"
        )
    torch.ops.load_library(str(candidates[0]))  # type: ignore[no-untyped-call]
    return torch.ops.archforge_kernels


def _call(op: str, *args: object) -> None:
    """Run an op; the C++ "No compiled ..." refusal becomes KernelNotCompiledError."""
    try:
        getattr(load_extension(), op)(*args)
    except RuntimeError as exc:
        if str(exc).startswith("No compiled "):
            raise KernelNotCompiledError(str(exc)) from None
        raise


def registry() -> dict[str, Any]:
    """The build's plan and the kernels registered in the extension."""
    result: dict[str, Any] = json.loads(load_extension().registry())
    return result


def has_kernel(family: str, kernel: str, device: int = 0) -> bool:
    """Whether the extension holds a kernel image that loads on ``device``."""
    return bool(load_extension().has_kernel(family, kernel, device))


def supports_activation(device: int = 0) -> bool:
    return has_kernel("activation", "silu_and_mul", device)


def supports_fp8_quant(device: int = 0) -> bool:
    return has_kernel("fp8_quant", "dynamic_per_token_scaled_fp8_quant", device)


def supports_nvfp4_quant(device: int = 0) -> bool:
    return has_kernel("nvfp4_quant", "scaled_fp4_quant", device)


def supports_fp8_marlin(device: int = 0) -> bool:
    return has_kernel("fp8_marlin", "fp8_marlin_gemm_bf16", device)


def silu_and_mul(x: torch.Tensor) -> torch.Tensor:
    out = torch.empty((*x.shape[:-1], x.shape[-1] // 2), dtype=x.dtype, device=x.device)
    _call("silu_and_mul", out, x.contiguous())
    return out


def rms_norm(x: torch.Tensor, weight: torch.Tensor, epsilon: float = 1e-6) -> torch.Tensor:
    out = torch.empty_like(x)
    _call("rms_norm", out, x.contiguous(), weight.contiguous(), epsilon)
    return out


def scaled_fp8_quant(
    x: torch.Tensor, scale: torch.Tensor | None = None, *, per_token: bool = False
) -> tuple[torch.Tensor, torch.Tensor]:
    """Static (``scale`` given), dynamic per-tensor, or dynamic per-token FP8 e4m3.

    Returns (values, scales): scales has shape [1] or [..., 1] (per token).
    """
    x = x.contiguous()
    out = torch.empty(x.shape, dtype=torch.float8_e4m3fn, device=x.device)
    if scale is not None:
        if per_token:
            raise ValueError("a static scale is per tensor; drop per_token or the scale")
        scale = scale.float().reshape(1)
        _call("static_scaled_fp8_quant", out, x, scale)
        return out, scale
    if per_token:
        scales = torch.empty((*x.shape[:-1], 1), dtype=torch.float32, device=x.device)
        _call("dynamic_per_token_scaled_fp8_quant", out, x, scales)
        return out, scales
    scale = torch.empty(1, dtype=torch.float32, device=x.device)
    _call("dynamic_scaled_fp8_quant", out, x, scale)
    return out, scale


def scaled_fp4_quant(x: torch.Tensor, global_scale: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """[m, k] fp16/bf16 -> (packed uint8 [m, k/2], swizzled float8_e4m3fn block scales)."""
    m, k = x.shape
    out = torch.empty((m, k // 2), dtype=torch.uint8, device=x.device)
    m_pad = (m + 127) // 128 * 128
    kb_pad = (k // 16 + 3) // 4 * 4
    # Zero-filled: the kernel writes only real rows and columns; padding must read as 0.
    scales = torch.zeros((m_pad, kb_pad), dtype=torch.uint8, device=x.device)
    _call("scaled_fp4_quant", out, scales, x.contiguous(), global_scale.float().reshape(1))
    return out, scales.view(torch.float8_e4m3fn)


def fp8_marlin_gemm(
    a: torch.Tensor, b: torch.Tensor, a_scale: torch.Tensor, b_scale: torch.Tensor, out_dtype: torch.dtype
) -> torch.Tensor:
    """``(a @ b.T) * a_scale * b_scale`` for fp8 a [m, k], b [n, k]; scales [1] or per row."""
    out = torch.empty((a.shape[0], b.shape[0]), dtype=out_dtype, device=a.device)
    _call(
        "fp8_marlin_gemm",
        out,
        a.contiguous(),
        b.contiguous(),
        a_scale.float().contiguous(),
        b_scale.float().contiguous(),
    )
    return out


def fp8_weight_only_gemm(x: torch.Tensor, w: torch.Tensor, w_scale: torch.Tensor) -> torch.Tensor:
    """x [m, k] fp16/bf16 times FP8 weights w [n, k] with per-channel ``w_scale``.

    mma.sync e4m3 takes FP8 on both sides, so activations are quantized per token first.
    """
    q, scales = scaled_fp8_quant(x, per_token=True)
    return fp8_marlin_gemm(q, w, scales.reshape(-1), w_scale, x.dtype)
