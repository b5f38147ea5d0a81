"""Read the targets of a fatbin with cuobjdump: exact SASS suffixes (a/f) and PTX."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

_BLOCK = re.compile(r"^Fatbin (?P<kind>elf|ptx) code:\n=+\narch = (?P<arch>\w+)$", re.MULTILINE)


@dataclass(frozen=True)
class Targets:
    sass: frozenset[str]
    """e.g. {"sm_90a", "sm_120f"}: `-res-usage` keeps the a/f suffix that `-lelf` drops."""
    ptx: frozenset[str]
    """e.g. {"compute_121"}."""


def read_targets(cuobjdump: Path, path: Path) -> Targets:
    result = subprocess.run(
        [str(cuobjdump), "-res-usage", str(path)], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        if "does not contain device code" in result.stderr:
            return Targets(sass=frozenset(), ptx=frozenset())
        raise AssertionError(f"cuobjdump failed on {path}: {result.stderr}")
    sass: set[str] = set()
    ptx: set[str] = set()
    for match in _BLOCK.finditer(result.stdout):
        if match["kind"] == "elf":
            sass.add(match["arch"])
        else:
            ptx.add(match["arch"].replace("sm_", "compute_", 1))
    return Targets(sass=frozenset(sass), ptx=frozenset(ptx))


def union(targets: list[Targets]) -> Targets:
    return Targets(
        sass=frozenset().union(*(t.sass for t in targets)),
        ptx=frozenset().union(*(t.ptx for t in targets)),
    )


_FUNCTION = re.compile(r"^\s*Function (?P<name>\S+):$", re.MULTILINE)
_ARCH_BLOCK = re.compile(r"^Fatbin elf code:\n=+\narch = (?P<arch>\w+)$", re.MULTILINE)

# Mangled-name fragments of each family's kernel namespace (csrc/*: named namespaces so
# that kernel symbols are stable).
FAMILY_MARKERS = {
    "activation": "activation_kernels",
    "fp8_quant": "fp8_quant_kernels",
    "nvfp4_quant": "nvfp4_quant_kernels",
    "fp8_marlin": "10fp8_marlin",
}


def sass_by_family(cuobjdump: Path, path: Path) -> dict[str, frozenset[str]]:
    """For a linked .so: which SASS targets hold at least one kernel of each family."""
    result = subprocess.run(
        [str(cuobjdump), "-res-usage", str(path)], capture_output=True, text=True, check=True
    )
    found: dict[str, set[str]] = {family: set() for family in FAMILY_MARKERS}
    blocks = list(_ARCH_BLOCK.finditer(result.stdout))
    for index, block in enumerate(blocks):
        end = blocks[index + 1].start() if index + 1 < len(blocks) else len(result.stdout)
        names = _FUNCTION.findall(result.stdout, block.end(), end)
        for family, marker in FAMILY_MARKERS.items():
            if any(marker in name for name in names):
                found[family].add(block["arch"])
    return {family: frozenset(archs) for family, archs in found.items()}
