"""Fetch and cache the headers and libraries of one torch wheel, without installing it.

The kernel extension is compiled against the *oldest* torch whose stable ABI it targets
(versions.toml [torch] version): an extension built against newer headers uses shim
symbols the older libtorch lacks and fails to load, while one built against the old
headers loads on every newer torch. Only ``torch/include``, ``torch/lib`` and
``torch/share`` are extracted; torch is never imported.

Usage (CMake runs this at configure time; it prints the cached torch root)::

    python cmake/fetch_torch.py --version 2.11.0 --cache-dir .cache

Stdlib only: it runs inside scikit-build-core's isolated build environment.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

_KEEP = ("torch/include/", "torch/lib/", "torch/share/")
_MARKER = ".archforge-complete"


class FetchError(RuntimeError):
    """The torch wheel could not be downloaded or unpacked."""


def cached_root(version: str, cache_dir: Path) -> Path:
    """The directory holding ``torch/include`` and ``torch/lib`` for ``version``."""
    return cache_dir / f"torch-{version}"


def fetch(version: str, cache_dir: Path, *, wheel: Path | None = None) -> Path:
    """Return the torch root for ``version``, downloading the wheel on first use.

    ``wheel`` skips the download (an already downloaded ``torch-<version>-*.whl``).
    """
    root = cached_root(version, cache_dir)
    if (root / _MARKER).is_file():
        return root / "torch"
    root.mkdir(parents=True, exist_ok=True)
    if wheel is None:
        wheel = _find_wheel(root / "wheel", version) or _download(version, root / "wheel")
    _extract(wheel, root)
    (root / _MARKER).write_text(f"{wheel.name}\n")
    return root / "torch"


def _find_wheel(directory: Path, version: str) -> Path | None:
    found = sorted(directory.glob(f"torch-{version}-*.whl")) if directory.is_dir() else []
    return found[0] if found else None


def _download(version: str, directory: Path) -> Path:
    # pip is the ordinary client for PyPI; it honours the user's index, proxy and CA
    # configuration. The PyPI default torch 2.11 Linux wheel is the CUDA 13.0 build.
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        f"torch=={version}",
        "--no-deps",
        "--only-binary=:all:",
        "--dest",
        str(directory),
    ]
    print("+", " ".join(cmd), file=sys.stderr)
    result = subprocess.run(cmd, check=False)
    wheel = _find_wheel(directory, version)
    if result.returncode != 0 or wheel is None:
        raise FetchError(f"pip download torch=={version} failed (exit {result.returncode})")
    return wheel


def _extract(wheel: Path, root: Path) -> None:
    # Unpack into a sibling temp dir and rename, so an interrupted run leaves no
    # half-extracted tree that a later configure would trust.
    with tempfile.TemporaryDirectory(dir=root) as tmp, zipfile.ZipFile(wheel) as zf:
        members = [n for n in zf.namelist() if n.startswith(_KEEP) or n == "torch/version.py"]
        if not any(n.startswith("torch/include/torch/csrc/stable/") for n in members):
            raise FetchError(f"{wheel.name} has no stable-ABI headers (torch/csrc/stable)")
        zf.extractall(tmp, members)
        target = root / "torch"
        if target.exists():
            shutil.rmtree(target)
        Path(tmp, "torch").rename(target)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", required=True)
    parser.add_argument("--cache-dir", type=Path, required=True)
    parser.add_argument("--wheel", type=Path, default=None, help="use this wheel instead of downloading")
    args = parser.parse_args(argv)
    try:
        print(fetch(args.version, args.cache_dir.resolve(), wheel=args.wheel))
    except (FetchError, OSError, zipfile.BadZipFile) as exc:
        print(f"fetch_torch: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
