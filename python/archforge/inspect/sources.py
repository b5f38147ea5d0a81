"""Turn paths (wheels, shared objects, fatbins, cubins, directories) into file reports.

Wheels are read member by member from the zip, never extracted as a whole: a member is
read into memory, or, when larger than ``SPOOL_SIZE``, copied into an unlinked temporary
file for the time it is parsed, so that listing a 500 MB library does not hold it in RAM.
Files on disk are read in place with ``pread`` (see :mod:`archforge.inspect.blob`).
"""

from __future__ import annotations

import io
import tempfile
import zipfile
import zlib
from enum import Enum
from typing import IO, TYPE_CHECKING, BinaryIO

from archforge.errors import InspectError
from archforge.inspect import cubin, fatbin, hostelf
from archforge.inspect.blob import BufferStream, FileBuffer
from archforge.inspect.model import Compression, Entry, EntryKind, FileReport

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from pathlib import Path

    from archforge.inspect.blob import Buffer

_CHUNK = 1 << 20
# How far a member's compression can expand it: deflate at most 1032:1 (258-byte matches
# in 2-bit codes). Other methods are bounded only by the declared size (zipfile stops there).
_MAX_RATIO = {zipfile.ZIP_STORED: 1, zipfile.ZIP_DEFLATED: 1032}
# No file or member beyond this is inspected.
MAX_MEMBER_SIZE = 1 << 32
# Wheel members larger than this are spooled to a temporary file rather than held in memory.
SPOOL_SIZE = 64 << 20
_ZIP_MAGIC = b"PK\x03\x04"
_FATBIN_MAGIC = fatbin.FATBIN_MAGIC.to_bytes(4, "little")
# Everything zipfile raises for a damaged or unsupported archive or member.
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    NotImplementedError,
    RuntimeError,
    ValueError,
    OSError,
    IndexError,  # zipfile indexes an empty member name in ZipInfo.is_dir()
)


class Format(Enum):
    ELF = "elf"
    CUBIN = "cubin"
    FATBIN = "fatbin"
    WHEEL = "wheel"


def sniff(head: bytes) -> Format | None:
    """Recognise a file by its first 20 bytes."""
    if head.startswith(cubin.ELF_MAGIC):
        return (
            Format.CUBIN
            if len(head) >= 20 and int.from_bytes(head[18:20], "little") == cubin.EM_CUDA
            else Format.ELF
        )
    if head.startswith(_FATBIN_MAGIC):
        return Format.FATBIN
    if head.startswith(_ZIP_MAGIC):
        return Format.WHEEL
    return None


def inspect_paths(
    paths: Iterable[Path], *, kernels: bool = False, spool_size: int = SPOOL_SIZE
) -> Iterator[FileReport]:
    """Inspect each path; directories are walked, skipping files of no known format.

    ``kernels`` reads the kernel names inside every entry (decompressing it); wheel
    members larger than ``spool_size`` bytes are parsed from a temporary file.
    """
    for path in paths:
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                yield from _inspect_file(child, kernels=kernels, strict=False, spool_size=spool_size)
        elif path.exists():
            yield from _inspect_file(path, kernels=kernels, strict=True, spool_size=spool_size)
        else:
            raise InspectError(f"{path}: no such file or directory")


def inspect_bytes(
    data: bytes, name: str, *, kernels: bool = False, spool_size: int = SPOOL_SIZE
) -> list[FileReport]:
    """Inspect one file already in memory (a wheel, ELF, fatbin or cubin) named ``name``."""
    kind = sniff(data[:20])
    if kind is None:
        raise InspectError(f"{name}: not a wheel, ELF, fatbin or cubin")
    if kind is Format.WHEEL:
        return list(_inspect_wheel(io.BytesIO(data), name, kernels=kernels, spool_size=spool_size))
    return [_inspect_buffer(kind, BufferStream(data), data, path=name, container=None, kernels=kernels)]


def _inspect_file(path: Path, *, kernels: bool, strict: bool, spool_size: int) -> Iterator[FileReport]:
    try:
        with path.open("rb") as f:
            kind = sniff(f.read(20))
            if kind is None:
                if strict:
                    raise InspectError(f"{path}: not a wheel, ELF, fatbin or cubin")
                return
            if kind is Format.WHEEL:
                yield from _inspect_wheel(f, str(path), kernels=kernels, spool_size=spool_size)
                return
            size = f.seek(0, io.SEEK_END)
            if size > MAX_MEMBER_SIZE:
                raise InspectError(f"{path}: {size} bytes is more than the inspector reads")
            f.seek(0)
            report = _inspect_buffer(
                kind, f, FileBuffer(f.fileno(), size), path=str(path), container=None, kernels=kernels
            )
        yield report
    except OSError as exc:
        raise InspectError(f"{path}: {exc.strerror or exc}") from None


def _inspect_wheel(f: BinaryIO, name: str, *, kernels: bool, spool_size: int) -> Iterator[FileReport]:
    try:
        archive = zipfile.ZipFile(f)
        members = [m for m in archive.infolist() if not m.is_dir() and m.file_size >= 20]
    except _ZIP_ERRORS as exc:
        raise InspectError(f"{name}: not a readable zip archive: {exc}") from None
    with archive:
        for member in members:
            where = f"{name}!{member.filename}"
            try:
                with archive.open(member) as stream:
                    kind = sniff(stream.read(20))
                if kind is None or kind is Format.WHEEL:
                    continue
                _check_member_size(member)
                if member.file_size > spool_size:
                    with tempfile.TemporaryFile(prefix="archforge-inspect-") as spool:
                        _copy_member(archive, member, spool)
                        buf = FileBuffer(spool.fileno(), member.file_size)
                        report = _inspect_buffer(
                            kind, spool, buf, path=member.filename, container=name, kernels=kernels
                        )
                else:
                    data = _read_member(archive, member)
                    report = _inspect_buffer(
                        kind, BufferStream(data), data, path=member.filename, container=name, kernels=kernels
                    )
            except _ZIP_ERRORS as exc:
                raise InspectError(f"{where}: cannot read member: {exc}") from None
            except InspectError as exc:
                raise InspectError(str(exc) if str(exc).startswith(where) else f"{where}: {exc}") from None
            yield report


def _check_member_size(member: zipfile.ZipInfo) -> None:
    if member.file_size > MAX_MEMBER_SIZE:
        raise InspectError(f"{member.file_size} bytes is more than the inspector reads")
    ratio = _MAX_RATIO.get(member.compress_type)
    if ratio is not None and member.file_size > ratio * member.compress_size + 1024:
        raise InspectError(
            f"declares {member.file_size} bytes from {member.compress_size} compressed, "
            "more than its compression allows"
        )


def _read_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> bytearray:
    """The whole member (ELF section headers sit at its end, so it is parsed whole).

    The buffer grows with what is actually read, never to the size the zip directory
    claims up front: a forged directory entry must not become a huge allocation.
    """
    data = bytearray()
    with archive.open(member) as stream:
        while chunk := stream.read(_CHUNK):
            data += chunk
    if len(data) != member.file_size:
        raise InspectError(f"member holds {len(data)} bytes, the zip directory says {member.file_size}")
    return data


def _copy_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo, out: IO[bytes]) -> None:
    got = 0
    with archive.open(member) as stream:
        while chunk := stream.read(_CHUNK):
            out.write(chunk)
            got += len(chunk)
    out.flush()
    if got != member.file_size:
        raise InspectError(f"member holds {got} bytes, the zip directory says {member.file_size}")


def _inspect_buffer(
    kind: Format, stream: hostelf.Stream, buf: Buffer, *, path: str, container: str | None, kernels: bool
) -> FileReport:
    where = f"{container}!{path}" if container else path
    try:
        if kind is Format.ELF:
            elf = hostelf.read_host_elf(stream, buf, kernels=kernels)
            return FileReport(
                path=path,
                container=container,
                format=kind.value,
                machine=elf.machine,
                fatbins=elf.fatbins,
                entries=tuple(elf.entries),
            )
        if kind is Format.FATBIN:
            entries, starts = fatbin.parse_region(buf, 0, len(buf), kernels=kernels)
            return FileReport(
                path=path, container=container, format=kind.value, fatbins=len(starts), entries=tuple(entries)
            )
        return FileReport(
            path=path, container=container, format=kind.value, entries=(_cubin_entry(buf, kernels),)
        )
    except InspectError as exc:
        raise InspectError(f"{where}: {exc}") from None


def _cubin_entry(buf: Buffer, kernels: bool) -> Entry:
    data = bytes(buf[0 : len(buf)])
    names = cubin.entry_functions(data) if kernels else None
    sm, suffix = cubin.target(data)
    return Entry(
        fatbin=-1,
        kind=EntryKind.SASS,
        sm=sm,
        suffix=suffix,
        version=(0, 0),
        compression=Compression.NONE,
        stored_size=len(data),
        size=len(data),
        flags=0,
        kernels=names,
    )
