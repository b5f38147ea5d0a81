"""The inspector's JSON document (schema ``archforge.inspect/1``, see docs/inspect.md) and
the per-kernel view it shares with the tables."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from archforge.inspect.demangle import demangle_all
from archforge.inspect.model import EntryKind, Suffix

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from archforge.inspect.model import Entry, FileReport

SCHEMA = "archforge.inspect/1"
_SUFFIX_ORDER = {Suffix.PLAIN: 0, Suffix.FAMILY: 1, Suffix.ARCH: 2}


def target_key(entry: Entry) -> tuple[int, int, int]:
    """Sort targets by capability, then suffix, SASS before PTX."""
    return (entry.sm, _SUFFIX_ORDER[entry.suffix], 0 if entry.kind is EntryKind.SASS else 1)


@dataclass(frozen=True, kw_only=True)
class Kernel:
    """One kernel of a file and every target it is compiled for."""

    mangled: str
    name: str
    targets: tuple[str, ...]


def kernels_of(report: FileReport, names: dict[str, str] | None = None) -> list[Kernel]:
    """The file's kernels, by demangled name, each with its targets in target order."""
    by_name: dict[str, dict[str, None]] = {}
    for entry in sorted(report.entries, key=target_key):
        for mangled in entry.kernels or ():
            by_name.setdefault(mangled, {})[entry.target] = None
    names = names if names is not None else demangle_all(by_name)
    kernels = [Kernel(mangled=m, name=names.get(m, m), targets=tuple(t)) for m, t in by_name.items()]
    return sorted(kernels, key=lambda k: (k.name, k.mangled))


def targets_of(entries: Iterable[Entry]) -> list[str]:
    return list(dict.fromkeys(e.target for e in sorted(entries, key=target_key)))


def entry_json(entry: Entry) -> dict[str, Any]:
    major, minor = entry.version
    doc: dict[str, Any] = {
        "fatbin": entry.fatbin if entry.fatbin >= 0 else None,
        "kind": entry.kind.value,
        "target": entry.target,
        "capability": entry.capability,
        "suffix": entry.suffix.value,
        "ptx_isa": f"{major}.{minor}" if entry.kind is EntryKind.PTX else None,
        "code_version": f"{major}.{minor}",
        "compression": entry.compression.value,
        "stored_size": entry.stored_size,
        "size": entry.size,
        "flags": f"{entry.flags:#x}",
    }
    if entry.kernels is not None:
        doc["kernels"] = len(entry.kernels)
    return doc


def file_json(report: FileReport, *, kernels: bool) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "path": report.path,
        "container": report.container,
        "format": report.format,
        "machine": report.machine,
        "fatbins": report.fatbins,
        "targets": targets_of(report.entries),
        "entries": [entry_json(e) for e in report.entries],
    }
    if kernels:
        doc["kernels"] = [
            {"name": k.name, "mangled": k.mangled, "targets": list(k.targets)} for k in kernels_of(report)
        ]
    return doc


def document(reports: Sequence[FileReport], *, kernels: bool) -> dict[str, Any]:
    return {"schema": SCHEMA, "files": [file_json(r, kernels=kernels) for r in reports]}
