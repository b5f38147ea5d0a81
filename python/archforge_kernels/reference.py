"""Pure-torch references of every kernel family: the numerics the CUDA kernels promise.

Tests compare the kernels against these (on a GPU), and the tests here check these
against hand-computed values. They run on any device torch supports, CPU included.

Conventions shared with the kernels (csrc/):

* FP8 (e4m3fn): ``q = e4m3(float(x) / scale)`` rounding to nearest even and saturating
  to +-448 (+-inf clamps too), NaN stays NaN. Dequantize with ``q * scale``. Dynamic
  scales are ``amax(|x|) / 448`` (NaN-propagating); an all-zero input gets scale 1.
* NVFP4: blocks of 16 along the last dimension. ``sf = e4m3(global_scale * amax / 6)``,
  ``q = e2m1(x * global_scale / sf)`` (0 when sf is 0), packed two per byte with the
  even element in the low nibble; dequantize with ``e2m1(q) * sf / global_scale``. The
  block scales are stored in the 128x4 swizzled layout (:func:`swizzle_128x4`).
"""

from __future__ import annotations

import torch

FP8_E4M3_MAX = 448.0
E2M1_MAX = 6.0
NVFP4_BLOCK = 16

# e2m1 magnitudes by code (sign is bit 3).
E2M1_VALUES = (0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0)
# Midpoints between neighbouring magnitudes; a tie rounds to the even code, which is the
# lower neighbour at 0.25, 1.25, 2.5, 5 and the upper one at 0.75, 1.75, 3.5.
_E2M1_MIDPOINTS = (0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5.0)
_E2M1_TIES_UP = (0.75, 1.75, 3.5)


def _div(values: torch.Tensor, divisor: float) -> torch.Tensor:
    """IEEE ``values / divisor`` on every device.

    torch's CUDA division by a Python scalar multiplies by the rounded reciprocal, which
    is off by one ulp for some values (e.g. amax / 448); the kernels divide exactly.
    """
    return values / torch.full_like(values, divisor)


def _round_up(value: int, multiple: int) -> int:
    return (value + multiple - 1) // multiple * multiple


# ------------------------------------------------------------------ activation
def silu_and_mul(x: torch.Tensor) -> torch.Tensor:
    """``silu(x[..., :d]) * x[..., d:]`` computed in float32, returned in x's dtype."""
    d = x.shape[-1] // 2
    xf = x.float()
    return (torch.nn.functional.silu(xf[..., :d]) * xf[..., d:]).to(x.dtype)


def rms_norm(x: torch.Tensor, weight: torch.Tensor, epsilon: float = 1e-6) -> torch.Tensor:
    """``x * rsqrt(mean(x^2) + eps) * weight`` over the last dimension, in float32."""
    xf = x.float()
    inv_rms = torch.rsqrt(xf.pow(2).mean(dim=-1, keepdim=True) + epsilon)
    return (xf * inv_rms * weight.float()).to(x.dtype)


# ------------------------------------------------------------------ fp8
def fp8_e4m3(values: torch.Tensor) -> torch.Tensor:
    """float32 -> float8_e4m3fn, round to nearest even, saturating (NaN stays NaN)."""
    return values.clamp(-FP8_E4M3_MAX, FP8_E4M3_MAX).to(torch.float8_e4m3fn)


def fp8_scale_from_amax(amax: torch.Tensor) -> torch.Tensor:
    return torch.where(amax == 0, torch.ones_like(amax), _div(amax, FP8_E4M3_MAX))


def static_scaled_fp8_quant(x: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    return fp8_e4m3(x.float() / scale.float().reshape(()))


def dynamic_scaled_fp8_quant(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-tensor: returns (fp8 values, float32 scale of shape [1])."""
    scale = fp8_scale_from_amax(x.float().abs().amax()).reshape(1)
    return fp8_e4m3(x.float() / scale), scale


def dynamic_per_token_scaled_fp8_quant(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per row of the last dimension: returns (fp8 values, float32 scales [..., 1])."""
    scales = fp8_scale_from_amax(x.float().abs().amax(dim=-1, keepdim=True))
    return fp8_e4m3(x.float() / scales), scales


def fp8_dequant(q: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    return q.float() * scale.float()


# ------------------------------------------------------------------ nvfp4
def e2m1_codes(values: torch.Tensor) -> torch.Tensor:
    """float32 -> 4-bit e2m1 codes (uint8 0..15): round to nearest even, saturate to +-6.

    NaN maps to +6 (code 7): e2m1 has no NaN and PTX ``.satfinite`` turns NaN into the
    largest finite value. The sign bit is kept for zero (``-0.0`` -> code 8), as the
    hardware conversion does.
    """
    magnitude = values.abs()
    midpoints = torch.tensor(_E2M1_MIDPOINTS, dtype=values.dtype, device=values.device)
    codes = torch.bucketize(magnitude, midpoints)
    ties_up = torch.tensor(_E2M1_TIES_UP, dtype=values.dtype, device=values.device)
    codes = codes + torch.isin(magnitude, ties_up).to(codes.dtype)
    sign = torch.signbit(values).to(codes.dtype) * 8
    codes = torch.where(torch.isnan(values), torch.full_like(codes, 7), codes | sign)
    return codes.to(torch.uint8)


def e2m1_values(codes: torch.Tensor) -> torch.Tensor:
    """4-bit codes (uint8) -> float32 values."""
    table = torch.tensor(E2M1_VALUES, dtype=torch.float32, device=codes.device)
    magnitude = table[(codes & 7).long()]
    return torch.where((codes & 8) != 0, -magnitude, magnitude)


def pack_e2m1(codes: torch.Tensor) -> torch.Tensor:
    """[..., 2n] codes -> [..., n] bytes, even element in the low nibble."""
    return codes[..., 0::2] | (codes[..., 1::2] << 4)


def unpack_e2m1(packed: torch.Tensor) -> torch.Tensor:
    low = packed & 0xF
    high = packed >> 4
    return torch.stack((low, high), dim=-1).flatten(-2)


def swizzle_128x4(scales: torch.Tensor) -> torch.Tensor:
    """[m, kb] block scales -> the padded [round_up(m,128), round_up(kb,4)] swizzled layout.

    Rows are grouped in tiles of 128 and scale columns in tiles of 4; tiles are stored
    row-major, each as [32][4][4] = [row % 32][(row % 128) // 32][col % 4], so one
    thread group of the GEMM reads the scales of rows r, r+32, r+64, r+96 together.
    Padding is zero.
    """
    m, kb = scales.shape
    m_pad, kb_pad = _round_up(m, 128), _round_up(kb, 4)
    padded = torch.zeros((m_pad, kb_pad), dtype=scales.dtype, device=scales.device)
    padded[:m, :kb] = scales
    tiles = padded.view(m_pad // 128, 4, 32, kb_pad // 4, 4).permute(0, 3, 2, 1, 4)
    return tiles.reshape(m_pad, kb_pad)


def unswizzle_128x4(swizzled: torch.Tensor, m: int, kb: int) -> torch.Tensor:
    m_pad, kb_pad = swizzled.shape
    tiles = swizzled.reshape(m_pad // 128, kb_pad // 4, 32, 4, 4).permute(0, 3, 2, 1, 4)
    return tiles.reshape(m_pad, kb_pad)[:m, :kb]


def scaled_fp4_quant(x: torch.Tensor, global_scale: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """[m, k] -> (packed uint8 [m, k/2], swizzled float8_e4m3fn block scales)."""
    m, k = x.shape
    if k % NVFP4_BLOCK:
        raise ValueError(f"k={k} is not a multiple of {NVFP4_BLOCK}")
    gs = global_scale.float().reshape(())
    blocks = x.float().reshape(m, k // NVFP4_BLOCK, NVFP4_BLOCK)
    amax = blocks.abs().amax(dim=-1)
    sf = fp8_e4m3(gs * _div(amax, E2M1_MAX))
    sf_value = sf.float()
    inv = torch.where(sf_value == 0, torch.zeros_like(sf_value), gs / sf_value)
    codes = e2m1_codes(blocks * inv.unsqueeze(-1)).reshape(m, k)
    scales = swizzle_128x4(sf.view(torch.uint8)).view(torch.float8_e4m3fn)
    return pack_e2m1(codes), scales


def nvfp4_dequant(packed: torch.Tensor, scales: torch.Tensor, global_scale: torch.Tensor) -> torch.Tensor:
    m, half_k = packed.shape
    k = half_k * 2
    values = e2m1_values(unpack_e2m1(packed)).reshape(m, k // NVFP4_BLOCK, NVFP4_BLOCK)
    sf = unswizzle_128x4(scales.view(torch.uint8), m, k // NVFP4_BLOCK).view(torch.float8_e4m3fn).float()
    return (values * (sf / global_scale.float().reshape(())).unsqueeze(-1)).reshape(m, k)


# ------------------------------------------------------------------ fp8_marlin
def fp8_marlin_gemm(
    a: torch.Tensor, b: torch.Tensor, a_scale: torch.Tensor, b_scale: torch.Tensor, out_dtype: torch.dtype
) -> torch.Tensor:
    """``(a @ b.T) * a_scale[:, None] * b_scale[None, :]`` for fp8 a [m, k], b [n, k]."""
    acc = a.float() @ b.float().T
    return (acc * a_scale.float().reshape(-1, 1) * b_scale.float().reshape(1, -1)).to(out_dtype)


def fp8_weight_only_gemm(x: torch.Tensor, w: torch.Tensor, w_scale: torch.Tensor) -> torch.Tensor:
    """The fallback's full path: per-token FP8 activations, then :func:`fp8_marlin_gemm`."""
    q, scales = dynamic_per_token_scaled_fp8_quant(x)
    return fp8_marlin_gemm(q, w, scales.reshape(-1), w_scale, x.dtype)
