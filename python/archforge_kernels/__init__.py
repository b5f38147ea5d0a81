"""archforge-kernels: CUDA kernel families behind torch stable-ABI ops.

Importing the package needs neither torch nor a GPU: :mod:`build_info` reads what was
compiled, :mod:`platform` answers "no GPU" cleanly and :func:`explain` reports the
backend choice. :mod:`archforge_kernels.ops` (torch) loads the extension on first use;
:mod:`archforge_kernels.reference` holds the pure-torch references.

Names are resolved lazily so that ``import archforge_kernels.ops`` on a bare torch
install does not pull in ``packaging`` (used by the backend table only).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from archforge_kernels.backends import Backend, Context, Explanation, explain, select
    from archforge_kernels.build_info import BuildInfo, load_build_info
    from archforge_kernels.errors import (
        ExtensionNotBuiltError,
        KernelNotCompiledError,
        KernelsError,
        UnsupportedConfigError,
    )
    from archforge_kernels.platform import (
        DeviceCapability,
        Platform,
        get_device_capability,
        is_device_capability,
        is_device_capability_family,
    )

_EXPORTS = {
    "Backend": "backends",
    "Context": "backends",
    "Explanation": "backends",
    "explain": "backends",
    "select": "backends",
    "BuildInfo": "build_info",
    "load_build_info": "build_info",
    "ExtensionNotBuiltError": "errors",
    "KernelNotCompiledError": "errors",
    "KernelsError": "errors",
    "UnsupportedConfigError": "errors",
    "DeviceCapability": "platform",
    "Platform": "platform",
    "get_device_capability": "platform",
    "is_device_capability": "platform",
    "is_device_capability_family": "platform",
}

__all__ = [
    "Backend",
    "BuildInfo",
    "Context",
    "DeviceCapability",
    "Explanation",
    "ExtensionNotBuiltError",
    "KernelNotCompiledError",
    "KernelsError",
    "Platform",
    "UnsupportedConfigError",
    "explain",
    "get_device_capability",
    "is_device_capability",
    "is_device_capability_family",
    "load_build_info",
    "select",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'archforge_kernels' has no attribute {name!r}")
    return getattr(importlib.import_module(f"archforge_kernels.{module}"), name)
