"""Fixtures of the kernel-package tests: tools, the cached torch headers, one shared build.

Compile tests share session-scoped builds (one per arch list) so nvcc runs once per
target; everything is passed in as fixtures, nothing is patched globally.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parent / "fixtures"
TORCH_VERSION = "2.11.0"
sys.path.insert(0, str(REPO / "cmake"))  # fetch_torch.py is a script, not a package
# archforge_kernels is its own distribution (kernels/pyproject.toml), not part of the
# editable archforge install: test the source tree's Python side.
sys.path.insert(0, str(REPO / "python"))


def _cuda_home() -> Path | None:
    nvcc = shutil.which("nvcc")
    if nvcc:
        return Path(nvcc).resolve().parent.parent
    home = os.environ.get("CUDA_HOME")
    return Path(home) if home and (Path(home) / "bin" / "nvcc").exists() else None


@pytest.fixture(scope="session")
def nvcc() -> Path:
    home = _cuda_home()
    if home is None:
        pytest.skip("nvcc not found on PATH or in CUDA_HOME")
    return home / "bin" / "nvcc"


@pytest.fixture(scope="session")
def cmake() -> str:
    found = shutil.which("cmake")
    if found is None or shutil.which("ninja") is None:
        pytest.skip("cmake and ninja are needed")
    return found


@pytest.fixture(scope="session")
def cuobjdump() -> Path:
    """cuobjdump from the nvidia-cuda-cuobjdump wheel (or PATH)."""
    candidates = [Path(p) for p in [shutil.which("cuobjdump")] if p]
    try:
        import nvidia

        candidates += [Path(d) / "cu13" / "bin" / "cuobjdump" for d in nvidia.__path__]
    except ImportError:
        pass
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    pytest.skip("cuobjdump not found (pip install nvidia-cuda-cuobjdump)")


@pytest.fixture(scope="session")
def torch_root() -> Path:
    """Headers and libraries of torch 2.11 (downloaded once into .cache, ~530 MB)."""
    import fetch_torch

    cache = Path(os.environ.get("ARCHFORGE_CACHE_DIR", REPO / ".cache"))
    try:
        return fetch_torch.fetch(TORCH_VERSION, cache)
    except (fetch_torch.FetchError, OSError) as exc:
        pytest.skip(f"torch {TORCH_VERSION} headers unavailable: {exc}")


@dataclass(frozen=True)
class Build:
    """A configured and built tree of archforge-kernels."""

    directory: Path
    configure_log: str

    @property
    def extension(self) -> Path:
        return self.directory / "_C.so"

    def family_objects(self, family: str) -> list[Path]:
        return sorted((self.directory / "CMakeFiles" / f"archforge_family_{family}.dir").rglob("*.o"))


def configure(
    cmake: str,
    build_dir: Path,
    torch_root: Path,
    *,
    plan_file: Path | None = None,
    arch_list: str | None = None,
    extra_env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    args = [
        cmake,
        "-S",
        str(REPO),
        "-B",
        str(build_dir),
        "-G",
        "Ninja",
        f"-DPython_EXECUTABLE={sys.executable}",
        f"-DARCHFORGE_TORCH_ROOT={torch_root}",
    ]
    if plan_file is not None:
        args.append(f"-DARCHFORGE_PLAN_FILE={plan_file}")
    if arch_list is not None:
        args.append(f"-DTORCH_CUDA_ARCH_LIST={arch_list}")
    ignored = {"TORCH_CUDA_ARCH_LIST", "CMAKE_BUILD_TYPE", "MAX_JOBS", "NVCC_THREADS"}
    env = {k: v for k, v in os.environ.items() if k not in ignored} | (extra_env or {})
    return subprocess.run(args, capture_output=True, text=True, check=False, env=env)


def build(cmake: str, build_dir: Path) -> None:
    # One compile at a time: the CI machine has two cores shared with other jobs.
    result = subprocess.run(
        [cmake, "--build", str(build_dir), "--parallel", "1"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]


@pytest.fixture(scope="session")
def build_121a(tmp_path_factory: pytest.TempPathFactory, cmake: str, nvcc: Path, torch_root: Path) -> Build:
    """The whole extension for 12.1a (DGX Spark), planned by `archforge plan`."""
    directory = tmp_path_factory.mktemp("build-12.1a")
    result = configure(cmake, directory, torch_root, arch_list="12.1a")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    build(cmake, directory)
    return Build(directory=directory, configure_log=result.stdout)


@pytest.fixture(scope="session")
def build_release(
    tmp_path_factory: pytest.TempPathFactory, cmake: str, nvcc: Path, torch_root: Path
) -> Build:
    """The release list 9.0a;12.0f;12.1a: nvfp4_quant and fp8_marlin must never get 9.0a."""
    directory = tmp_path_factory.mktemp("build-release")
    result = configure(cmake, directory, torch_root, arch_list="9.0a;12.0f;12.1a")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    build(cmake, directory)
    return Build(directory=directory, configure_log=result.stdout)
