"""Check an archforge-kernels wheel on a real GPU, installing nothing.

Run on a machine with a CUDA GPU and torch >= 2.11 (CUDA build)::

    python tests/kernels/gpu_check.py dist-kernels/archforge_kernels-0.1.0-py3-none-linux_x86_64.whl

The wheel is unpacked into a temporary directory and imported from there. Checks, each
printed as a PASS/FAIL line (exit status 1 if any fails):

* activation: silu_and_mul and rms_norm against archforge_kernels.reference for several
  shapes in float32 / float16 / bfloat16. Both compute in float32 and round once, so
  they may differ by about one unit in the last place of the output dtype (expf/rsqrtf vs
  torch's): tolerances rtol=atol=1e-5 (float32), 2e-3 (float16), 1.6e-2 (bfloat16).
* fp8_quant: static, dynamic per-tensor and dynamic per-token against the reference run
  on the same GPU. Scales must agree to 1e-6 relative; FP8 bytes must be identical except
  where x/scale sits within float32 rounding of a tie (at most 0.01% of elements, each at
  most one e4m3 step apart); saturation (+-inf, >448) and NaN are checked exactly.
* nvfp4_quant: on a device the build has no kernel for (e.g. SM 9.0), the call must raise
  the clear "No compiled nvfp4 quantization kernel ... for SM X.Y" error (never an illegal
  instruction); where it has one, packed values and swizzled scales must equal the reference.
* fp8_marlin: where compiled for the device, against the reference (relative Frobenius
  error <= 1e-2: fp32 accumulation order differs); elsewhere the clear error.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import traceback
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

RESULTS: list[tuple[str, bool, str]] = []


def record(name: str, check: Callable[[], str | None]) -> None:
    try:
        detail = check() or ""
        RESULTS.append((name, True, detail))
        print(f"PASS {name} {detail}".rstrip(), flush=True)
    except Exception as exc:  # noqa: BLE001 - every failure is reported, none stops the run
        RESULTS.append((name, False, f"{type(exc).__name__}: {exc}"))
        print(f"FAIL {name}: {type(exc).__name__}: {exc}", flush=True)
        traceback.print_exc(limit=3)


def unpack(wheel: Path, into: Path) -> None:
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(into)
    sys.path.insert(0, str(into))


TOLERANCES: dict[str, tuple[float, float]] = {
    "float32": (1e-5, 1e-5),
    "float16": (2e-3, 2e-3),
    "bfloat16": (1.6e-2, 1.6e-2),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="check an archforge-kernels wheel on this GPU")
    parser.add_argument("wheel", type=Path)
    args = parser.parse_args(argv)

    import torch

    if not torch.cuda.is_available():
        print("FAIL setup: no CUDA GPU visible to torch")
        return 1
    with tempfile.TemporaryDirectory(prefix="archforge-gpu-check-") as tmp:
        unpack(args.wheel, Path(tmp))
        run_checks(torch)
    failed = [name for name, ok, _ in RESULTS if not ok]
    print(f"\n{len(RESULTS) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


def run_checks(torch: Any) -> None:
    from archforge_kernels import ops
    from archforge_kernels import reference as ref

    device = torch.device("cuda", 0)
    major, minor = torch.cuda.get_device_capability(0)
    sm = f"{major}.{minor}"
    info = ops.registry()
    print(f"device: {torch.cuda.get_device_name(0)} (SM {sm}); torch {torch.__version__}")
    print(f"wheel plan: {info['build']['arch_list']} digest {info['build']['plan_digest']}")
    for name, family in info["build"]["families"].items():
        print(f"  {name:14} compiled={family['compiled']} targets={';'.join(family['targets'])}")

    generator = torch.Generator(device=device).manual_seed(0)

    def randn(*shape: int, dtype: Any = torch.float32, scale: float = 1.0) -> Any:
        return (torch.randn(*shape, generator=generator, device=device) * scale).to(dtype)

    # ------------------------------------------------------------ activation
    for dtype in (torch.float32, torch.float16, torch.bfloat16):
        rtol, atol = TOLERANCES[str(dtype).removeprefix("torch.")]
        for shape in ((1, 2), (7, 256), (33, 2 * 1000), (4, 3, 2 * 4096)):

            def silu_check(
                shape: tuple[int, ...] = shape, dtype: Any = dtype, rtol: float = rtol, atol: float = atol
            ) -> str:
                x = randn(*shape, dtype=dtype, scale=3.0)
                torch.testing.assert_close(ops.silu_and_mul(x), ref.silu_and_mul(x), rtol=rtol, atol=atol)
                return ""

            record(f"silu_and_mul {tuple(shape)} {dtype}", silu_check)
        for shape in ((1, 128), (17, 4096), (4, 3, 1000)):

            def rms_check(
                shape: tuple[int, ...] = shape, dtype: Any = dtype, rtol: float = rtol, atol: float = atol
            ) -> str:
                x = randn(*shape, dtype=dtype, scale=2.0)
                w = randn(shape[-1], dtype=dtype)
                torch.testing.assert_close(
                    ops.rms_norm(x, w, 1e-6), ref.rms_norm(x, w, 1e-6), rtol=rtol, atol=atol
                )
                return ""

            record(f"rms_norm {tuple(shape)} {dtype}", rms_check)

    # ------------------------------------------------------------ fp8_quant
    def compare_fp8(got: Any, expected: Any) -> str:
        got_bytes = got.view(torch.uint8)
        exp_bytes = expected.view(torch.uint8)
        differ = got_bytes != exp_bytes
        count = int(differ.sum())
        if count:
            steps = (got_bytes[differ].int() - exp_bytes[differ].int()).abs()
            if int(steps.max()) > 1 or count > max(1, got.numel() // 10000):
                raise AssertionError(
                    f"{count} of {got.numel()} FP8 bytes differ (max {int(steps.max())} steps)"
                )
        return f"({count} tie-adjacent differences)" if count else ""

    for dtype in (torch.float32, torch.float16, torch.bfloat16):
        for shape in ((1, 16), (13, 1000), (64, 4096)):

            def static_check(shape: tuple[int, ...] = shape, dtype: Any = dtype) -> str:
                x = randn(*shape, dtype=dtype, scale=50.0)
                scale = torch.tensor([0.37], device=device)
                q, _ = ops.scaled_fp8_quant(x, scale)
                return compare_fp8(q, ref.static_scaled_fp8_quant(x, scale))

            def dynamic_check(shape: tuple[int, ...] = shape, dtype: Any = dtype) -> str:
                x = randn(*shape, dtype=dtype, scale=50.0)
                q, scale = ops.scaled_fp8_quant(x)
                eq, escale = ref.dynamic_scaled_fp8_quant(x)
                torch.testing.assert_close(scale, escale, rtol=1e-6, atol=0)
                return compare_fp8(q, eq)

            def per_token_check(shape: tuple[int, ...] = shape, dtype: Any = dtype) -> str:
                x = randn(*shape, dtype=dtype, scale=50.0)
                x[0].zero_()  # an all-zero row gets scale 1
                q, scales = ops.scaled_fp8_quant(x, per_token=True)
                eq, escales = ref.dynamic_per_token_scaled_fp8_quant(x)
                torch.testing.assert_close(scales, escales, rtol=1e-6, atol=0)
                assert float(scales[0, 0]) == 1.0
                return compare_fp8(q, eq)

            record(f"static_scaled_fp8_quant {shape} {dtype}", static_check)
            record(f"dynamic_scaled_fp8_quant {shape} {dtype}", dynamic_check)
            record(f"dynamic_per_token_scaled_fp8_quant {shape} {dtype}", per_token_check)

    def special_values() -> str:
        x = torch.tensor(
            [1.0, 448.0, 464.0, 1e9, float("inf"), -float("inf"), float("nan"), 2.0**-9, -0.0], device=device
        )
        q, _ = ops.scaled_fp8_quant(x, torch.tensor([1.0], device=device))
        expected = [0x38, 0x7E, 0x7E, 0x7E, 0x7E, 0xFE, None, 0x01, 0x80]
        got = q.view(torch.uint8).tolist()
        for g, e in zip(got, expected, strict=True):
            assert (g & 0x7F) == 0x7F if e is None else g == e, (got, expected)
        return ""

    record("fp8 saturation/NaN/subnormal bytes", special_values)

    # ------------------------------------------------------------ nvfp4_quant
    nvfp4_expected = ops.supports_nvfp4_quant(0)

    def nvfp4_check() -> str:
        x = randn(200, 256, dtype=torch.bfloat16, scale=4.0)
        gs = (448.0 * 6.0 / x.float().abs().amax()).reshape(1)
        if not nvfp4_expected:
            message = ""
            try:
                ops.scaled_fp4_quant(x, gs)
            except RuntimeError as exc:
                message = str(exc)
            for needle in ("No compiled nvfp4 quantization kernel", f"SM {sm}", "TORCH_CUDA_ARCH_LIST"):
                if needle not in message:
                    raise AssertionError(f"{needle!r} missing from: {message or 'no error raised'}")
            torch.cuda.synchronize()  # the context must still be healthy
            return f"(clear error: {message[:90]}...)"
        packed, scales = ops.scaled_fp4_quant(x, gs)
        epacked, escales = ref.scaled_fp4_quant(x, gs)
        assert torch.equal(scales.view(torch.uint8), escales.view(torch.uint8)), "block scales differ"
        differ = int((packed != epacked).sum())
        assert differ <= packed.numel() // 10000, f"{differ} packed bytes differ"
        return f"({differ} tie-adjacent differences)" if differ else ""

    record(
        f"scaled_fp4_quant on SM {sm} ({'kernel' if nvfp4_expected else 'expect clear error'})", nvfp4_check
    )

    # ------------------------------------------------------------ fp8_marlin
    marlin_expected = ops.supports_fp8_marlin(0)

    def marlin_check() -> str:
        a = randn(77, 256, scale=8.0).to(torch.float8_e4m3fn)
        b = randn(130, 256, scale=8.0).to(torch.float8_e4m3fn)
        sa = torch.rand(77, device=device) + 0.5
        sb = torch.rand(130, device=device) + 0.5
        if not marlin_expected:
            message = ""
            try:
                ops.fp8_marlin_gemm(a, b, sa, sb, torch.bfloat16)
            except RuntimeError as exc:
                message = str(exc)
            if "No compiled FP8 Marlin GEMM kernel" not in message:
                raise AssertionError(f"expected the clear error, got: {message or 'no error'}")
            return "(clear error)"
        out = ops.fp8_marlin_gemm(a, b, sa, sb, torch.bfloat16).float()
        expected = ref.fp8_marlin_gemm(a, b, sa, sb, torch.float32)
        error = float((out - expected).norm() / expected.norm())
        assert error <= 1e-2, f"relative error {error:.2e}"
        return f"(relative error {error:.1e})"

    record(
        f"fp8_marlin_gemm on SM {sm} ({'kernel' if marlin_expected else 'expect clear error'})", marlin_check
    )


if __name__ == "__main__":
    sys.exit(main())
