"""Host ELF files (shared objects, object files): where their fatbins are, which machine.

pyelftools reads the ELF and section headers; the fatbin bytes are then read straight
from the file's buffer (with pread for files on disk), so that a listing reads only the
header bytes.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Protocol, cast

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile

from archforge.errors import InspectError
from archforge.inspect import fatbin

if TYPE_CHECKING:
    from collections.abc import Mapping

    from archforge.inspect.blob import Buffer
    from archforge.inspect.model import Entry

# .nv_fatbin holds the fatbins a program loads; __nv_relfatbin the relocatable ones that
# -rdc objects keep for the device link. A linked shared object or executable still carries
# the latter, but they are link inputs that never load (cuobjdump does not list them
# either), so they are read only from object files.
LOADED_SECTION = ".nv_fatbin"
RELOCATABLE_SECTION = "__nv_relfatbin"
WRAPPER_SECTION = ".nvFatBinSegment"
# __fatBinC_Wrapper_t: u32 magic, u32 version, u64 address of the fatbin, u64 more.
WRAPPER_MAGIC = 0x466243B1
_WRAPPER = struct.Struct("<IIQQ")

_MACHINES: Mapping[str, str] = {
    "EM_X86_64": "x86_64",
    "EM_AARCH64": "aarch64",
    "EM_PPC64": "ppc64le",
    "EM_386": "i386",
    "EM_ARM": "arm",
}

# pyelftools reports malformed input through these, depending on where parsing stops.
_ELF_ERRORS = (ELFError, ValueError, struct.error, IndexError, KeyError, OverflowError, UnicodeDecodeError)


class Stream(Protocol):
    """What pyelftools needs of a file: read, seek, tell."""

    def read(self, size: int = -1, /) -> bytes: ...
    def seek(self, offset: int, whence: int = 0, /) -> int: ...
    def tell(self) -> int: ...


@dataclass(frozen=True)
class _Section:
    name: str
    addr: int
    offset: int
    size: int
    nobits: bool


@dataclass(frozen=True)
class HostElf:
    machine: str
    fatbins: int
    entries: list[Entry]


def read_host_elf(stream: Stream, buf: Buffer, *, kernels: bool) -> HostElf:
    """Find and parse every fatbin in a host ELF whose bytes are ``buf``."""
    try:
        # pyelftools is typed for IO[bytes] but only ever reads, seeks and tells.
        elf = ELFFile(cast("IO[bytes]", stream))
        machine = _MACHINES.get(str(elf["e_machine"]), str(elf["e_machine"]).removeprefix("EM_").lower())
        relocatable = elf["e_type"] == "ET_REL"
        sections = [
            _Section(s.name, s["sh_addr"], s["sh_offset"], s["sh_size"], s["sh_type"] == "SHT_NOBITS")
            for s in elf.iter_sections()
        ]
    except _ELF_ERRORS as exc:
        raise InspectError(f"malformed ELF: {exc}") from None
    entries: list[Entry] = []
    starts: set[int] = set()
    spans: list[tuple[int, int]] = []
    wanted = {LOADED_SECTION, RELOCATABLE_SECTION} if relocatable else {LOADED_SECTION}
    skipped = [
        (s.addr, s.addr + s.size) for s in sections if s.name == RELOCATABLE_SECTION and not relocatable
    ]
    for section in sections:
        if section.name in wanted and not section.nobits:
            found, offsets = fatbin.parse_region(
                buf, section.offset, section.offset + section.size, kernels=kernels, first_index=len(starts)
            )
            entries.extend(found)
            starts.update(offsets)
            spans.append((section.offset, section.offset + section.size))
    for offset in _wrapped_fatbins(buf, sections, skip=skipped):
        if any(lo <= offset < hi for lo, hi in spans):
            if offset not in starts:
                raise InspectError(f"fatbin wrapper points at offset {offset}, which starts no fatbin")
            continue
        # A fatbin outside the usual sections (older toolchains put it in .rodata).
        found, offsets = fatbin.parse_region(
            buf, offset, fatbin.extent(buf, offset), kernels=kernels, first_index=len(starts)
        )
        entries.extend(found)
        starts.update(offsets)
    return HostElf(machine=machine, fatbins=len(starts), entries=entries)


def _wrapped_fatbins(buf: Buffer, sections: list[_Section], *, skip: list[tuple[int, int]]) -> list[int]:
    """File offsets of the fatbins that ``.nvFatBinSegment`` wrappers point to, except
    those at addresses in ``skip``."""
    offsets: list[int] = []
    for section in sections:
        if section.name != WRAPPER_SECTION or section.nobits:
            continue
        if section.offset + section.size > len(buf):
            raise InspectError(f"{WRAPPER_SECTION} runs past the end of the file")
        records = buf[section.offset : section.offset + section.size]
        for at in range(0, len(records) - _WRAPPER.size + 1, _WRAPPER.size):
            magic, _version, address, _more = _WRAPPER.unpack_from(records, at)
            if magic != WRAPPER_MAGIC:
                where = section.offset + at
                raise InspectError(f"{WRAPPER_SECTION} entry at offset {where} has magic {magic:#010x}")
            if address == 0 or any(lo <= address < hi for lo, hi in skip):
                continue  # 0: an object file, whose address is a relocation not yet resolved
            home = next(
                (s for s in sections if s.addr and not s.nobits and s.addr <= address < s.addr + s.size),
                None,
            )
            if home is None:
                raise InspectError(f"fatbin wrapper points at address {address:#x}, outside every section")
            offsets.append(home.offset + address - home.addr)
    return offsets
