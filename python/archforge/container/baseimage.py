"""The base OS image, built locally with debootstrap and ``docker import``.

No container registry is reachable from our build machines, so the OS layer is
made from Debian's archive: ``debootstrap --variant=minbase`` with Python, tarred
and imported. The image is tagged with the Date of the suite's Release file, which
names the archive state the packages came from (snapshot.debian.org is not
reachable, so the date is recorded, not pinned), and is reused when present.
"""

from __future__ import annotations

import email.utils
import urllib.request
from dataclasses import dataclass
from typing import TYPE_CHECKING

from archforge.container.plan import LABEL_PREFIX, Step
from archforge.errors import ConfigError, ToolError

if TYPE_CHECKING:
    from pathlib import Path

    from archforge.container.config import DebianSource
    from archforge.container.engine import Engine

BASE_REPO = "archforge-base"

#: What the rootfs holds beyond minbase: the interpreter, venv (for an isolated
#: /opt/venv in every stage) and the public CA roots (not the proxy's: that one is
#: only ever a build secret).
PACKAGES = ("python3", "python3-venv", "ca-certificates")

#: Paths left out of the imported tarball: kernel filesystems debootstrap mounted,
#: and apt's downloaded indexes and packages, which only make the layer bigger.
EXCLUDES = (
    "./proc/*",
    "./sys/*",
    "./dev/*",
    "./run/*",
    "./tmp/*",
    "./var/lib/apt/lists/*",
    "./var/cache/apt/*",
    "./var/cache/debconf/*-old",
    "./var/log/*",
)


@dataclass(frozen=True, kw_only=True)
class ReleaseInfo:
    """What the suite's Release file says about the archive state."""

    suite: str
    codename: str
    version: str
    date: str
    """RFC 2822 date as written in the Release file."""
    stamp: str
    """The same instant as ``YYYYMMDDTHHMMSSZ`` (snapshot.debian.org's format)."""
    created: str
    """The same instant in RFC 3339, as OCI's ``created`` label wants it."""


def parse_release(text: str) -> ReleaseInfo:
    fields: dict[str, str] = {}
    for line in text.splitlines():
        if not line or line.startswith(" "):
            continue
        key, sep, value = line.partition(":")
        if sep:
            fields.setdefault(key.strip(), value.strip())
    if "Date" not in fields:
        raise ConfigError("Debian Release file has no Date field")
    try:
        when = email.utils.parsedate_to_datetime(fields["Date"])
    except (TypeError, ValueError):
        raise ConfigError(f"Debian Release file has an unreadable Date: {fields['Date']!r}") from None
    return ReleaseInfo(
        suite=fields.get("Suite", ""),
        codename=fields.get("Codename", ""),
        version=fields.get("Version", ""),
        date=fields["Date"],
        stamp=when.strftime("%Y%m%dT%H%M%SZ"),
        created=when.strftime("%Y-%m-%dT%H:%M:%SZ"),
    )


def fetch_release(source: DebianSource, timeout: float = 30.0) -> ReleaseInfo:
    url = f"{source.mirror.rstrip('/')}/dists/{source.suite}/Release"
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"debian.mirror must be an http(s) URL, got {source.mirror!r}")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return parse_release(resp.read().decode("utf-8", errors="replace"))
    except OSError as exc:
        raise ToolError(f"cannot fetch {url}: {exc}") from None


@dataclass(frozen=True, kw_only=True)
class BaseImagePlan:
    ref: str
    """``archforge-base:<suite>-<release stamp>``: the archive state it came from."""
    alias: str
    """``archforge-base:<suite>``: the Dockerfile's default BASE_IMAGE."""
    release: ReleaseInfo
    workdir: Path
    steps: tuple[Step, ...]

    def render(self) -> str:
        lines = [f"# base image: {self.ref} (Release Date: {self.release.date})"]
        lines += [f"[{step.name}] {step.render()}" for step in self.steps]
        return "\n".join(lines)


def base_ref(source: DebianSource, release: ReleaseInfo) -> str:
    return f"{BASE_REPO}:{source.suite}-{release.stamp}"


def plan_base_image(
    source: DebianSource, release: ReleaseInfo, workdir: Path, engine: Engine
) -> BaseImagePlan:
    rootfs = workdir / "rootfs"
    tarball = workdir / "rootfs.tar"
    ref = base_ref(source, release)
    alias = f"{BASE_REPO}:{source.suite}"
    labels = {
        "org.opencontainers.image.title": "archforge base OS",
        "org.opencontainers.image.created": release.created,
        "org.opencontainers.image.base.name": f"debian:{source.suite} (debootstrap {source.variant})",
        f"{LABEL_PREFIX}.debian.suite": source.suite,
        f"{LABEL_PREFIX}.debian.version": release.version,
        f"{LABEL_PREFIX}.debian.release-date": release.stamp,
        f"{LABEL_PREFIX}.debian.mirror": source.mirror,
    }
    changes = [
        "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "ENV LANG=C.UTF-8",
        'CMD ["/bin/bash"]',
        *(f'LABEL {key}="{value}"' for key, value in labels.items()),
    ]
    tar = ["tar", "-C", str(rootfs), "--numeric-owner"]
    tar.extend(f"--exclude={pattern}" for pattern in EXCLUDES)
    tar += ["-cf", str(tarball), "."]
    steps = (
        Step(
            name="debootstrap",
            argv=(
                "debootstrap",
                f"--variant={source.variant}",
                f"--include={','.join(PACKAGES)}",
                source.suite,
                str(rootfs),
                source.mirror,
            ),
        ),
        Step(name="tar", argv=tuple(tar)),
        Step(name="import", argv=tuple(engine.import_argv(tarball, ref, changes)), image=ref),
        Step(name="tag", argv=tuple(engine.tag_argv(ref, alias))),
    )
    return BaseImagePlan(ref=ref, alias=alias, release=release, workdir=workdir, steps=steps)
