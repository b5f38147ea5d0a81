"""Decompressors for fatbin entry payloads, behind one registry keyed by :class:`Compression`.

Every decompressor is given the size the entry header declares and never produces more:
a hostile header cannot make us allocate beyond what it declares, and a payload that
expands past its declared size is an error rather than a memory blow-up.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Protocol

import lz4.block
import zstandard

from archforge.errors import InspectError
from archforge.inspect.model import Compression

if TYPE_CHECKING:
    from collections.abc import Mapping

# LZ4 block format cannot expand one input byte into more than 255 output bytes
# (each extra length byte adds at most 255), so a larger declared size is a lie.
_LZ4_MAX_RATIO = 255
# Entries larger than this are refused outright: the largest real cubins we have seen
# are tens of MB; this keeps a forged 64-bit size from becoming a huge allocation.
MAX_ENTRY_SIZE = 1 << 31
_ZSTD_CHUNK = 1 << 20
# Real cubins and PTX compress 3-20x; beyond this a declared size is not trusted up front.
_ZSTD_ONE_SHOT_RATIO = 64


class Decompressor(Protocol):
    def __call__(self, payload: bytes | bytearray | memoryview, size: int) -> bytes:
        """Return exactly ``size`` bytes decompressed from ``payload`` or raise InspectError."""
        ...


def _none(payload: bytes | bytearray | memoryview, size: int) -> bytes:
    if len(payload) < size:
        raise InspectError(f"payload has {len(payload)} bytes, header declares {size}")
    return bytes(payload[:size])


def _lz4(payload: bytes | bytearray | memoryview, size: int) -> bytes:
    if size > _LZ4_MAX_RATIO * len(payload) + 16:
        raise InspectError(f"lz4 payload of {len(payload)} bytes cannot expand to declared {size} bytes")
    try:
        out: bytes = lz4.block.decompress(payload, uncompressed_size=size)
    except lz4.block.LZ4BlockError as exc:
        raise InspectError(f"corrupt lz4 payload, or not the {size} bytes declared: {exc}") from None
    if len(out) != size:
        raise InspectError(f"lz4 payload expands to {len(out)} bytes, header declares {size}")
    return out


def _zstd(payload: bytes | bytearray | memoryview, size: int) -> bytes:
    dctx = zstandard.ZstdDecompressor()
    try:
        framed = zstandard.frame_content_size(payload)
    except zstandard.ZstdError as exc:
        raise InspectError(f"corrupt zstd payload: {exc}") from None
    if framed != size or size > _ZSTD_ONE_SHOT_RATIO * len(payload) + _ZSTD_CHUNK:
        # No content size in the frame, several frames, or a ratio no real cubin or PTX
        # reaches: stream, so memory follows what really comes out, bounded by ``size``.
        return _zstd_stream(dctx, payload, size)
    # One shot when the frame states its size and that size is the declared one (nvcc's
    # frames do): decompress() allocates exactly that and fails rather than write more.
    try:
        out: bytes = dctx.decompress(payload, max_output_size=size)
    except zstandard.ZstdError as exc:
        raise InspectError(f"corrupt zstd payload: {exc}") from None
    if len(out) != size:
        raise InspectError(f"zstd payload expands to {len(out)} bytes, header declares {size}")
    return out


def _zstd_stream(
    dctx: zstandard.ZstdDecompressor, payload: bytes | bytearray | memoryview, size: int
) -> bytes:
    # A frame without a content size: stream it and stop past the declared size, since
    # decompress() would preallocate max_output_size whatever the real size is.
    chunks: list[bytes] = []
    got = 0
    try:
        with dctx.stream_reader(io.BytesIO(payload), read_across_frames=True) as reader:
            while got <= size:
                chunk = reader.read(min(_ZSTD_CHUNK, size + 1 - got))
                if not chunk:
                    break
                chunks.append(chunk)
                got += len(chunk)
    except zstandard.ZstdError as exc:
        raise InspectError(f"corrupt zstd payload: {exc}") from None
    if got != size:
        raise InspectError(
            f"zstd payload expands to {'more than ' if got > size else ''}{got} bytes, header declares {size}"
        )
    return b"".join(chunks)


DECOMPRESSORS: Mapping[Compression, Decompressor] = {
    Compression.NONE: _none,
    Compression.LZ4: _lz4,
    Compression.ZSTD: _zstd,
}


def decompress(method: Compression, payload: bytes | bytearray | memoryview, size: int) -> bytes:
    """Decompress one entry payload to its declared ``size``."""
    if size > MAX_ENTRY_SIZE:
        raise InspectError(f"entry declares {size} bytes, more than the {MAX_ENTRY_SIZE} accepted")
    return DECOMPRESSORS[method](payload, size)
