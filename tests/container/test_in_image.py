"""Checks that run inside the image's test stage (docker/Dockerfile, target ``test``).

The test stage sets ARCHFORGE_IN_IMAGE=1 and ARCHFORGE_DIST (the exported wheel
stage: wheel, plan.json); everywhere else these tests skip.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(
    os.environ.get("ARCHFORGE_IN_IMAGE") != "1", reason="runs only inside the image's test stage"
)


def _plan() -> dict[str, object]:
    data = json.loads((Path(os.environ["ARCHFORGE_DIST"]) / "plan.json").read_text())
    assert isinstance(data, dict)
    return data


def test_runs_as_non_root() -> None:
    assert os.getuid() != 0


@pytest.mark.parametrize("tool", ["gcc", "g++", "cc", "c++", "nvcc", "ptxas", "cmake", "ccache"])
def test_runtime_has_no_compiler(tool: str) -> None:
    assert shutil.which(tool) is None, f"{tool} is in the runtime image: {shutil.which(tool)}"


def test_no_build_secret_or_sources_left() -> None:
    assert not Path("/run/secrets/ca").exists()
    assert "PIP_CERT" not in os.environ
    assert not Path("/src/csrc").exists()  # kernel sources stay in the build stage
    assert not Path("/dist").exists()


def test_installed_build_matches_plan() -> None:
    from archforge_kernels.build_info import load_build_info

    info = load_build_info()
    plan = _plan()
    assert info.plan_digest == plan["digest"]
    families = plan["families"]
    assert isinstance(families, dict)
    for name, family in families.items():
        assert info.family(name).compiled == bool(family["targets"]), name
        assert sorted(info.family(name).sass) == sorted(family["sass"]), name


def test_extension_loads_into_torch_without_gpu() -> None:
    # The stable-ABI module must load on the CPU-only build machine: what fails here
    # (a missing symbol, a wrong libcudart) would fail on every GPU too.
    from archforge_kernels.ops import load_extension

    ops = load_extension()
    for name in ("silu_and_mul", "rms_norm"):
        assert hasattr(ops, name), name
