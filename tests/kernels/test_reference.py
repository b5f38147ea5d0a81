"""The pure-torch references against hand-computed values (CPU).

FP8 e4m3fn: 3 mantissa bits, max 448, min subnormal 2^-9, no inf; NVFP4: e2m1 values
{0, 0.5, 1, 1.5, 2, 3, 4, 6}, one e4m3 scale per 16 elements, 128x4 swizzled scales.
"""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")

from archforge_kernels import reference as ref

NAN = float("nan")
INF = float("inf")


def bits(t: torch.Tensor) -> list[int]:
    return t.view(torch.uint8).flatten().tolist()


# ------------------------------------------------------------------ fp8
@pytest.mark.parametrize(
    ("value", "expected_bits"),
    [
        (1.0, 0x38),
        (1.0625, 0x38),  # tie between 1.0 and 1.125: to even mantissa (000)
        (1.1875, 0x3A),  # tie between 1.125 and 1.25: to even (010)
        (448.0, 0x7E),  # max finite
        (464.0, 0x7E),  # would round to NaN unclamped: saturates
        (1e9, 0x7E),
        (INF, 0x7E),
        (-INF, 0xFE),
        (2.0**-9, 0x01),  # smallest subnormal
        (2.0**-10, 0x00),  # tie between 0 and 2^-9: to even (0)
        (1.5 * 2.0**-10, 0x01),
        (-0.0, 0x80),
    ],
)
def test_fp8_rounding_and_saturation(value: float, expected_bits: int) -> None:
    assert bits(ref.fp8_e4m3(torch.tensor([value]))) == [expected_bits]


def test_fp8_nan_stays_nan() -> None:
    assert torch.isnan(ref.fp8_e4m3(torch.tensor([NAN])).float()).all()


def test_static_quant_divides_by_scale() -> None:
    q = ref.static_scaled_fp8_quant(torch.tensor([2.0, 896.0, 3.0, -1000.0]), torch.tensor([2.0]))
    assert q.float().tolist() == [1.0, 448.0, 1.5, -448.0]


def test_dynamic_per_tensor_scale() -> None:
    q, scale = ref.dynamic_scaled_fp8_quant(torch.tensor([[1.0, -224.0], [0.0, 112.0]], dtype=torch.bfloat16))
    assert scale.tolist() == [0.5]
    assert q.float().flatten().tolist() == [2.0, -448.0, 0.0, 224.0]


def test_dynamic_all_zero_gets_scale_one() -> None:
    q, scale = ref.dynamic_scaled_fp8_quant(torch.zeros(4, dtype=torch.float16))
    assert scale.tolist() == [1.0]
    assert q.float().tolist() == [0.0] * 4


def test_dynamic_scale_propagates_nan() -> None:
    q, scale = ref.dynamic_scaled_fp8_quant(torch.tensor([1.0, NAN]))
    assert math.isnan(scale.item())
    assert torch.isnan(q.float()).all()


def test_per_token_scales() -> None:
    x = torch.tensor([[1.0, 2.0], [0.0, 0.0], [-4.0, 448.0]])
    q, scales = ref.dynamic_per_token_scaled_fp8_quant(x)
    assert scales.flatten().tolist() == pytest.approx([2.0 / 448.0, 1.0, 1.0])
    assert q.float().tolist() == [[224.0, 448.0], [0.0, 0.0], [-4.0, 448.0]]


# ------------------------------------------------------------------ e2m1 / nvfp4
def test_e2m1_rounding_table() -> None:
    values = [0.0, 0.25, 0.3, 0.75, 1.25, 1.75, 2.5, 3.5, 5.0, 5.1, 7.0, INF, -0.5, -0.0, -0.1, NAN]
    expected = [0, 0, 1, 2, 2, 4, 4, 6, 6, 7, 7, 7, 9, 8, 8, 7]
    assert ref.e2m1_codes(torch.tensor(values)).tolist() == expected


def test_e2m1_values_roundtrip() -> None:
    codes = torch.arange(16, dtype=torch.uint8)
    assert ref.e2m1_codes(ref.e2m1_values(codes)).tolist()[1:] == list(range(1, 16))  # code 0 and 8 are +-0
    assert ref.e2m1_values(codes).tolist()[8:] == [-0.0, -0.5, -1.0, -1.5, -2.0, -3.0, -4.0, -6.0]


def test_pack_puts_even_element_in_low_nibble() -> None:
    packed = ref.pack_e2m1(torch.tensor([1, 2, 3, 4], dtype=torch.uint8))
    assert packed.tolist() == [0x21, 0x43]
    assert ref.unpack_e2m1(packed).tolist() == [1, 2, 3, 4]


@pytest.mark.parametrize(
    ("row", "col", "offset"),
    [(0, 0, 0), (1, 0, 16), (32, 0, 4), (0, 1, 1), (33, 5, 533), (129, 4, 1552)],
)
def test_swizzle_offsets(row: int, col: int, offset: int) -> None:
    # m=130, kb=6 pads to 256 x 8: two row tiles x two column tiles of 512 bytes, each
    # [32][4][4] = [row % 32][(row % 128) // 32][col % 4].
    m, kb = 130, 6
    scales = torch.zeros((m, kb), dtype=torch.uint8)
    scales[row, col] = 7
    swizzled = ref.swizzle_128x4(scales)
    assert swizzled.shape == (256, 8)
    assert torch.nonzero(swizzled.flatten()).flatten().tolist() == [offset]


def test_unswizzle_inverts_and_padding_is_zero() -> None:
    scales = (torch.arange(130 * 6) % 251 + 1).to(torch.uint8).reshape(130, 6)
    swizzled = ref.swizzle_128x4(scales)
    assert torch.equal(ref.unswizzle_128x4(swizzled, 130, 6), scales)
    assert int(swizzled.flatten().count_nonzero()) == 130 * 6


def test_nvfp4_exact_grid_block() -> None:
    values = [0, 0.5, 1, 1.5, 2, 3, 4, 6, -6, -4, -3, -2, -1.5, -1, -0.5, 0]
    packed, scales = ref.scaled_fp4_quant(torch.tensor([values], dtype=torch.bfloat16), torch.tensor([1.0]))
    assert packed.tolist() == [[0x10, 0x32, 0x54, 0x76, 0xEF, 0xCD, 0xAB, 0x09]]
    assert scales.shape == (128, 4)
    assert bits(scales)[0] == 0x38  # sf = e4m3(1 * 6 / 6) = 1.0
    assert bits(scales)[1:] == [0] * (128 * 4 - 1)


def test_nvfp4_scale_rounding_and_saturation() -> None:
    # amax 7: sf = e4m3(7/6 = 1.1667) = 1.125 (0x39); x * (1/1.125):
    # 7 -> 6.22 saturates to 6 (code 7); 1 -> 0.889 -> 1.0 (2); 2.5 -> 2.22 -> 2 (4);
    # 0.3 -> 0.267 -> 0.5 (1); -7 -> -6 (15).
    block = [7.0, 1.0, 2.5, 0.3, -7.0] + [0.0] * 11
    packed, scales = ref.scaled_fp4_quant(torch.tensor([block], dtype=torch.float16), torch.tensor([1.0]))
    assert packed.tolist() == [[0x27, 0x14, 0x0F, 0, 0, 0, 0, 0]]
    assert bits(scales)[0] == 0x39


def test_nvfp4_global_scale_and_zero_block() -> None:
    # Second block all zero: sf 0 and codes 0 (no 0/0). First block amax 60, gs 2:
    # sf = e4m3(2 * 60 / 6 = 20) = 0x5A exactly.
    x = torch.tensor([[60.0] + [0.0] * 15 + [0.0] * 16])
    packed, scales = ref.scaled_fp4_quant(x, torch.tensor([2.0]))
    assert bits(scales)[:2] == [0x5A, 0x00]
    assert packed[0, 0].item() == 0x07
    assert packed[0, 8:].tolist() == [0] * 8


def test_nvfp4_dequant_roundtrip_within_half_step() -> None:
    torch.manual_seed(0)
    x = torch.randn(130, 64, dtype=torch.bfloat16)
    gs = torch.tensor([448.0 * 6.0]) / x.float().abs().amax()
    packed, scales = ref.scaled_fp4_quant(x, gs)
    back = ref.nvfp4_dequant(packed, scales, gs)
    blocks = x.float().reshape(130, 4, 16)
    step = blocks.abs().amax(-1, keepdim=True) / 6 * 2  # largest e2m1 gap (4 -> 6) in block units
    assert ((back.reshape(130, 4, 16) - blocks).abs() <= step / 2 * 1.13 + 1e-6).all()


def test_nvfp4_rejects_ragged_k() -> None:
    with pytest.raises(ValueError, match="multiple of 16"):
        ref.scaled_fp4_quant(torch.zeros(1, 24), torch.tensor([1.0]))


# ------------------------------------------------------------------ activation / gemm
def test_silu_and_mul_values() -> None:
    out = ref.silu_and_mul(torch.tensor([[0.0, 1.0, 2.0, 3.0]]))
    assert out.flatten().tolist() == pytest.approx([0.0, 3.0 / (1.0 + math.exp(-1.0))])


def test_rms_norm_values() -> None:
    out = ref.rms_norm(torch.tensor([[3.0, 4.0]]), torch.tensor([1.0, 2.0]), epsilon=0.0)
    rms = math.sqrt(12.5)
    assert out.flatten().tolist() == pytest.approx([3.0 / rms, 8.0 / rms])


def test_fp8_marlin_reference_scales() -> None:
    a = torch.tensor([[1.0, 2.0]]).to(torch.float8_e4m3fn)
    b = torch.tensor([[1.0, 1.0], [2.0, 0.0]]).to(torch.float8_e4m3fn)
    out = ref.fp8_marlin_gemm(a, b, torch.tensor([2.0]), torch.tensor([1.0, 0.5]), torch.float32)
    assert out.tolist() == [[6.0, 2.0]]


def test_weight_only_gemm_close_to_float() -> None:
    torch.manual_seed(0)
    x = torch.randn(8, 64, dtype=torch.bfloat16)
    w = torch.randn(16, 64)
    w_scale = w.abs().amax(-1) / 448.0
    wq = (w / w_scale[:, None]).to(torch.float8_e4m3fn)
    out = ref.fp8_weight_only_gemm(x, wq, w_scale)
    expected = x.float() @ (wq.float() * w_scale[:, None]).T
    # e4m3 keeps 3 mantissa bits (<= 6.25% error per activation): a few % overall.
    assert ((out.float() - expected).norm() / expected.norm()).item() < 0.05
