"""Finding nvcc and cuobjdump for the tests, and reading cuobjdump's answers."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CACHE = REPO / ".cache"


def find_nvcc() -> Path | None:
    for home in (os.environ.get("CUDA_HOME"), os.environ.get("CUDA_PATH"), "/usr/local/cuda"):
        if home and (Path(home) / "bin" / "nvcc").is_file():
            return Path(home) / "bin" / "nvcc"
    found = shutil.which("nvcc")
    return Path(found) if found else None


def find_cuobjdump() -> Path | None:
    """cuobjdump from PATH, else from the nvidia-cuda-cuobjdump wheel (test extra)."""
    found = shutil.which("cuobjdump")
    if found:
        return Path(found)
    spec = importlib.util.find_spec("nvidia")
    for base in (spec.submodule_search_locations or []) if spec else []:
        for candidate in sorted(Path(base).glob("*/bin/cuobjdump")):
            return candidate
    return None


def cuobjdump(tool: Path, *args: str | Path) -> str:
    return subprocess.run([str(tool), *map(str, args)], capture_output=True, text=True, check=True).stdout


_HEADER = re.compile(r"^Fatbin (elf|ptx) code:\n=+\narch = (\S+)", re.MULTILINE)


def targets(tool: Path, path: Path) -> Counter[str]:
    """Every entry's target from cuobjdump's entry headers, which keep the a/f suffix."""
    out = cuobjdump(tool, path)
    return Counter(
        arch if kind == "elf" else arch.replace("sm_", "compute_", 1) for kind, arch in _HEADER.findall(out)
    )


def counts(tool: Path, path: Path) -> tuple[int, int]:
    """(cubins, PTX files) as --list-elf and --list-ptx count them."""
    elf = cuobjdump(tool, "--list-elf", path)
    ptx = cuobjdump(tool, "--list-ptx", path)
    return (
        sum(1 for line in elf.splitlines() if line.startswith("ELF file")),
        sum(1 for line in ptx.splitlines() if line.startswith("PTX file")),
    )


def listed_elf_arches(tool: Path, path: Path) -> list[str]:
    return re.findall(r"\.(sm_\w+)\.cubin$", cuobjdump(tool, "--list-elf", path), re.MULTILINE)


def kernel_symbols(tool: Path, path: Path) -> Counter[tuple[str, str]]:
    """(target, mangled kernel) pairs from cuobjdump -symbols (ENTRY functions of each cubin)."""
    pairs: Counter[tuple[str, str]] = Counter()
    arch = ""
    for line in cuobjdump(tool, "-symbols", path).splitlines():
        if line.startswith("arch = "):
            arch = line.split("=", 1)[1].strip()
        elif line.startswith("FUNC") and " ENTRY " in line:
            pairs[arch, line.split()[-1]] += 1
    return pairs
