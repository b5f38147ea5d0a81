"""Random-access views of the bytes being inspected: files on disk, spooled wheel members,
buffers in memory. The parsers only ever slice them (``buf[a:b]`` gives bytes).

Files are read with ``pread`` rather than mapped: a listing then costs only the header
bytes it reads, where an mmap maps the 64 KiB around every page touched (the kernel's
fault-around), which on a 100 MB library with ~200 entries doubled our peak RSS.
"""

from __future__ import annotations

import io
import os
from typing import Protocol


class Buffer(Protocol):
    """Anything of known length that slices to bytes: bytes, bytearray, :class:`FileBuffer`."""

    def __len__(self) -> int: ...
    def __getitem__(self, index: slice, /) -> bytes | bytearray: ...


class FileBuffer:
    """A read-only file, sliced by ``pread``."""

    def __init__(self, fd: int, size: int) -> None:
        self._fd = fd
        self._size = size

    def __len__(self) -> int:
        return self._size

    def __getitem__(self, index: slice, /) -> bytes:
        start, stop, step = index.indices(self._size)
        if step != 1:
            raise ValueError("FileBuffer slices must be contiguous")
        return os.pread(self._fd, max(0, stop - start), start)


class BufferStream:
    """A read/seek/tell stream over a :class:`Buffer`, for pyelftools, without copying it
    (``io.BytesIO`` copies a bytearray)."""

    def __init__(self, buf: Buffer) -> None:
        self._buf = buf
        self._pos = 0

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET, /) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: len(self._buf)}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def read(self, size: int = -1, /) -> bytes:
        end = len(self._buf) if size < 0 else min(len(self._buf), self._pos + size)
        out = bytes(self._buf[self._pos : end])
        self._pos = max(self._pos, end)
        return out


def skip_zeros(buf: Buffer, start: int, end: int) -> int:
    """The offset of the first non-zero byte in ``buf[start:end]``, or ``end``."""
    chunk_size = 1 << 16
    at = start
    while at < end:
        chunk = buf[at : min(end, at + chunk_size)]
        if not chunk:
            return end
        stripped = chunk.lstrip(b"\x00")
        if stripped:
            return at + len(chunk) - len(stripped)
        at += len(chunk)
    return end
