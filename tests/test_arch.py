"""The arch model: parsing, round trips, runs-on rules."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archforge.arch import (
    ArchEntry,
    ArchList,
    Capability,
    CodeKind,
    LoadKind,
    Target,
    Variant,
    best_load,
    load_kind,
    parse_nvcc_targets,
    parse_target_list,
    why_not,
)
from archforge.errors import ArchError

C = Capability.parse
T = Target.parse


@pytest.mark.parametrize(
    ("text", "normal"),
    [
        ("12.1a", "12.1a"),
        ("9.0a;8.9+PTX", "8.9+PTX;9.0a"),
        ("12.0f 12.1a,9.0a", "9.0a;12.0f;12.1a"),
        ("8.9;8.9+PTX;8.9", "8.9+PTX"),
        ("  7.5 ;; 8.0  ", "7.5;8.0"),
        ("12.1a+ptx", "12.1a+PTX"),
        ("12.0;12.0f;12.0a", "12.0;12.0f;12.0a"),
    ],
)
def test_arch_list_normalises(text: str, normal: str) -> None:
    al = ArchList.parse(text)
    assert str(al) == normal
    assert ArchList.parse(str(al)) == al


@pytest.mark.parametrize(
    ("bad", "needle"),
    [
        ("12.1x", "'12.1x'"),
        ("sm121", "did you mean 12.1"),
        ("12.1ff", "'12.1ff'"),
        ("+PTX", "+PTX must follow"),
        ("", "empty arch list"),
        ("   ;  ", "empty arch list"),
        ("12", "'12'"),
        ("12.1A", "'12.1A'"),
        ("12.10", "'12.10'"),
    ],
)
def test_arch_list_rejects(bad: str, needle: str) -> None:
    with pytest.raises(ArchError) as exc:
        ArchList.parse(bad)
    assert needle in str(exc.value)
    assert "X.Y" in str(exc.value) or "+PTX" in str(exc.value)


@pytest.mark.parametrize(
    ("flags", "arch_list"),
    [
        ("-gencode arch=compute_121a,code=sm_121a", "12.1a"),
        ("--generate-code=arch=compute_90a,code=[sm_90a,compute_90a]", "9.0a+PTX"),
        ("-arch=sm_90a", "9.0a+PTX"),
        ("-arch sm_120f", "12.0f+PTX"),
        (
            "-gencode=arch=compute_89,code=[sm_89,compute_89] -gencode arch=compute_120f,code=sm_120f",
            "8.9+PTX;12.0f",
        ),
        ("-O3 -gencode=arch=compute_80,code=sm_80 -lineinfo", "8.0"),
        ("--gpu-architecture=compute_90 --gpu-code=sm_90,compute_90", "9.0+PTX"),
        ('-gencode "arch=compute_121f,code=sm_121f"', "12.1f"),
    ],
)
def test_nvcc_flags(flags: str, arch_list: str) -> None:
    al = ArchList.from_nvcc_flags(flags)
    assert str(al) == arch_list
    assert ArchList.from_nvcc_flags(al.nvcc_flags()) == al


def test_nvcc_ptx_only_is_not_an_arch_list() -> None:
    assert parse_nvcc_targets("-arch=compute_90") == (T("compute_90"),)
    with pytest.raises(ArchError, match="no SASS"):
        ArchList.from_nvcc_flags("-arch=compute_90")


@pytest.mark.parametrize(
    "flags", ["-O3", "-arch=native", "-gencode", "-gencode arch=sm_90,code=sm_90", "-code=sm_90"]
)
def test_nvcc_flags_rejected(flags: str) -> None:
    with pytest.raises(ArchError):
        ArchList.from_nvcc_flags(flags)


def test_target_names() -> None:
    assert T("sm_121a") == Target(Capability(12, 1), Variant.ARCH, CodeKind.SASS)
    assert T("compute_120f") == Target(Capability(12, 0), Variant.FAMILY, CodeKind.PTX)
    assert T("sm_75").name == "sm_75"
    assert parse_target_list("compute_90;sm_90a, sm_90a") == (T("compute_90"), T("sm_90a"))
    for bad in ("sm121", "sm_12.1", "sm_121x", "lto_90", "compute_1234"):
        with pytest.raises(ArchError, match="sm_XY"):
            T(bad)
    with pytest.raises(ArchError, match="did you mean sm_121"):
        T("sm121")


# The runs-on table: (target, device) -> how, or None. Each row is a rule from NVIDIA's
# compatibility documents (see archforge/arch.py).
RUNS_ON = [
    ("sm_120", "12.0", LoadKind.NATIVE),
    ("sm_120", "12.1", LoadKind.BINARY_COMPATIBLE),
    ("sm_121", "12.0", None),
    ("sm_120a", "12.1", None),
    ("sm_121a", "12.1", LoadKind.NATIVE),
    ("sm_121a", "12.0", None),
    ("sm_120f", "12.1", LoadKind.FAMILY),
    ("sm_120f", "12.0", LoadKind.NATIVE),
    ("sm_121f", "12.0", None),
    ("sm_100f", "10.3", LoadKind.FAMILY),
    ("sm_100f", "11.0", None),
    ("sm_100f", "12.0", None),
    ("sm_90a", "9.0", LoadKind.NATIVE),
    ("sm_90", "10.0", None),
    ("sm_80", "8.6", LoadKind.BINARY_COMPATIBLE),
    ("sm_89", "9.0", None),
    ("compute_90", "12.1", LoadKind.PTX_JIT),
    ("compute_90", "8.9", None),
    ("compute_90a", "9.0", LoadKind.PTX_JIT),
    ("compute_90a", "10.0", None),
    ("compute_120f", "12.1", LoadKind.PTX_JIT),
    ("compute_120f", "13.0", None),
    ("compute_121", "12.1", LoadKind.PTX_JIT),
]


@pytest.mark.parametrize(("target", "device", "how"), RUNS_ON)
def test_runs_on(target: str, device: str, how: LoadKind | None) -> None:
    assert load_kind(T(target), C(device)) is how
    sentence = why_not(T(target), C(device))
    assert target in sentence
    assert sentence.startswith(f"{target} loads on") == (how is not None)


def test_why_not_names_the_rule() -> None:
    assert "only on 12.0" in why_not(T("sm_120a"), C("12.1"))
    assert "12.x family" in why_not(T("sm_120f"), C("10.0"))


def test_best_load_prefers_native_sass_then_newest_then_ptx() -> None:
    targets = [T("sm_120"), T("sm_121a"), T("compute_90")]
    assert best_load(targets, C("12.1")) == (T("sm_121a"), LoadKind.NATIVE)
    assert best_load(targets, C("12.0")) == (T("sm_120"), LoadKind.NATIVE)
    assert best_load(targets, C("10.0")) == (T("compute_90"), LoadKind.PTX_JIT)
    assert best_load([T("sm_120"), T("sm_120f")], C("12.1")) == (T("sm_120f"), LoadKind.FAMILY)
    assert best_load([T("sm_90a")], C("12.1")) is None


# -- properties --------------------------------------------------------------------------------

capabilities = st.builds(Capability, st.integers(5, 13), st.integers(0, 9))
entries = st.builds(ArchEntry, capabilities, st.sampled_from(list(Variant)), st.booleans())
arch_lists = st.lists(entries, min_size=1, max_size=8).map(ArchList.of)
separators = st.sampled_from([";", " ", ",", " ; "])


@given(arch_lists, separators)
def test_arch_list_round_trips(al: ArchList, sep: str) -> None:
    assert ArchList.parse(sep.join(str(e) for e in reversed(al.entries))) == al
    assert ArchList.from_nvcc_flags(al.nvcc_flags()) == al
    assert ArchList.from_targets(al.targets) == al
    assert list(al.entries) == sorted(set(al.entries))


@given(capabilities, st.sampled_from(list(Variant)), st.sampled_from(list(CodeKind)), capabilities)
def test_load_rules_are_consistent(
    cap: Capability, variant: Variant, kind: CodeKind, device: Capability
) -> None:
    target = Target(cap, variant, kind)
    how = load_kind(target, device)
    assert Target.parse(target.name) == target
    if device == cap:
        assert how is not None  # every target loads on its own capability
    if how is not None and kind is CodeKind.SASS:
        assert device.major == cap.major  # SASS never crosses a major
        assert device >= cap
    if variant is Variant.ARCH and how is not None:
        assert device == cap
    # A more specific variant never loads on more devices than a less specific one.
    if variant is Variant.ARCH and how is not None:
        assert load_kind(Target(cap, Variant.FAMILY, kind), device) is not None
