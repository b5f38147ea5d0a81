"""The fatbin container: headers, entries, flags, payloads.

Layout (little-endian), as nvcc 12.x/13.x writes it and as we verified against
``cuobjdump`` on the corpus in ``tests/inspect``:

* fatbin header, 16 bytes: magic ``0xBA55ED50``, u16 version, u16 header size, u64 size
  of the entries that follow. Several fatbins may follow one another in ``.nv_fatbin``.
* entry header, at least 64 bytes: u16 kind (1 PTX, 2 ELF), u16 version, u32 header size,
  u64 stored payload size, u32 compressed size, u32 (unused here), u16 minor, u16 major
  (PTX ISA or cubin code version), u32 sm (121 for 12.1), u32/u32 name offset/length,
  u64 flags, u64 (unused here), u64 uncompressed size. The payload follows the header.
"""

from __future__ import annotations

import re
import struct
from typing import TYPE_CHECKING

from archforge.errors import InspectError
from archforge.inspect import blob, compression, cubin
from archforge.inspect.model import Compression, Entry, EntryKind, Suffix

if TYPE_CHECKING:
    from collections.abc import Mapping

    from archforge.inspect.blob import Buffer

FATBIN_MAGIC = 0xBA55ED50
_HEADER = struct.Struct("<IHHQ")
_ENTRY = struct.Struct("<HHIQIIHHIIIQQQ")
_ENTRY_MIN = _ENTRY.size  # 64

_KINDS: Mapping[int, EntryKind] = {1: EntryKind.PTX, 2: EntryKind.SASS}

# Flag bits of the entry header. The suffix is only here: cuobjdump --list-elf prints an
# sm_120f cubin as "sm_120" (it keeps "a"), so its listing cannot be trusted for "f".
FLAG_LZ4 = 0x2000
FLAG_ZSTD = 0x8000
FLAG_ARCH = 0x100000
FLAG_FAMILY = 0x200000
_COMPRESSION_FLAGS: Mapping[int, Compression] = {
    0: Compression.NONE,
    FLAG_LZ4: Compression.LZ4,
    FLAG_ZSTD: Compression.ZSTD,
}
_SUFFIX_FLAGS: Mapping[int, Suffix] = {0: Suffix.PLAIN, FLAG_ARCH: Suffix.ARCH, FLAG_FAMILY: Suffix.FAMILY}

# PTX kernels are ".entry NAME" directives, optionally after linkage directives on the
# same line. The literal ".entry" is searched first: a line-anchored pattern made large
# PTX texts (cuBLASLt carries MBs) the slowest step of a per-kernel report.
_PTX_ENTRY = re.compile(rb"\.entry[ \t]+([A-Za-z0-9_$%.]+)")
_PTX_LINKAGE = re.compile(rb"[ \t]*(?:\.(?:visible|weak|extern)[ \t]+)*")


def parse_region(
    buf: Buffer, start: int, end: int, *, kernels: bool, first_index: int = 0
) -> tuple[list[Entry], list[int]]:
    """Parse every fatbin laid out back to back in ``buf[start:end]``.

    Returns the entries and the offset of each fatbin header. Zero padding between fatbins is
    skipped; anything else that is not a fatbin header is an error.
    """
    if not 0 <= start <= end <= len(buf):
        raise InspectError(f"fatbin region {start}..{end} lies outside the {len(buf)}-byte file")
    entries: list[Entry] = []
    starts: list[int] = []
    off = start
    while off < end:
        off = blob.skip_zeros(buf, off, end)
        if off >= end:
            break
        if off + _HEADER.size > end:
            raise InspectError(f"truncated fatbin header at offset {off}")
        magic, _version, header_size, size = _HEADER.unpack(buf[off : off + _HEADER.size])
        if magic != FATBIN_MAGIC:
            raise InspectError(f"no fatbin magic at offset {off} (found {magic:#010x})")
        if header_size < _HEADER.size:
            raise InspectError(f"fatbin at offset {off} declares a {header_size}-byte header")
        body = off + header_size
        if body + size > end:
            raise InspectError(
                f"fatbin at offset {off} declares {size} bytes of entries, only {end - body} remain"
            )
        index = first_index + len(starts)
        entries.extend(_parse_entries(buf, body, body + size, index=index, kernels=kernels))
        starts.append(off)
        off = body + size
    return entries, starts


def _parse_entries(buf: Buffer, off: int, end: int, *, index: int, kernels: bool) -> list[Entry]:
    entries: list[Entry] = []
    while off < end:
        if off + _ENTRY_MIN > end:
            raise InspectError(f"truncated fatbin entry header at offset {off}")
        (
            kind_code,
            _eversion,
            header_size,
            stored,
            compressed,
            _unused,
            minor,
            major,
            sm,
            _name_off,
            _name_len,
            flags,
            _reserved,
            declared,
        ) = _ENTRY.unpack(buf[off : off + _ENTRY_MIN])
        if header_size < _ENTRY_MIN:
            raise InspectError(f"fatbin entry at offset {off} declares a {header_size}-byte header")
        payload = off + header_size
        if payload + stored > end:
            raise InspectError(
                f"fatbin entry at offset {off} declares {stored} bytes, only {end - payload} remain"
            )
        off = payload + stored
        kind = _KINDS.get(kind_code)
        if kind is None:
            # Other kinds (LTO IR, ...) are neither SASS nor PTX: nothing a driver loads.
            continue
        method = _COMPRESSION_FLAGS.get(flags & (FLAG_LZ4 | FLAG_ZSTD))
        suffix = _SUFFIX_FLAGS.get(flags & (FLAG_ARCH | FLAG_FAMILY))
        if method is None or suffix is None:
            raise InspectError(
                f"fatbin entry at offset {payload - header_size} has contradictory flags {flags:#x}"
            )
        if method is Compression.NONE:
            body_size, size = stored, stored
        else:
            if compressed > stored:
                raise InspectError(
                    f"fatbin entry at offset {payload - header_size} compressed size exceeds payload"
                )
            body_size, size = compressed, declared
        names: tuple[str, ...] | None = None
        if kernels:
            data = compression.decompress(method, buf[payload : payload + body_size], size)
            names = cubin.entry_functions(data) if kind is EntryKind.SASS else ptx_entry_functions(data)
        entries.append(
            Entry(
                fatbin=index,
                kind=kind,
                sm=sm,
                suffix=suffix,
                version=(major, minor),
                compression=method,
                stored_size=stored,
                size=size,
                flags=flags,
                kernels=names,
            )
        )
    return entries


def ptx_entry_functions(text: bytes) -> tuple[str, ...]:
    """The ``.entry`` names declared in a PTX text, in order."""
    names = []
    for match in _PTX_ENTRY.finditer(text):
        line = text.rfind(b"\n", 0, match.start()) + 1
        if _PTX_LINKAGE.fullmatch(text, line, match.start()):
            names.append(match.group(1).decode("ascii"))
    return tuple(names)


def extent(buf: Buffer, off: int) -> int:
    """The offset just past the single fatbin whose header is at ``off``."""
    if off + _HEADER.size > len(buf):
        raise InspectError(f"truncated fatbin header at offset {off}")
    magic, _version, header_size, size = _HEADER.unpack(buf[off : off + _HEADER.size])
    if magic != FATBIN_MAGIC:
        raise InspectError(f"no fatbin magic at offset {off} (found {magic:#010x})")
    end: int = off + header_size + size
    return min(end, len(buf))
