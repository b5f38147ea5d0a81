"""CMake configure: the plan hand-off, the refusal of a plan with errors, the registry JSON."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from conftest import FIXTURES, configure

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = [pytest.mark.nvcc, pytest.mark.network]


def test_fixture_plan_is_applied_verbatim(tmp_path: Path, cmake: str, nvcc: Path, torch_root: Path) -> None:
    result = configure(cmake, tmp_path, torch_root, plan_file=FIXTURES / "plan_9.0a_12.0f_12.1a.cmake")
    assert result.returncode == 0, result.stderr
    assert "fixture plan 9.0a;12.0f;12.1a" in result.stdout  # the plan's report is printed
    info = json.loads((tmp_path / "_build_info.json").read_text())
    assert info["plan_digest"] == "fixture-9.0a-12.0f-12.1a"
    assert info["families"]["nvfp4_quant"]["sass"] == ["sm_120f", "sm_121a"]
    assert info["families"]["nvfp4_quant"]["defines"] == ["ENABLE_NVFP4_SM120"]
    assert info["families"]["scaled_mm_fp8"]["compiled"] is False
    # The family's flags reach its object library untouched, and no CMake default arch.
    ninja = (tmp_path / "build.ninja").read_text()
    assert "-gencode=arch=compute_120f,code=sm_120f" in ninja
    assert "--generate-code=arch=compute_52" not in ninja
    assert "-arch=" not in ninja.replace("-gencode=arch=", "")


def test_plan_errors_stop_configure(tmp_path: Path, cmake: str, nvcc: Path, torch_root: Path) -> None:
    result = configure(cmake, tmp_path, torch_root, plan_file=FIXTURES / "plan_missing_release_family.cmake")
    assert result.returncode != 0
    assert "archforge plan refuses this build" in result.stderr
    assert "release family fp8_quant gets no code for requested device SM 8.0" in result.stderr


def test_planner_runs_at_configure(tmp_path: Path, cmake: str, nvcc: Path, torch_root: Path) -> None:
    pytest.importorskip("archforge.plan")
    result = configure(cmake, tmp_path, torch_root, arch_list="9.0a;12.0f;12.1a")
    assert result.returncode == 0, result.stderr
    plan = (tmp_path / "archforge_plan.cmake").read_text()
    assert 'set(ARCHFORGE_PLAN_ARCH_LIST "9.0a;12.0f;12.1a")' in plan
    info = json.loads((tmp_path / "_build_info.json").read_text())
    assert info["arch_list"] == ["9.0a", "12.0f", "12.1a"]
    assert "sm_90a" not in info["families"]["nvfp4_quant"]["sass"]


def test_missing_arch_list_is_a_clear_error(tmp_path: Path, cmake: str, nvcc: Path, torch_root: Path) -> None:
    result = configure(cmake, tmp_path, torch_root)
    assert result.returncode != 0
    assert "Set TORCH_CUDA_ARCH_LIST" in result.stderr


def test_build_environment_variables(tmp_path: Path, cmake: str, nvcc: Path, torch_root: Path) -> None:
    env = {"MAX_JOBS": "1", "NVCC_THREADS": "2", "CMAKE_BUILD_TYPE": "RelWithDebInfo"}
    result = configure(cmake, tmp_path, torch_root, plan_file=FIXTURES / "plan_12.1a.cmake", extra_env=env)
    assert result.returncode == 0, result.stderr
    ninja = (tmp_path / "build.ninja").read_text()
    rules = (tmp_path / "CMakeFiles" / "rules.ninja").read_text()
    assert "--threads=2" in ninja
    assert "pool archforge_compile\n  depth = 1" in rules  # MAX_JOBS bounds compiles
    assert "pool = archforge_compile" in ninja
    assert "CMAKE_BUILD_TYPE:STRING=RelWithDebInfo" in (tmp_path / "CMakeCache.txt").read_text()
