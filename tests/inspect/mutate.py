"""Mutations of valid binaries for robustness tests: byte flips, hostile integers in header
fields, truncation, splices. Shared by the hypothesis test and benchmarks/inspect_bench.py."""

from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import random

DATA = Path(__file__).parent / "data"
SEEDS = ("suffixes.o", "lz4.o", "plain.o", "standalone.fatbin", "sm_121a.cubin")
_FATBIN_MAGIC = struct.pack("<I", 0xBA55ED50)
HOSTILE = (0, 1, 0x7F, 0x80, 0xFF, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF, 0xFFFFFFFFFFFFFFFF, 1 << 40)


def seeds() -> dict[str, bytes]:
    out = {name: (DATA / name).read_bytes() for name in SEEDS}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as wheel:
        wheel.writestr("pkg/_C.so", out["suffixes.o"])
        wheel.writestr("pkg/k.fatbin", out["standalone.fatbin"])
    out["pkg.whl"] = buf.getvalue()
    return out


def hot_offsets(data: bytes) -> list[int]:
    """Where the headers are: ELF header, section table, every fatbin header and the bytes after it."""
    hot = list(range(64))
    at = data.find(_FATBIN_MAGIC)
    while at >= 0:
        hot.extend(range(at, min(at + 200, len(data))))
        at = data.find(_FATBIN_MAGIC, at + 4)
    if data[:4] == b"\x7fELF" and len(data) >= 64:
        (shoff,) = struct.unpack_from("<Q", data, 40)
        hot.extend(range(min(shoff, len(data)), min(shoff + 64 * 12, len(data))))
    return hot


def mutate(data: bytes, rng: random.Random) -> bytes:
    """One random mutation (sometimes several) of ``data``."""
    buf = bytearray(data)
    hot = hot_offsets(data)
    for _ in range(rng.choice((1, 1, 1, 2, 4))):
        how = rng.randrange(6)
        at = rng.choice(hot) if hot and rng.random() < 0.7 else rng.randrange(max(len(buf), 1))
        if how == 0 and buf:  # flip a byte
            buf[at % len(buf)] ^= 1 << rng.randrange(8)
        elif how == 1 and buf:  # random byte
            buf[at % len(buf)] = rng.randrange(256)
        elif how in (2, 3):  # hostile integer over a header field
            value = rng.choice(HOSTILE)
            width = rng.choice((2, 4, 8))
            blob = (value & ((1 << (8 * width)) - 1)).to_bytes(width, "little")
            at -= at % width
            buf[at : at + width] = blob
        elif how == 4:  # truncate
            del buf[rng.randrange(len(buf) + 1) :]
        else:  # splice: duplicate or drop a run
            end = min(len(buf), at + rng.randrange(1, 256))
            if rng.random() < 0.5:
                buf[at:at] = buf[at:end]
            else:
                del buf[at:end]
    return bytes(buf)
