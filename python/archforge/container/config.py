"""Typed, frozen configuration for the container builds: pins, profiles, paths.

Pins come from ``versions.toml`` (the one pins file) and release profiles from
``ci/profiles.toml``. Both are parsed once into frozen records; values stay typed
(no squashing into strings until the very edge, where they become ``--build-arg``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from archforge.errors import ConfigError
from archforge.suggest import check_keys, did_you_mean

if TYPE_CHECKING:
    from pathlib import Path

import tomllib

VERSIONS_FILE = "versions.toml"
PROFILES_FILE = "ci/profiles.toml"
DOCKERFILE = "docker/Dockerfile"

#: Dockerfile ARG name -> key path in versions.toml. The Dockerfile's ARG defaults
#: must equal these values (tests/container/test_pins.py fails when they drift), and
#: archforge passes them explicitly as ``--build-arg`` anyway.
PIN_ARGS: dict[str, tuple[str, ...]] = {
    "CUDA_VERSION": ("cuda", "version"),
    "NVCC_VERSION": ("cuda", "wheels", "nvidia-cuda-nvcc"),
    "NVVM_VERSION": ("cuda", "wheels", "nvidia-nvvm"),
    "CRT_VERSION": ("cuda", "wheels", "nvidia-cuda-crt"),
    "CUDART_VERSION": ("cuda", "wheels", "nvidia-cuda-runtime"),
    "CCCL_VERSION": ("cuda", "wheels", "nvidia-cuda-cccl"),
    "TORCH_VERSION": ("torch", "version"),
    "CUTLASS_VERSION": ("cutlass", "version"),
    "FLASHINFER_VERSION": ("flashinfer", "version"),
    "CMAKE_VERSION": ("build_tools", "cmake"),
    "NINJA_VERSION": ("build_tools", "ninja"),
    "SKBUILD_VERSION": ("build_tools", "scikit-build-core"),
    "PYTHON_VERSION": ("python", "version"),
}


def load_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


def lookup(data: dict[str, Any], keys: tuple[str, ...], source: Path) -> str:
    node: Any = data
    for i, key in enumerate(keys):
        if not isinstance(node, dict) or key not in node:
            where = ".".join(keys[:i]) or "top level"
            hint = did_you_mean(key, node if isinstance(node, dict) else {})
            raise ConfigError(f"{source}: missing key {'.'.join(keys)!r} (in {where}){hint}")
        node = node[key]
    if not isinstance(node, str):
        raise ConfigError(f"{source}: {'.'.join(keys)} must be a string, got {node!r}")
    return node


@dataclass(frozen=True, kw_only=True)
class DebianSource:
    """Where the base OS rootfs is debootstrapped from."""

    suite: str
    """Debian suite or codename, e.g. ``bookworm``."""
    mirror: str
    """Archive URL handed to debootstrap and left in the image's sources.list."""
    variant: str
    """debootstrap ``--variant`` (``minbase``: no priority-important packages)."""


@dataclass(frozen=True, kw_only=True)
class Pins:
    """Everything ``versions.toml`` pins, resolved."""

    cuda: str
    torch: str
    cutlass: str
    flashinfer: str
    python: str
    debian: DebianSource
    build_args: tuple[tuple[str, str], ...]
    """``(ARG name, value)`` for every entry of :data:`PIN_ARGS`, in that order."""

    @property
    def cuda_tag(self) -> str:
        """``13.0`` -> ``cu130``, as in image tags and torch's wheel indexes."""
        return "cu" + self.cuda.replace(".", "")

    @classmethod
    def load(cls, path: Path) -> Pins:
        data = load_toml(path)
        args = tuple((arg, lookup(data, keys, path)) for arg, keys in PIN_ARGS.items())
        values = dict(args)
        return cls(
            cuda=values["CUDA_VERSION"],
            torch=values["TORCH_VERSION"],
            cutlass=values["CUTLASS_VERSION"],
            flashinfer=values["FLASHINFER_VERSION"],
            python=values["PYTHON_VERSION"],
            debian=DebianSource(
                suite=lookup(data, ("debian", "suite"), path),
                mirror=lookup(data, ("debian", "mirror"), path),
                variant=lookup(data, ("debian", "variant"), path),
            ),
            build_args=args,
        )


#: Stages of docker/Dockerfile that a profile may ask for, in build order.
KNOWN_TARGETS = ("base", "toolchain", "build", "wheel", "runtime", "test")


@dataclass(frozen=True, kw_only=True)
class Profile:
    """A named release configuration from ``ci/profiles.toml``."""

    name: str
    description: str
    arch_list: str
    """``TORCH_CUDA_ARCH_LIST`` syntax: ``9.0a;12.0f;12.1a``."""
    kernels: tuple[str, ...]
    """Kernel families to build; empty means all of them."""
    max_jobs: int
    nvcc_threads: int
    targets: tuple[str, ...]

    @classmethod
    def from_table(cls, name: str, table: dict[str, Any], source: Path) -> Profile:
        known = {"description", "arch_list", "kernels", "max_jobs", "nvcc_threads", "targets"}
        check_keys(f"{source}: profile {name!r}", table, known, ConfigError)
        try:
            arch_list = str(table["arch_list"])
        except KeyError:
            raise ConfigError(f"{source}: profile {name!r} has no arch_list") from None
        kernels = table.get("kernels", [])
        targets = table.get("targets", ["toolchain", "wheel", "runtime", "test"])
        if not isinstance(kernels, list) or not all(isinstance(k, str) for k in kernels):
            raise ConfigError(f"{source}: profile {name!r}: kernels must be a list of strings")
        if not isinstance(targets, list) or not all(t in KNOWN_TARGETS for t in targets):
            raise ConfigError(f"{source}: profile {name!r}: targets must be a list out of {KNOWN_TARGETS}")
        max_jobs, nvcc_threads = table.get("max_jobs", 1), table.get("nvcc_threads", 1)
        if (
            not isinstance(max_jobs, int)
            or not isinstance(nvcc_threads, int)
            or min(max_jobs, nvcc_threads) < 1
        ):
            raise ConfigError(f"{source}: profile {name!r}: max_jobs and nvcc_threads must be integers >= 1")
        return cls(
            name=name,
            description=str(table.get("description", "")),
            arch_list=arch_list,
            kernels=tuple(kernels),
            max_jobs=max_jobs,
            nvcc_threads=nvcc_threads,
            targets=tuple(targets),
        )


def load_profiles(path: Path) -> dict[str, Profile]:
    data = load_toml(path)
    profiles = {}
    for name, table in data.items():
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: top-level {name!r} must be a table [{name}]")
        profiles[name] = Profile.from_table(name, table, path)
    return profiles


def get_profile(path: Path, name: str) -> Profile:
    profiles = load_profiles(path)
    if name not in profiles:
        raise ConfigError(f"{path}: no profile {name!r}{did_you_mean(name, profiles)}")
    return profiles[name]


def find_repo_root(start: Path) -> Path:
    """The nearest directory at or above ``start`` holding versions.toml and the Dockerfile."""
    for candidate in (start, *start.parents):
        if (candidate / VERSIONS_FILE).is_file() and (candidate / DOCKERFILE).is_file():
            return candidate
    raise ConfigError(
        f"no archforge checkout at or above {start} (looked for {VERSIONS_FILE} and {DOCKERFILE}); "
        "run from the repository or pass --repo"
    )


def project_version(root: Path) -> str:
    """The version of the kernel package, for image tags (falls back to archforge's)."""
    for candidate in (root / "kernels" / "pyproject.toml", root / "pyproject.toml"):
        if candidate.is_file():
            project = load_toml(candidate).get("project", {})
            if isinstance(project, dict) and isinstance(project.get("version"), str):
                return str(project["version"])
    raise ConfigError(f"{root}: cannot find a [project] version in kernels/pyproject.toml or pyproject.toml")
