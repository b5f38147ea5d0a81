"""Proof that a build secret (the proxy CA bundle) did not land in an image.

``docker save`` writes the image as a tar of uncompressed layer tars plus its
config; every member is searched for distinctive pieces of the secret. "Distinctive"
matters: the image legitimately carries Debian's public roots, which are also in
the build machine's bundle, so only the certificates the image does *not* ship
(the proxy's own CA) are searched for, as a PEM line and as raw DER bytes.
"""

from __future__ import annotations

import base64
import re
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from archforge.container.engine import Engine
    from archforge.runner import Runner

_PEM = re.compile(rb"-----BEGIN CERTIFICATE-----\s+(.+?)\s+-----END CERTIFICATE-----", re.DOTALL)
_CHUNK = 1 << 20


def pem_bodies(bundle: bytes) -> list[bytes]:
    """The base64 bodies of the certificates in a PEM bundle, whitespace removed."""
    return [re.sub(rb"\s+", b"", m.group(1)) for m in _PEM.finditer(bundle)]


def distinctive_needles(bundle: bytes, shipped: bytes = b"") -> list[bytes]:
    """Byte strings that occur only where the secret's own certificates were copied.

    For each certificate of ``bundle`` not in ``shipped`` (the image's own bundle):
    a 64-character line from the middle of its PEM text and 48 bytes of its DER.
    """
    known = set(pem_bodies(shipped))
    needles = []
    for body in pem_bodies(bundle):
        if body in known:
            continue
        lines = [body[i : i + 64] for i in range(0, len(body), 64)]
        needles.append(lines[len(lines) // 2])
        der = base64.b64decode(body)
        needles.append(der[len(der) // 2 : len(der) // 2 + 48])
    return needles


@dataclass(frozen=True, kw_only=True)
class Finding:
    member: str
    """The ``docker save`` member (``<id>/layer.tar``, the config JSON, ...)."""
    needle: int
    """Index into the needles searched for."""


def _scan_stream(stream: IO[bytes], needles: Sequence[bytes]) -> set[int]:
    overlap = max(len(n) for n in needles) - 1
    found: set[int] = set()
    tail = b""
    while chunk := stream.read(_CHUNK):
        window = tail + chunk
        found.update(i for i, needle in enumerate(needles) if needle in window)
        tail = window[-overlap:] if overlap else b""
    return found


def scan_saved_image(archive: Path, needles: Sequence[bytes]) -> list[Finding]:
    """Search every member of a ``docker save`` archive (layers and config)."""
    if not needles:
        return []
    findings = []
    with tarfile.open(archive) as tar:
        for member in tar:
            if not member.isfile():
                continue
            fh = tar.extractfile(member)
            if fh is None:
                continue
            with fh:
                findings += [Finding(member=member.name, needle=i) for i in sorted(_scan_stream(fh, needles))]
    return findings


def scan_image(
    engine: Engine, runner: Runner, ref: str, needles: Iterable[bytes], workdir: Path | None = None
) -> list[Finding]:
    """``docker save`` ``ref`` to a temporary file and search it."""
    with tempfile.TemporaryDirectory(prefix="archforge-save-", dir=workdir) as tmp:
        archive = Path(tmp) / "image.tar"
        runner.run(engine.save_argv(ref, archive), mode="capture")
        return scan_saved_image(archive, list(needles))
