"""csrc/fp8_marlin/generate.py: one instantiation per gencode flag, nothing else."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from types import ModuleType

GENERATOR = Path(__file__).resolve().parents[2] / "csrc" / "fp8_marlin" / "generate.py"


@pytest.fixture(scope="module")
def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fp8_marlin_generate", GENERATOR)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve annotations through sys.modules
    spec.loader.exec_module(module)
    return module


def test_one_source_per_flag(generator: ModuleType, tmp_path: Path) -> None:
    flags = [
        "-gencode=arch=compute_120f,code=sm_120f",
        "-gencode=arch=compute_121a,code=sm_121a",
        "-gencode=arch=compute_121,code=[sm_121,compute_121]",
    ]
    paths = generator.generate(flags, tmp_path)
    assert [p.name for p in paths] == [
        "fp8_marlin_sm_120f.cu",
        "fp8_marlin_sm_121a.cu",
        "fp8_marlin_sm_121_compute_121.cu",
    ]
    text = (tmp_path / "fp8_marlin_sm_121a.cu").read_text()
    assert '"fp8_marlin_gemm_bf16", "sm_121a"' in text
    assert "Tag_sm_121a" in text
    cmake = (tmp_path / "sources.cmake").read_text()
    assert 'COMPILE_OPTIONS "-gencode=arch=compute_121a,code=sm_121a"' in cmake


def test_rerun_keeps_mtimes_and_drops_stale(generator: ModuleType, tmp_path: Path) -> None:
    generator.generate(
        ["-gencode=arch=compute_120f,code=sm_120f", "-gencode=arch=compute_89,code=sm_89"], tmp_path
    )
    kept = tmp_path / "fp8_marlin_sm_120f.cu"
    before = kept.stat().st_mtime_ns
    generator.generate(["-gencode=arch=compute_120f,code=sm_120f"], tmp_path)
    assert kept.stat().st_mtime_ns == before
    assert not (tmp_path / "fp8_marlin_sm_89.cu").exists()


@pytest.mark.parametrize(
    "flags",
    [
        ["-arch=sm_120"],
        ["-gencode=arch=compute_120f,code=sm_120f", "-gencode=arch=compute_120f,code=sm_120f"],
    ],
)
def test_rejects_bad_flags(generator: ModuleType, tmp_path: Path, flags: list[str]) -> None:
    with pytest.raises(generator.GenerateError):
        generator.generate(flags, tmp_path)
