"""A kernel manifest restricted to some families, for quick builds (CI's Docker smoke).

Families outside the subset are marked ``enabled = false``, the manifest's own way of
keeping a declared family out of a plan while still reporting it, so the plan, the
CMake build and verify all agree on what a subset build carries. The manifest is
edited as text (one line per family) so its comments and layout survive.

Used inside the build stage::

    python -m archforge.container.subset --kernels "activation;fp8_quant" \
        --manifest python/archforge/data/kernels.toml --output /tmp/kernels.toml
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from archforge.container.config import load_toml
from archforge.errors import ArchforgeError, ConfigError

_HEADER = re.compile(r"^\[families\.([A-Za-z0-9_-]+)\]\s*(#.*)?$")
_ENABLED = re.compile(r"^enabled\s*=")


def parse_kernels(text: str) -> tuple[str, ...]:
    """``"a; b"`` -> ``("a", "b")``; empty means every family."""
    return tuple(k.strip() for k in text.replace(",", ";").split(";") if k.strip())


def subset_manifest(text: str, families: tuple[str, ...], known: set[str]) -> str:
    unknown = sorted(set(families) - known)
    if unknown:
        raise ConfigError(f"unknown kernel families {unknown}; the manifest has {sorted(known)}")
    out: list[str] = []
    current: str | None = None
    for line in text.splitlines():
        header = _HEADER.match(line)
        if header:
            current = header.group(1)
            out.append(line)
            if current not in families:
                out.append("enabled = false  # archforge.container.subset: not in this build's subset")
            continue
        if line.startswith("["):
            current = None
        if current is not None and current not in families and _ENABLED.match(line):
            continue  # replaced by the line written under the header
        out.append(line)
    return "\n".join(out) + "\n"


def write_subset(manifest: Path, families: tuple[str, ...], output: Path) -> None:
    data = load_toml(manifest)
    table = data.get("families")
    if not isinstance(table, dict):
        raise ConfigError(f"{manifest}: no [families] table")
    text = subset_manifest(manifest.read_text(encoding="utf-8"), families, set(table))
    output.write_text(text, encoding="utf-8")
    load_toml(output)  # the edit must still be valid TOML


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m archforge.container.subset")
    parser.add_argument("--kernels", required=True, help="families to keep, semicolon-separated")
    parser.add_argument("--manifest", type=Path, required=True)
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args(argv)
    try:
        write_subset(args.manifest, parse_kernels(args.kernels), args.output)
    except ArchforgeError as exc:
        print(f"archforge.container.subset: error: {exc}", file=sys.stderr)
        return exc.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
