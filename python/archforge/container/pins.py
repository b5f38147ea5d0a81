"""Refreshing versions.toml from PyPI (``archforge update-pins``).

Not every pin may move freely, so each has a policy:

* ``series``: newest release of the same series; the CUDA wheels stay on the
  toolkit version of ``[cuda] version`` (13.0.x), never crossing to 13.1;
* ``latest``: newest stable release (build tools);
* ``hold``: reported, never changed. torch is the *oldest* torch the stable ABI
  targets and flashinfer-python is pinned for the CUTLASS it ships: moving either
  is a decision, not a refresh.

versions.toml is edited line by line, so its comments survive.
"""

from __future__ import annotations

import json
import re
import urllib.request
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from packaging.version import InvalidVersion, Version

from archforge.container.config import load_toml, lookup
from archforge.errors import ConfigError, ToolError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from pathlib import Path

Policy = Literal["series", "latest", "hold"]


@dataclass(frozen=True, kw_only=True)
class PinRule:
    table: tuple[str, ...]
    key: str
    package: str
    policy: Policy


RULES: tuple[PinRule, ...] = (
    *(
        PinRule(table=("cuda", "wheels"), key=name, package=name, policy="series")
        for name in (
            "nvidia-cuda-nvcc",
            "nvidia-nvvm",
            "nvidia-cuda-crt",
            "nvidia-cuda-runtime",
            "nvidia-cuda-cccl",
        )
    ),
    PinRule(table=("build_tools",), key="cmake", package="cmake", policy="latest"),
    PinRule(table=("build_tools",), key="ninja", package="ninja", policy="latest"),
    PinRule(table=("build_tools",), key="scikit-build-core", package="scikit-build-core", policy="latest"),
    PinRule(table=("torch",), key="version", package="torch", policy="hold"),
    PinRule(table=("flashinfer",), key="version", package="flashinfer-python", policy="hold"),
)


@dataclass(frozen=True, kw_only=True)
class PinUpdate:
    rule: PinRule
    current: str
    newest: str
    """What the policy allows (``current`` when nothing newer or held)."""
    newest_any: str
    """The newest stable release regardless of policy (for the report)."""

    @property
    def changes(self) -> bool:
        return self.newest != self.current


def fetch_releases(package: str, timeout: float = 30.0) -> list[str]:
    """Release versions of ``package`` that have at least one file not yanked."""
    url = f"https://pypi.org/pypi/{package}/json"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            data = json.load(resp)
    except OSError as exc:
        raise ToolError(f"cannot query PyPI for {package} ({url}): {exc}") from None
    releases = data.get("releases", {})
    return [v for v, files in releases.items() if files and not all(f.get("yanked") for f in files)]


def _stable(versions: Iterable[str]) -> list[Version]:
    out = []
    for text in versions:
        try:
            version = Version(text)
        except InvalidVersion:
            continue
        if not version.is_prerelease and not version.is_devrelease:
            out.append(version)
    return sorted(out)


def choose(rule: PinRule, current: str, available: Iterable[str], cuda: str) -> tuple[str, str]:
    """``(allowed, newest)`` for one pin."""
    stable = _stable(available)
    if not stable:
        return current, current
    newest = str(stable[-1])
    if rule.policy == "hold":
        return current, newest
    if rule.policy == "series":
        in_series = [v for v in stable if f"{v.major}.{v.minor}" == cuda]
        return (str(in_series[-1]) if in_series else current), newest
    return newest, newest


def plan_updates(versions_file: Path, fetch: Callable[[str], list[str]] = fetch_releases) -> list[PinUpdate]:
    data = load_toml(versions_file)
    cuda = lookup(data, ("cuda", "version"), versions_file)
    updates = []
    for rule in RULES:
        current = lookup(data, (*rule.table, rule.key), versions_file)
        allowed, newest = choose(rule, current, fetch(rule.package), cuda)
        # Never move a pin backwards (a yanked or deleted newer release).
        if Version(allowed) < Version(current):
            allowed = current
        updates.append(PinUpdate(rule=rule, current=current, newest=allowed, newest_any=newest))
    return updates


def apply_updates(text: str, updates: Iterable[PinUpdate]) -> str:
    """``text`` with each changed pin's value replaced in its own table."""
    lines = text.splitlines(keepends=True)
    for update in updates:
        if not update.changes:
            continue
        header = "[" + ".".join(update.rule.table) + "]"
        key = re.escape(update.rule.key)
        pattern = re.compile(rf'^(\s*"?{key}"?\s*=\s*")' + re.escape(update.current) + r'(".*)$', re.DOTALL)
        table = None
        for i, line in enumerate(lines):
            stripped = line.strip()
            if stripped.startswith("["):
                table = stripped.split("#")[0].strip()
                continue
            if table == header and (m := pattern.match(line)):
                lines[i] = m.group(1) + update.newest + m.group(2)
                break
        else:
            raise ConfigError(f'cannot find {header} {update.rule.key} = "{update.current}" to update')
    return "".join(lines)
