"""What the installed wheel was built with, from ``_build_info.json``; no torch, no GPU.

CMake writes the file from the plan it applied (the same JSON is compiled into the
extension and returned by ``torch.ops.archforge_kernels.registry()``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archforge_kernels.errors import ExtensionNotBuiltError

BUILD_INFO_FILE = Path(__file__).with_name("_build_info.json")


@dataclass(frozen=True, kw_only=True)
class FamilyBuild:
    """One kernel family as the plan built it."""

    name: str
    compiled: bool
    targets: tuple[str, ...]
    """Arch-list form, e.g. ``("9.0a", "12.0f", "12.0+PTX")``."""
    sass: tuple[str, ...]
    ptx: tuple[str, ...]
    defines: tuple[str, ...]

    @property
    def targets_text(self) -> str:
        return ";".join(self.targets) if self.targets else "nothing"


@dataclass(frozen=True, kw_only=True)
class BuildInfo:
    plan_digest: str
    cuda: str
    nvcc: str
    torch_abi: str
    build_type: str
    arch_list: tuple[str, ...]
    families: dict[str, FamilyBuild]

    def family(self, name: str) -> FamilyBuild:
        try:
            return self.families[name]
        except KeyError:
            known = ", ".join(sorted(self.families))
            raise KeyError(f"unknown kernel family {name!r}; this build knows {known}") from None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BuildInfo:
        families = {
            name: FamilyBuild(
                name=name,
                compiled=bool(raw["compiled"]),
                targets=tuple(raw["targets"]),
                sass=tuple(raw["sass"]),
                ptx=tuple(raw["ptx"]),
                defines=tuple(raw["defines"]),
            )
            for name, raw in data["families"].items()
        }
        return cls(
            plan_digest=str(data["plan_digest"]),
            cuda=str(data["cuda"]),
            nvcc=str(data["nvcc"]),
            torch_abi=str(data["torch_abi"]),
            build_type=str(data["build_type"]),
            arch_list=tuple(data["arch_list"]),
            families=families,
        )


def load_build_info(path: Path = BUILD_INFO_FILE) -> BuildInfo:
    """Read the build info shipped in the wheel (or the one at ``path``)."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise ExtensionNotBuiltError(
            f"{path} is missing: archforge_kernels is not installed from a built wheel "
            "(build one with `pip wheel ./kernels`)"
        ) from None
    return BuildInfo.from_json(json.loads(text))
