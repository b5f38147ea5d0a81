"""Target selection per family: the named scenarios where real projects lost kernels,
and properties over random arch lists and families."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archforge.arch import ArchList, Capability, CodeKind, Target, Variant, load_kind
from archforge.cuda import SUPPORTED_CUDA, CudaVersion, accepted_targets, check_accepts, parse_cuda
from archforge.errors import ArchError
from archforge.select import Requirement, select_targets

CUDA = {str(v): v for v in SUPPORTED_CUDA}


def reqs(text: str) -> tuple[Requirement, ...]:
    return tuple(Requirement.parse(t) for t in text.split(";"))


def minimum(text: str) -> tuple[Requirement, ...]:
    return (Requirement(Capability.parse(text), open_ended=True),)


NVFP4_13 = reqs("10.0f;11.0f;12.0f")
NVFP4_129 = reqs("10.0a;10.1a;10.3a;12.0a;12.1a")
MARLIN = reqs("8.9;12.0")
SCALED_MM_13 = reqs("9.0a;12.0f")


def pick(r: tuple[Requirement, ...], arch_list: str, cuda: str, *, ptx: bool = False) -> str:
    sel = select_targets(r, ArchList.parse(arch_list), CUDA[cuda], family="f", forward_ptx=ptx)
    return sel.describe()


# (name, requirements, requested, cuda, expected targets)
SCENARIOS = [
    # A family supporting 12.0f must give SM121 code for 12.1a, 12.1f and 12.1, on 13.0 and 12.9.
    ("12.1a keeps its suffix (13.0)", NVFP4_13, "12.1a", "13.0", "12.1a"),
    ("12.1f keeps its suffix (13.0)", NVFP4_13, "12.1f", "13.0", "12.1f"),
    ("plain 12.1 is upgraded to 12.1f, never plain sm_121", NVFP4_13, "12.1", "13.0", "12.1f"),
    ("12.1a on 12.9 (arch-specific family)", NVFP4_129, "12.1a", "12.9", "12.1a"),
    ("12.1f on 12.9 is upgraded to 12.1a", NVFP4_129, "12.1f", "12.9", "12.1a"),
    ("plain 12.1 on 12.9 is upgraded to 12.1a", NVFP4_129, "12.1", "12.9", "12.1a"),
    ("12.0f family on 12.9 with 12.1a request", reqs("12.0f"), "12.1a", "12.9", "12.1a"),
    ("12.0f family on 12.9 with 12.1 request", reqs("12.0f"), "12.1", "12.9", "12.1f"),
    ("12.0f request serves 12.0 and, by family, 12.1", NVFP4_13, "12.0f;12.1", "13.0", "12.0f"),
    ("both honoured when both asked", NVFP4_13, "12.0f;12.1a", "13.0", "12.0f;12.1a"),
    ("plain 12.0;12.1 -> one f target covers both", NVFP4_13, "12.0;12.1", "13.0", "12.0f"),
    ("SM100 family on 13.0", NVFP4_13, "10.0a;10.3", "13.0", "10.0a;10.3f"),
    ("Hopper gets no nvfp4", NVFP4_13, "9.0a", "13.0", ""),
    # fp8_marlin matches SM12x by major: every 12.x target, whatever the suffix.
    ("marlin on 12.1a", MARLIN, "12.1a", "13.0", "12.1a"),
    ("marlin on 12.1f", MARLIN, "12.1f", "13.0", "12.1f"),
    ("marlin on plain 12.1", MARLIN, "12.1", "12.9", "12.1"),
    ("marlin skips Hopper and Blackwell DC", MARLIN, "8.9;9.0a;10.0a;12.0f", "13.0", "8.9;12.0f"),
    ("scaled_mm keeps 9.0a, upgrades plain 9.0", SCALED_MM_13, "9.0;12.1", "13.0", "9.0a;12.1f"),
    ("generic family honours every entry", minimum("7.5"), "8.0;9.0a;12.1a", "13.0", "8.0;9.0a;12.1a"),
    ("fp8_quant from 8.9 on", minimum("8.9"), "8.0;8.6;8.9;12.0f", "13.0", "8.9;12.0f"),
    ("user +PTX is kept", minimum("7.5"), "8.9+PTX", "12.8", "8.9+PTX"),
]


@pytest.mark.parametrize(
    ("name", "r", "requested", "cuda", "expected"), SCENARIOS, ids=[s[0] for s in SCENARIOS]
)
def test_scenario(name: str, r: tuple[Requirement, ...], requested: str, cuda: str, expected: str) -> None:
    assert pick(r, requested, cuda) == expected


def test_forward_ptx_is_plain_and_newest() -> None:
    assert pick(minimum("7.5"), "8.0;9.0a", "13.0", ptx=True) == "8.0;9.0a;compute_90"
    # nvcc 13.0 refuses sm_120 beside sm_120f: the forward PTX goes alone.
    assert pick(minimum("7.5"), "9.0a;12.0f", "13.0", ptx=True) == "9.0a;12.0f;compute_120"
    assert pick(minimum("7.5"), "8.9;12.0", "13.0", ptx=True) == "8.9;12.0+PTX"
    # PTX of an a/f target would not JIT on later GPUs, so plain PTX is added.
    sel = select_targets(minimum("7.5"), ArchList.parse("12.1a"), CUDA["13.0"], family="a", forward_ptx=True)
    assert Target.parse("compute_121") in sel.targets
    assert not any(t.kind is CodeKind.PTX and t.variant is not Variant.PLAIN for t in sel.targets)


def test_missing_devices_have_reasons() -> None:
    sel = select_targets(NVFP4_13, ArchList.parse("9.0a;12.1a"), CUDA["13.0"], family="nvfp4_quant")
    assert set(sel.missing) == {Capability(9, 0)}
    assert "10.0f, 11.0f, 12.0f" in sel.missing[Capability(9, 0)]
    sel = select_targets(reqs("12.0a"), ArchList.parse("12.1a"), CUDA["12.9"], family="x")
    assert "sm_120a cannot load on 12.1" in sel.missing[Capability(12, 1)]


def test_served_says_how() -> None:
    sel = select_targets(NVFP4_13, ArchList.parse("12.0f;12.1"), CUDA["13.0"], family="x")
    (t, how) = sel.served[Capability(12, 1)]
    assert t.name == "sm_120f"
    assert how.value == "family"


@pytest.mark.parametrize(
    ("arch_list", "cuda", "needle"),
    [
        ("9.0f", "13.0", "exist from 10.0 on"),
        ("12.1", "12.8", "CUDA 12.8 does not accept '12.1'"),
        ("12.0f", "12.8", "need CUDA 12.9"),
        ("7.0", "13.0", "it accepts 7.5"),
        ("10.1a", "13.0", "renamed 10.1 to 11.0"),
        ("8.8", "12.9", "CUDA 12.9 does not accept '8.8'"),
    ],
)
def test_cuda_refuses(arch_list: str, cuda: str, needle: str) -> None:
    with pytest.raises(ArchError, match=needle):
        check_accepts(CUDA[cuda], ArchList.parse(arch_list))


@pytest.mark.parametrize("bad", ["14.0", "12", "twelve", "12.9.1.1", ""])
def test_bad_cuda_versions(bad: str) -> None:
    with pytest.raises(ArchError, match="12.8, 12.9, 13.0"):
        parse_cuda(bad)


# -- properties --------------------------------------------------------------------------------


def _requirements(cuda: CudaVersion) -> st.SearchStrategy[tuple[Requirement, ...]]:
    sass = sorted(t for t in accepted_targets(cuda) if t.kind is CodeKind.SASS)
    one = st.sampled_from(sass).map(lambda t: Requirement(t.capability, t.variant))
    opened = st.sampled_from(sass).map(lambda t: Requirement(t.capability, open_ended=True))
    return st.one_of(
        st.lists(one, min_size=1, max_size=5).map(lambda r: tuple(sorted(set(r)))), opened.map(lambda r: (r,))
    )


@st.composite
def cases(draw: st.DrawFn) -> tuple[CudaVersion, tuple[Requirement, ...], ArchList]:
    cuda = draw(st.sampled_from(SUPPORTED_CUDA))
    sass = sorted(t for t in accepted_targets(cuda) if t.kind is CodeKind.SASS)
    picked = draw(st.lists(st.sampled_from(sass), min_size=1, max_size=6))
    ptx = draw(st.lists(st.booleans(), min_size=len(picked), max_size=len(picked)))
    text = ";".join(f"{t.arch_name}{'+PTX' if p else ''}" for t, p in zip(picked, ptx, strict=True))
    return cuda, draw(_requirements(cuda)), ArchList.parse(text)


@settings(max_examples=400, deadline=None)
@given(cases(), st.booleans())
def test_selection_invariants(case: tuple[CudaVersion, tuple[Requirement, ...], ArchList], fwd: bool) -> None:
    cuda, r, al = case
    sel = select_targets(r, al, cuda, family="fam", forward_ptx=fwd)
    sass = [t for t in sel.targets if t.kind is CodeKind.SASS]
    accepted = accepted_targets(cuda)
    # Every target is one the toolkit accepts and that has the features the family needs.
    assert all(t in accepted for t in sel.targets)
    assert all(any(q.satisfied_by(t) for q in r) for t in sass)
    for device in al.capabilities:
        could = [
            t
            for t in accepted
            if t.kind is CodeKind.SASS
            and any(q.satisfied_by(t) for q in r)
            and load_kind(t, device) is not None
        ]
        # Served exactly when some valid target could serve it; missing ones say why.
        assert (device in sel.served) == bool(could), device
        assert (device in sel.missing) == (not could)
        if device in sel.missing:
            assert sel.missing[device]
        else:
            target, _ = sel.served[device]
            assert target in sel.targets
            assert target.kind is CodeKind.PTX or any(q.satisfied_by(target) for q in r)
    # The user's own entry is kept wherever it satisfies the family.
    for entry in al.entries:
        if entry.sass in accepted and any(q.satisfied_by(entry.sass) for q in r):
            assert entry.sass in sel.targets
    # Minimal: at most one SASS target per entry (plus the plain forward-PTX companion);
    # and no substitute is redundant.
    assert len(sass) <= len(al.entries) + (1 if fwd else 0)
    honoured = {e.sass for e in al.entries}
    for t in sass:
        if t in honoured or (fwd and t.variant is Variant.PLAIN):
            continue
        rest = [u for u in sass if u != t]
        assert any(
            all(load_kind(u, d) is None for u in rest) for d in al.capabilities if load_kind(t, d) is not None
        ), f"{t} is redundant"
