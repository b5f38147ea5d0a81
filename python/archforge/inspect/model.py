"""Records the inspector produces: one per input file, fatbin entry and kernel.

Targets are kept as plain numbers plus suffix here, not as :class:`archforge.arch.Target`,
so that reading files never depends on the arch rules; ``verify`` converts them by name.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from archforge.arch import Variant


class EntryKind(enum.Enum):
    """What a fatbin entry carries."""

    SASS = "sass"
    PTX = "ptx"


class Compression(enum.Enum):
    """How a fatbin entry's payload is stored."""

    NONE = "none"
    LZ4 = "lz4"
    ZSTD = "zstd"


# The arch suffix a fatbin entry was compiled for (``sm_121a``, ``sm_120f``) is the arch
# model's Variant: one type, so verify compares what inspect read with what the plan said.
Suffix = Variant


@dataclass(frozen=True, kw_only=True)
class Entry:
    """One fatbin entry: a cubin (SASS) or a PTX text for one target."""

    fatbin: int
    """Index of the fatbin (within its file) that holds the entry."""
    kind: EntryKind
    sm: int
    """The compute capability as nvcc spells it: 121 for 12.1."""
    suffix: Suffix
    version: tuple[int, int]
    """PTX ISA version for PTX entries, the cubin's ELF code version for SASS."""
    compression: Compression
    stored_size: int
    """Bytes of payload as stored in the fatbin (compressed, padded)."""
    size: int
    """Bytes of payload once decompressed."""
    flags: int
    kernels: tuple[str, ...] | None = None
    """Mangled entry-function names, when kernels were read; None otherwise."""

    @property
    def capability(self) -> str:
        return f"{self.sm // 10}.{self.sm % 10}"

    @property
    def target(self) -> str:
        prefix = "sm" if self.kind is EntryKind.SASS else "compute"
        return f"{prefix}_{self.sm}{self.suffix.value}"


@dataclass(frozen=True, kw_only=True)
class FileReport:
    """What one inspected file (or wheel member) carries."""

    path: str
    """The file's path, or the member's path inside its wheel."""
    container: str | None = None
    """The wheel a member came from; None for a file on disk."""
    format: str
    """``elf`` (host shared object or object file), ``fatbin`` or ``cubin``."""
    machine: str | None = None
    """Host ELF machine (``x86_64``, ``aarch64``); None for fatbins and cubins."""
    fatbins: int = 0
    entries: tuple[Entry, ...] = field(default=())

    @property
    def display_path(self) -> str:
        return f"{self.container}!{self.path}" if self.container else self.path
