"""The smoke planner: which families must run and which must fail cleanly, per device."""

from __future__ import annotations

import pytest

from archforge.arch import ArchList, Capability
from archforge.cuda import parse_cuda
from archforge.errors import ConfigError
from archforge.manifest import load_manifest
from archforge.plan import make_plan
from archforge.smoke.expect import Outcome, expectations


def _expect(arch_list: str, device: str, cuda: str = "13.0") -> dict[str, str]:
    plan = make_plan(load_manifest(), ArchList.parse(arch_list), parse_cuda(cuda)).to_dict()
    result = {}
    for e in expectations(plan, Capability.parse(device)):
        result[e.family] = e.target.name if e.target else e.outcome.value
    return result


CASES = [
    # The release list on each device class we care about.
    (
        "9.0a;12.0f;12.1a",
        "9.0",
        {
            "activation": "sm_90a",
            "fp8_quant": "sm_90a",
            "nvfp4_quant": "clear-error",
            "fp8_marlin": "clear-error",
        },
    ),
    (
        "9.0a;12.0f;12.1a",
        "12.0",
        {"activation": "sm_120f", "fp8_quant": "sm_120f", "nvfp4_quant": "sm_120f", "fp8_marlin": "sm_120f"},
    ),
    (
        "9.0a;12.0f;12.1a",
        "12.1",
        {"activation": "sm_121a", "fp8_quant": "sm_121a", "nvfp4_quant": "sm_121a", "fp8_marlin": "sm_121a"},
    ),
    # A DGX-Spark-only wheel on an H100: nothing loads but activation's PTX does not go back in time.
    (
        "12.1a",
        "9.0",
        {
            "activation": "clear-error",
            "fp8_quant": "clear-error",
            "nvfp4_quant": "clear-error",
            "fp8_marlin": "clear-error",
        },
    ),
    # An RTX 50 family wheel on DGX Spark: family SASS loads on 12.1.
    (
        "12.0f",
        "12.1",
        {"activation": "sm_120f", "fp8_quant": "sm_120f", "nvfp4_quant": "sm_120f", "fp8_marlin": "sm_120f"},
    ),
    # An arch-specific 12.0a wheel (CUDA 12.9) on DGX Spark: nothing arch-specific loads;
    # activation's forward-compat PTX does, by JIT.
    (
        "12.0a",
        "12.1",
        {
            "activation": "compute_120",
            "fp8_quant": "clear-error",
            "nvfp4_quant": "clear-error",
            "fp8_marlin": "clear-error",
        },
    ),
    # Hopper wheel: activation's forward PTX JITs on SM12x; the rest is Hopper-only.
    (
        "9.0a",
        "12.1",
        {
            "activation": "compute_90",
            "fp8_quant": "clear-error",
            "nvfp4_quant": "clear-error",
            "fp8_marlin": "clear-error",
        },
    ),
]


@pytest.mark.parametrize(("arch_list", "device", "expected"), CASES)
def test_expectations(arch_list: str, device: str, expected: dict[str, str]) -> None:
    assert _expect(arch_list, device, "12.9" if arch_list == "12.0a" else "13.0") == expected


def test_clear_errors_carry_reasons() -> None:
    plan = make_plan(load_manifest(), ArchList.parse("9.0a;12.1a"), parse_cuda("13.0")).to_dict()
    by_family = {e.family: e for e in expectations(plan, Capability(9, 0))}
    assert by_family["nvfp4_quant"].outcome is Outcome.CLEAR_ERROR
    assert "10.0f, 11.0f, 12.0f" in by_family["nvfp4_quant"].reason
    assert by_family["nvfp4_quant"].ops == ("scaled_fp4_quant",)
    other = {e.family: e for e in expectations(plan, Capability(12, 0))}
    assert "sm_121a is arch-specific" in other["nvfp4_quant"].reason


def test_rejects_non_plans() -> None:
    with pytest.raises(ConfigError, match=r"archforge\.plan/1"):
        expectations({"schema": "x"}, Capability(9, 0))
