"""The decompressor registry and its guards against hostile sizes."""

from __future__ import annotations

import lz4.block
import pytest
import zstandard

from archforge.errors import InspectError
from archforge.inspect.compression import DECOMPRESSORS, MAX_ENTRY_SIZE, decompress
from archforge.inspect.model import Compression

TEXT = b"__global__ void k() {}\n" * 500


def test_every_method_has_a_decompressor() -> None:
    assert set(DECOMPRESSORS) == set(Compression)


@pytest.mark.parametrize(
    ("method", "payload"),
    [
        (Compression.NONE, TEXT + b"\x00" * 8),
        (Compression.LZ4, lz4.block.compress(TEXT, store_size=False)),
        (Compression.ZSTD, zstandard.ZstdCompressor().compress(TEXT)),
    ],
    ids=["none", "lz4", "zstd"],
)
def test_round_trip(method: Compression, payload: bytes) -> None:
    assert decompress(method, payload, len(TEXT)) == TEXT


@pytest.mark.parametrize(
    ("method", "payload"),
    [
        (Compression.LZ4, lz4.block.compress(TEXT, store_size=False)),
        (Compression.ZSTD, zstandard.ZstdCompressor().compress(TEXT)),
    ],
    ids=["lz4", "zstd"],
)
@pytest.mark.parametrize("declared", [len(TEXT) - 1, len(TEXT) + 1, 10])
def test_output_other_than_declared_is_refused(method: Compression, payload: bytes, declared: int) -> None:
    with pytest.raises(InspectError, match="declare"):
        decompress(method, payload, declared)


def test_zstd_bomb_stops_at_the_declared_size() -> None:
    # 1 GiB of zeros compresses to a few dozen kilobytes; we must stop after 1 MiB + 1.
    bomb = zstandard.ZstdCompressor(level=19).compress(b"\x00" * (1 << 26))
    with pytest.raises(InspectError, match="more than"):
        decompress(Compression.ZSTD, bomb, 1 << 20)


def test_lz4_size_beyond_the_format_ratio_is_refused_before_allocating() -> None:
    with pytest.raises(InspectError, match="cannot expand"):
        decompress(Compression.LZ4, b"\x00" * 16, 1 << 30)


def test_huge_declared_size_is_refused() -> None:
    with pytest.raises(InspectError, match="more than"):
        decompress(Compression.ZSTD, b"\x28\xb5\x2f\xfd", MAX_ENTRY_SIZE + 1)


@pytest.mark.parametrize("method", [Compression.LZ4, Compression.ZSTD])
def test_garbage_is_an_inspect_error(method: Compression) -> None:
    with pytest.raises(InspectError, match="corrupt|declare|expand"):
        decompress(method, b"\xff" * 64, 1000)


def test_forged_zstd_frame_size_is_not_allocated_up_front() -> None:
    import tracemalloc

    # A real frame header claiming 1 GiB, followed by almost nothing.
    forged = zstandard.ZstdCompressor().compress(b"\x00" * (1 << 30))[:64]
    tracemalloc.start()
    try:
        with pytest.raises(InspectError):
            decompress(Compression.ZSTD, forged, 1 << 30)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 << 20
