"""Kernel names from a cubin (the device ELF inside a fatbin entry).

A small reader of our own rather than pyelftools: a large library carries thousands of
cubins, we need only the symbol table of each, and every bound here is checked so
that a malformed cubin can only raise :class:`InspectError`.
"""

from __future__ import annotations

import re
import struct
from typing import NamedTuple

from archforge.errors import InspectError
from archforge.inspect.model import Suffix

ELF_MAGIC = b"\x7fELF"
EM_CUDA = 190
_SHT_SYMTAB = 2
_STT_FUNC = 2
# st_other bit that cuobjdump prints as "ENTRY": a __global__ function, not a __device__ one.
_STO_CUDA_ENTRY = 0x10


class _Layout(NamedTuple):
    header: struct.Struct
    section: struct.Struct
    symbol: struct.Struct


# Per ELF class: (e_shoff, e_shentsize, e_shnum, e_shstrndx) from the header; section
# headers reduced to (sh_type, sh_offset, sh_size, sh_link, sh_entsize); symbols to
# (st_name, st_info, st_other).
_LAYOUTS = {
    1: _Layout(
        struct.Struct("<32xI10xHHH"),
        struct.Struct("<4xI8xIII8xI"),
        struct.Struct("<I8xBB2x"),
    ),
    2: _Layout(
        struct.Struct("<40xQ10xHHH"),
        struct.Struct("<4xI16xQQI12xQ"),
        struct.Struct("<IBB2x16x"),
    ),
}


def entry_functions(data: bytes) -> tuple[str, ...]:
    """Mangled names of the kernels (entry functions) a cubin defines, in symbol order."""
    if len(data) < 64 or data[:4] != ELF_MAGIC:
        raise InspectError("cubin does not start with an ELF header")
    layout = _LAYOUTS.get(data[4])
    if layout is None or data[5] != 1:
        raise InspectError(f"cubin has unsupported ELF class {data[4]} / data encoding {data[5]}")
    shoff, shentsize, shnum, _shstrndx = layout.header.unpack_from(data, 0)
    if shoff == 0:
        return ()
    if shentsize < layout.section.size:
        raise InspectError(f"cubin section headers are {shentsize} bytes, too small")
    if shnum == 0:
        # Extended numbering: the real count is section 0's sh_size.
        shnum = _section(data, layout, shoff, shentsize, 0)[2]
    if shoff + shnum * shentsize > len(data):
        raise InspectError(
            f"cubin section table ({shnum} entries at {shoff}) runs past its {len(data)} bytes"
        )
    names: list[str] = []
    for i in range(shnum):
        sh_type, offset, size, link, entsize = _section(data, layout, shoff, shentsize, i)
        if sh_type != _SHT_SYMTAB:
            continue
        if entsize < layout.symbol.size or offset + size > len(data):
            raise InspectError(f"cubin symbol table {i} is malformed")
        if link >= shnum:
            raise InspectError(f"cubin symbol table {i} links to missing section {link}")
        _t, str_off, str_size, _l, _e = _section(data, layout, shoff, shentsize, link)
        if str_off + str_size > len(data):
            raise InspectError(f"cubin string table {link} runs past the cubin")
        strtab = data[str_off : str_off + str_size]
        for sym in range(offset, offset + size - entsize + 1, entsize):
            st_name, st_info, st_other = layout.symbol.unpack_from(data, sym)
            if st_info & 0xF == _STT_FUNC and st_other & _STO_CUDA_ENTRY:
                names.append(_string(strtab, st_name))
    return tuple(names)


# A cubin's e_flags carry its sm number (bits 8..15 since ELF ABI version 8, bits 0..7
# before) but not its suffix: sm_120, sm_120a and sm_120f cubins differ only in the
# ptxas command line that the .note.nv.tkinfo note records ("-arch sm_120f -m 64").
_ARCH_OPTION = re.compile(rb"-arch[ =](?:sm|compute)_(\d+)([af]?)[ \x00]")
_SUFFIXES = {b"": Suffix.PLAIN, b"a": Suffix.ARCH, b"f": Suffix.FAMILY}


def target(data: bytes) -> tuple[int, Suffix]:
    """The sm number and suffix of a cubin found on its own (not inside a fatbin)."""
    if len(data) < 52 or data[:4] != ELF_MAGIC:
        raise InspectError("cubin does not start with an ELF header")
    flags_at = 48 if data[4] == 2 else 36
    (flags,) = struct.unpack_from("<I", data, flags_at)
    sm = (flags >> 8) & 0xFF if data[8] >= 8 else flags & 0xFF
    match = _ARCH_OPTION.search(data)
    if match is not None and int(match.group(1)) == sm:
        return sm, _SUFFIXES[match.group(2)]
    return sm, Suffix.PLAIN


def _section(
    data: bytes, layout: _Layout, shoff: int, shentsize: int, index: int
) -> tuple[int, int, int, int, int]:
    at = shoff + index * shentsize
    if at + layout.section.size > len(data):
        raise InspectError(f"cubin section header {index} runs past the cubin")
    fields: tuple[int, int, int, int, int] = layout.section.unpack_from(data, at)
    return fields


def _string(table: bytes, offset: int) -> str:
    end = table.find(b"\x00", offset)
    if offset >= len(table) or end < 0:
        raise InspectError(f"cubin symbol name at {offset} is outside its string table")
    return table[offset:end].decode("utf-8", errors="replace")
