"""C++ demangling of kernel names.

We use the ``cxxfilt`` package, a ctypes wrapper of libstdc++'s ``__cxa_demangle`` (the
demangler ``c++filt`` uses too), so no binutils are needed. Where no C++ runtime library
can be found, names are shown as they are stored, mangled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable


def demangle_all(names: Iterable[str]) -> dict[str, str]:
    """Map each mangled name to its demangled form (itself when it is not mangled C++)."""
    try:
        import cxxfilt  # untyped: pyproject tells mypy to ignore its missing stubs
    except ImportError:
        return {name: name for name in names}
    out: dict[str, str] = {}
    for name in names:
        if name in out:
            continue
        try:
            out[name] = str(cxxfilt.demangle(name))
        except (cxxfilt.Error, UnicodeError):
            out[name] = name
    return out
