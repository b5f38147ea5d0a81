"""verify's decisions on hand-made reports: how each target loads on SM121, and plan checks."""

from __future__ import annotations

import pytest

from archforge.arch import Capability, LoadKind, Target
from archforge.inspect.model import Compression, Entry, EntryKind, FileReport, Suffix
from archforge.inspect.verify import FamilyExpectation, verify

SM121 = Capability(12, 1)


def _report(*targets: str, kernel: str = "_Z6kernelPf") -> FileReport:
    entries = []
    for name in targets:
        t = Target.parse(name)
        entries.append(
            Entry(
                fatbin=0,
                kind=EntryKind.SASS if name.startswith("sm_") else EntryKind.PTX,
                sm=t.capability.number,
                suffix=Suffix(t.variant.suffix),
                version=(1, 8),
                compression=Compression.NONE,
                stored_size=1,
                size=1,
                flags=0,
                kernels=(kernel,),
            )
        )
    return FileReport(path="lib.so", format="elf", machine="x86_64", fatbins=1, entries=tuple(entries))


@pytest.mark.parametrize(
    ("targets", "picked", "how"),
    [
        (["sm_121a"], "sm_121a", LoadKind.NATIVE),
        (["sm_120f"], "sm_120f", LoadKind.FAMILY),
        (["sm_120"], "sm_120", LoadKind.BINARY_COMPATIBLE),
        (["compute_120"], "compute_120", LoadKind.PTX_JIT),
        (["sm_90", "compute_90"], "compute_90", LoadKind.PTX_JIT),
        # The driver prefers SASS built for the device over family SASS and PTX.
        (["sm_120f", "sm_121a", "compute_120"], "sm_121a", LoadKind.NATIVE),
        (["sm_120a", "sm_120f"], "sm_120f", LoadKind.FAMILY),
    ],
)
def test_how_sm121_loads(targets: list[str], picked: str, how: LoadKind) -> None:
    verdict = verify([_report(*targets)], devices=[SM121])
    assert verdict.ok
    (load,) = verdict.kernels[0].loads
    assert load.target == Target.parse(picked)
    assert load.how is how
    assert verdict.summary() == "archforge verify: OK 1 kernels, devices 12.1: 1 loadable"


def test_sm120a_alone_does_not_load_on_sm121() -> None:
    verdict = verify([_report("sm_120a")], devices=[SM121])
    assert not verdict.ok
    (load,) = verdict.kernels[0].loads
    assert load.how is None
    assert "arch-specific" in load.why
    assert "kernel(float*) (lib.so) will not load on 12.1" in verdict.problems[0]
    assert verdict.summary().startswith("archforge verify: FAIL 1 problems;")


def test_plan_prefixes_name_the_missing_target() -> None:
    family = FamilyExpectation(
        name="gemm",
        targets=frozenset({Target.parse("sm_120f"), Target.parse("sm_121a")}),
        prefixes=("kernel",),
    )
    verdict = verify([_report("sm_120f")], families=[family])
    assert verdict.problems == ("family gemm: planned target sm_121a is in none of its 1 kernels",)


def test_plan_flags_unplanned_targets_and_unmatched_families() -> None:
    families = [
        FamilyExpectation(name="gemm", targets=frozenset({Target.parse("sm_120f")}), prefixes=()),
        FamilyExpectation(name="attn", targets=frozenset({Target.parse("sm_120f")}), prefixes=("flash_",)),
    ]
    verdict = verify([_report("sm_120f", "sm_90")], families=families)
    assert verdict.problems == (
        "family attn: no kernel named flash_* found",
        "target sm_90 is planned for no family (kernels kernel(float*))",
    )
