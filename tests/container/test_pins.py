"""The Dockerfile's ARG defaults must equal versions.toml (the one pins file)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from archforge.container.config import DOCKERFILE, PIN_ARGS, VERSIONS_FILE, Pins, load_profiles

ROOT = Path(__file__).resolve().parents[2]
_ARG = re.compile(r"^ARG\s+([A-Z0-9_]+)(?:=(.*))?$")


def dockerfile_arg_defaults(text: str) -> dict[str, set[str]]:
    """ARG name -> every default it is given (an ARG is redeclared per stage)."""
    defaults: dict[str, set[str]] = {}
    for line in text.splitlines():
        m = _ARG.match(line.strip())
        if m and m.group(2) is not None:
            defaults.setdefault(m.group(1), set()).add(m.group(2).strip().strip('"'))
    return defaults


@pytest.fixture(scope="module")
def defaults() -> dict[str, set[str]]:
    return dockerfile_arg_defaults((ROOT / DOCKERFILE).read_text())


@pytest.fixture(scope="module")
def pins() -> Pins:
    return Pins.load(ROOT / VERSIONS_FILE)


@pytest.mark.parametrize("arg", sorted(PIN_ARGS))
def test_dockerfile_arg_defaults_match_versions_toml(
    arg: str, defaults: dict[str, set[str]], pins: Pins
) -> None:
    expected = dict(pins.build_args)[arg]
    assert arg in defaults, f"docker/Dockerfile declares no ARG {arg} with a default"
    assert defaults[arg] == {expected}, (
        f"docker/Dockerfile ARG {arg} defaults {sorted(defaults[arg])} != versions.toml "
        f"{'.'.join(PIN_ARGS[arg])} = {expected!r}"
    )


def test_default_arch_list_matches_default_profile(defaults: dict[str, set[str]]) -> None:
    profile = load_profiles(ROOT / "ci" / "profiles.toml")["default"]
    assert defaults["TORCH_CUDA_ARCH_LIST"] == {profile.arch_list}


def test_drift_is_detected() -> None:
    text = "FROM x AS a\nARG TORCH_VERSION=2.11.0\nFROM a AS b\nARG TORCH_VERSION=2.12.0\n"
    assert dockerfile_arg_defaults(text)["TORCH_VERSION"] == {"2.11.0", "2.12.0"}
