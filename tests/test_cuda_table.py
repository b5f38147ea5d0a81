"""The CUDA target table against the real toolkits.

13.0: the machine's nvcc (``--list-gpu-code``/``--list-gpu-arch`` for capabilities) and
its ptxas (``--help`` lists every accepted name, suffixes included). 12.8 and 12.9: the
ptxas of NVIDIA's ``nvidia-cuda-nvcc-cu12`` wheels, downloaded once into .cache/.
"""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from archforge.arch import CodeKind, Target
from archforge.cuda import CudaVersion, accepted_targets
from tests.conftest import ROOT, nvcc_path


def _table(cuda: CudaVersion, kind: CodeKind) -> set[str]:
    return {t.name for t in accepted_targets(cuda) if t.kind is kind}


def _ptxas_names(ptxas: str) -> set[str]:
    text = subprocess.run([ptxas, "--help"], capture_output=True, text=True, check=True).stdout
    allowed = re.search(r"--gpu-name.*?Allowed values for this option:(.*?)\.\s", text, flags=re.DOTALL)
    assert allowed is not None, "ptxas --help no longer lists allowed values"
    return set(re.findall(r"'((?:sm|compute)_\d+[af]?)'", allowed.group(1)))


@pytest.mark.nvcc
def test_cuda_13_row_matches_nvcc() -> None:
    nvcc = nvcc_path()
    assert nvcc is not None
    version = subprocess.run([nvcc, "--version"], capture_output=True, text=True, check=True).stdout
    if "release 13.0" not in version:
        pytest.skip("the machine's nvcc is not 13.0")
    codes = subprocess.run(
        [nvcc, "--list-gpu-code"], capture_output=True, text=True, check=True
    ).stdout.split()
    archs = subprocess.run(
        [nvcc, "--list-gpu-arch"], capture_output=True, text=True, check=True
    ).stdout.split()
    cuda = CudaVersion(13, 0)
    plain_sass = {n for n in _table(cuda, CodeKind.SASS) if not n.endswith(("a", "f"))}
    plain_ptx = {n for n in _table(cuda, CodeKind.PTX) if not n.endswith(("a", "f"))}
    assert set(codes) == plain_sass
    assert set(archs) == plain_ptx
    ptxas = str(Path(nvcc).with_name("ptxas"))
    assert _ptxas_names(ptxas) == _table(cuda, CodeKind.SASS) | _table(cuda, CodeKind.PTX)


def _cu12_ptxas(version: str) -> str:
    cache = ROOT / ".cache" / "ptxas" / version
    ptxas = cache / "nvidia" / "cuda_nvcc" / "bin" / "ptxas"
    if not ptxas.exists():
        wheels = cache.parent / f"{version}-wheel"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "-q",
                "--no-deps",
                "--only-binary=:all:",
                "--platform",
                "manylinux_2_12_x86_64",
                "-d",
                str(wheels),
                f"nvidia-cuda-nvcc-cu12=={version}.*",
            ],
            check=True,
        )
        (wheel,) = wheels.glob("*.whl")
        with zipfile.ZipFile(wheel) as zf:
            zf.extract("nvidia/cuda_nvcc/bin/ptxas", cache)
        ptxas.chmod(0o755)
    return str(ptxas)


@pytest.mark.network
@pytest.mark.slow
@pytest.mark.parametrize("version", ["12.8", "12.9"])
def test_cuda_12_rows_match_ptxas(version: str) -> None:
    major, minor = (int(x) for x in version.split("."))
    cuda = CudaVersion(major, minor)
    expected = _table(cuda, CodeKind.SASS) | _table(cuda, CodeKind.PTX)
    assert _ptxas_names(_cu12_ptxas(version)) == expected


def test_table_shape() -> None:
    # Facts the table must keep: f arrives in 12.9, 13.0 drops < 7.5 and renames 10.1 to 11.0.
    t128, t129, t130 = (accepted_targets(CudaVersion(*v)) for v in ((12, 8), (12, 9), (13, 0)))
    assert not any(t.name.endswith("f") for t in t128)
    assert Target.parse("sm_121f") in t129
    assert Target.parse("sm_70") in t129
    assert Target.parse("sm_70") not in t130
    assert Target.parse("sm_101a") in t129
    assert Target.parse("sm_101a") not in t130
    assert Target.parse("sm_110a") in t130
