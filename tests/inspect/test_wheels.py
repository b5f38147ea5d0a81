"""Third-party wheels from PyPI, checked against cuobjdump.

Downloaded on demand with pip into .cache/wheels (never committed). One small wheel runs
by default; the others run with ARCHFORGE_WHEEL_TESTS=1 (they download ~120 MB and take
about a minute on two cores).
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from archforge.inspect import EntryKind, inspect_paths
from archforge.inspect.verify import verify
from tests.inspect import tools

pytestmark = [pytest.mark.network, pytest.mark.slow]
_ALL = os.environ.get("ARCHFORGE_WHEEL_TESTS") == "1"


@dataclass(frozen=True)
class Wheel:
    spec: str
    members: tuple[str, ...]
    """Members compared with cuobjdump."""
    compression: frozenset[str]
    """Compression methods the compared members use (CUDA 12: lz4, CUDA 13: zstd)."""
    loads_on_121: bool
    """Whether every kernel of the compared members loads on a 12.1 device."""
    default: bool = False


WHEELS = (
    Wheel(
        "nvidia-nvjpeg-cu12==12.4.0.76",
        ("nvidia/nvjpeg/lib/libnvjpeg.so.12",),
        frozenset({"lz4", "none"}),
        loads_on_121=True,
        default=True,
    ),
    Wheel(
        "nvidia-nvjpeg==13.3.2.43",
        ("nvidia/cu13/lib/libnvjpeg.so.13",),
        frozenset({"zstd"}),
        loads_on_121=True,
    ),
    Wheel(
        "bitsandbytes==0.50.2",
        # -rdc builds: the loaded, device-linked fatbin is uncompressed (CUDA 11.8) or zstd
        # (CUDA 13.0); the LZ4 entries sit in __nv_relfatbin, which never loads.
        ("bitsandbytes/libbitsandbytes_cuda118.so", "bitsandbytes/libbitsandbytes_cuda130.so"),
        frozenset({"none", "zstd"}),
        loads_on_121=False,
    ),
    Wheel(
        "nvidia-curand==10.4.5.25",
        ("nvidia/cu13/lib/libcurand.so.10",),
        frozenset({"zstd"}),
        loads_on_121=True,
    ),
)


def _download(spec: str) -> Path:
    dest = tools.CACHE / "wheels"
    name, version = spec.split("==")
    pattern = f"{name.replace('-', '_')}-{version}-*.whl"
    found = sorted(dest.glob(pattern))
    if not found:
        cmd = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "-d",
            str(dest),
            spec,
        ]
        result = subprocess.run(cmd, capture_output=True, text=True, check=False)
        found = sorted(dest.glob(pattern))
        if not found:
            pytest.skip(f"cannot download {spec}: {result.stderr.strip()[-300:]}")
    return found[0]


@pytest.fixture(
    params=[pytest.param(w, id=w.spec.split("==")[0]) for w in WHEELS],
)
def wheel(request: pytest.FixtureRequest) -> Wheel:
    chosen: Wheel = request.param
    if not (chosen.default or _ALL):
        pytest.skip("set ARCHFORGE_WHEEL_TESTS=1 to check this wheel")
    return chosen


def test_wheel_matches_cuobjdump(wheel: Wheel, cuobjdump_tool: Path, tmp_path: Path) -> None:
    path = _download(wheel.spec)
    reports = {r.path: r for r in inspect_paths([path], kernels=True)}
    assert set(wheel.members) <= set(reports)
    methods: set[str] = set()
    with zipfile.ZipFile(path) as archive:
        for member in wheel.members:
            on_disk = Path(archive.extract(member, tmp_path))  # only cuobjdump needs a file
            report = reports[member]
            methods |= {e.compression.value for e in report.entries}
            assert Counter(e.target for e in report.entries) == tools.targets(cuobjdump_tool, on_disk), member
            ours = (
                sum(e.kind is EntryKind.SASS for e in report.entries),
                sum(e.kind is EntryKind.PTX for e in report.entries),
            )
            assert ours == tools.counts(cuobjdump_tool, on_disk), member
            kernels = Counter(
                (e.target, k) for e in report.entries if e.kind is EntryKind.SASS for k in e.kernels or ()
            )
            assert kernels == tools.kernel_symbols(cuobjdump_tool, on_disk), member
    assert methods == wheel.compression
    from archforge.arch import Capability

    verdict = verify([reports[m] for m in wheel.members], devices=[Capability(12, 1)])
    assert verdict.ok == wheel.loads_on_121, verdict.problems[:5]
