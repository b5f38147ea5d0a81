"""Real nvcc builds: every family's objects hold exactly the targets the plan chose."""

from __future__ import annotations

import json
import subprocess
from typing import TYPE_CHECKING

import pytest
from fatbin import read_targets, sass_by_family, union

from conftest import build, configure

if TYPE_CHECKING:
    from pathlib import Path

    from conftest import Build

pytestmark = [pytest.mark.nvcc, pytest.mark.slow, pytest.mark.network]

FAMILIES = ("activation", "fp8_quant", "nvfp4_quant", "fp8_marlin")


def _planned(build: Build) -> dict[str, dict[str, list[str]]]:
    info = json.loads((build.directory / "_build_info.json").read_text())
    families: dict[str, dict[str, list[str]]] = info["families"]
    return families


def _check_family(build: Build, cuobjdump: Path, family: str) -> None:
    planned = _planned(build)[family]
    objects = build.family_objects(family)
    assert objects, f"no objects for {family}"
    found = union([read_targets(cuobjdump, o) for o in objects])
    assert found.sass == set(planned["sass"]), (family, found.sass, planned["sass"])
    assert found.ptx == set(planned["ptx"]), (family, found.ptx, planned["ptx"])


@pytest.mark.parametrize("family", FAMILIES)
def test_121a_objects_hold_planned_targets(build_121a: Build, cuobjdump: Path, family: str) -> None:
    _check_family(build_121a, cuobjdump, family)


@pytest.mark.parametrize("family", FAMILIES)
def test_release_objects_hold_planned_targets(build_release: Build, cuobjdump: Path, family: str) -> None:
    _check_family(build_release, cuobjdump, family)


def test_nvfp4_never_built_for_sm90(build_release: Build, cuobjdump: Path) -> None:
    found = union([read_targets(cuobjdump, o) for o in build_release.family_objects("nvfp4_quant")])
    assert found.sass == {"sm_120f", "sm_121a"}
    assert not found.ptx


def test_extension_holds_every_family_target(build_121a: Build, cuobjdump: Path) -> None:
    found = read_targets(cuobjdump, build_121a.extension)
    planned = _planned(build_121a)
    assert found.sass == set().union(*(set(f["sass"]) for f in planned.values()))


@pytest.mark.parametrize("which", ["121a", "release"])
def test_linked_extension_holds_each_familys_planned_sass(
    which: str, build_121a: Build, build_release: Build, cuobjdump: Path
) -> None:
    built = build_121a if which == "121a" else build_release
    found = sass_by_family(cuobjdump, built.extension)
    for family, planned in _planned(built).items():
        if family in found:
            assert found[family] == set(planned["sass"]), (family, found[family], planned["sass"])


def test_marlin_generates_one_source_per_target(build_release: Build) -> None:
    generated = sorted(p.name for p in (build_release.directory / "generated" / "fp8_marlin").glob("*.cu"))
    assert generated == ["fp8_marlin_sm_120f.cu", "fp8_marlin_sm_121a.cu"]


def test_noop_rebuild_compiles_nothing(build_121a: Build, cmake: str) -> None:
    result = subprocess.run(
        [cmake, "--build", str(build_121a.directory), "--parallel", "1"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "no work to do" in result.stdout


def test_extension_loads_in_torch_with_cuda(build_121a: Build) -> None:
    """Needs a CUDA build of torch >= 2.11 (libtorch_cuda); a CPU-only torch cannot load it."""
    torch = pytest.importorskip("torch")
    if torch.version.cuda is None:
        pytest.skip("torch is a CPU build; the extension links libtorch_cuda")
    torch.ops.load_library(str(build_121a.extension))
    registry = json.loads(torch.ops.archforge_kernels.registry())
    assert registry["build"]["arch_list"] == ["12.1a"]
    kernels = {(k["family"], k["kernel"]) for k in registry["kernels"]}
    assert ("nvfp4_quant", "scaled_fp4_quant") in kernels
    if not torch.cuda.is_available():
        assert not torch.ops.archforge_kernels.has_kernel("activation", "silu_and_mul", 0)


# nvcc 13.0 refuses plain sm_120 beside sm_120f; the plan's forward PTX goes alone there.
def test_plain_and_family_target_of_one_arch_compile(
    tmp_path: Path, cmake: str, nvcc: Path, torch_root: Path
) -> None:
    result = configure(cmake, tmp_path, torch_root, arch_list="9.0a;12.0f")
    assert result.returncode == 0, result.stderr
    build(cmake, tmp_path)
