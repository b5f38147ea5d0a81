"""Shared test configuration: tool detection and marker-driven skips.

Tests that need nvcc, docker or a GPU carry a marker; they are skipped with a reason
when the thing is absent, so a run on a bare machine is honest about what it covered.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def nvcc_path() -> str | None:
    cuda_home = os.environ.get("CUDA_HOME", "/usr/local/cuda")
    candidate = Path(cuda_home) / "bin" / "nvcc"
    return shutil.which("nvcc") or (str(candidate) if candidate.exists() else None)


def _docker_running() -> bool:
    docker = shutil.which("docker", path="/usr/bin") or shutil.which("docker")
    if docker is None:
        return False
    try:
        return subprocess.run([docker, "info"], capture_output=True, timeout=20, check=False).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def _gpu_present() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


_PROBES = {
    "nvcc": (lambda: nvcc_path() is not None, "nvcc not found (set CUDA_HOME or put nvcc on PATH)"),
    "docker": (_docker_running, "no running Docker engine (run ci/docker-engine.sh)"),
    "gpu": (_gpu_present, "no CUDA GPU visible to torch"),
}


def pytest_report_header(config: pytest.Config) -> list[str]:
    lines = []
    nvcc = nvcc_path()
    if nvcc:
        out = subprocess.run([nvcc, "--version"], capture_output=True, text=True, check=False).stdout
        lines.append(f"nvcc: {nvcc} ({out.strip().splitlines()[-1] if out else '?'})")
    else:
        lines.append("nvcc: not found")
    return lines


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    results: dict[str, bool] = {}
    for item in items:
        for name, (probe, reason) in _PROBES.items():
            if item.get_closest_marker(name) is None:
                continue
            if name not in results:
                results[name] = probe()
            if not results[name]:
                item.add_marker(pytest.mark.skip(reason=reason))
