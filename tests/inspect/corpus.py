"""A corpus of CUDA binaries built with the real nvcc, cached under .cache/ by source hash.

Each object file compiles the same kernels in its own namespace (the linker rejects
duplicate host stubs otherwise) for one mix of targets and compression settings; the
shared library links them all, so it carries several fatbins.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

SOURCE = r"""
#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
namespace NS {
template <typename T> __global__ void scale(T* x, T a, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) x[i] *= a;
}
template __global__ void scale<float>(float*, float, int);
template __global__ void scale<double>(double*, double, int);
__device__ __noinline__ float helper(float v) { return v * 2.0f + 1.0f; }
__global__ void fill(float* x, float v) { x[threadIdx.x] = helper(v); }
}
extern "C" __global__ void CAT(add_one_, NS)(int* x) { x[threadIdx.x] += 1; }
"""


@dataclass(frozen=True)
class Recipe:
    name: str
    flags: tuple[str, ...]
    targets: tuple[str, ...]
    """The targets the object must carry, as the inspector names them."""
    compression: str
    """What every entry of the object must be stored as."""


def _gencode(arch: str, code: str) -> tuple[str, str]:
    return ("-gencode", f"arch={arch},code={code}")


RECIPES = (
    Recipe(
        "plain",
        ("--no-compress", *_gencode("compute_120", "sm_120"), *_gencode("compute_90", "compute_90")),
        ("sm_120", "compute_90"),
        "none",
    ),
    Recipe(
        "suffixes",
        (
            "-Xfatbin=-compress-all",
            *_gencode("compute_120f", "sm_120f"),
            *_gencode("compute_121a", "sm_121a"),
            *_gencode("compute_120a", "sm_120a"),
            *_gencode("compute_120f", "compute_120f"),
        ),
        ("sm_120f", "sm_121a", "sm_120a", "compute_120f"),
        "zstd",
    ),
    Recipe(
        "lz4",
        (
            "-compress-mode=speed",
            "-Xfatbin=-compress-all",
            *_gencode("compute_121", "sm_121"),
            *_gencode("compute_100f", "sm_100f"),
            *_gencode("compute_121a", "compute_121a"),
        ),
        ("sm_121", "sm_100f", "compute_121a"),
        "lz4",
    ),
)


# Relocatable device code: the object keeps its fatbin in __nv_relfatbin; the shared
# library linked from it carries that section too, plus the device-linked .nv_fatbin,
# which is the only one that loads (and has no PTX).
RDC = Recipe(
    "rdc",
    ("-rdc=true", *_gencode("compute_121a", "sm_121a"), *_gencode("compute_120", "compute_120")),
    ("sm_121a", "compute_120"),
    "none",
)


@dataclass(frozen=True)
class Corpus:
    root: Path
    objects: dict[str, Path]
    shared: Path
    rdc_object: Path
    rdc_shared: Path
    fatbin: Path
    cubins: dict[str, Path]
    wheel: Path
    wheel_so: str
    """The member path of the shared library inside the wheel."""

    def all_binaries(self) -> list[Path]:
        return [*self.objects.values(), self.shared, self.rdc_object, self.rdc_shared, self.fatbin]


FATBIN_CODES = (("compute_121f", "sm_121f"), ("compute_121f", "compute_121f"), ("compute_89", "sm_89"))
CUBIN_ARCHES = ("sm_121a", "sm_120f", "sm_90")


def cache_key(nvcc: Path) -> str:
    version = subprocess.run([str(nvcc), "--version"], capture_output=True, text=True, check=True).stdout
    blob = repr((SOURCE, RECIPES, RDC, FATBIN_CODES, CUBIN_ARCHES, version)).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def build(nvcc: Path, cache: Path) -> Corpus:
    """Build the corpus into ``cache/<key>`` unless it is already there."""
    root = cache / f"inspect-corpus-{cache_key(nvcc)}"
    if not (root / "done").exists():
        cache.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix="corpus-", dir=cache))
        try:
            _build_into(nvcc, work)
            (work / "done").touch()
            work.rename(root)
        except OSError:
            if not (root / "done").exists():  # another worker did not win the race either
                raise
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return _layout(root)


def _layout(root: Path) -> Corpus:
    return Corpus(
        root=root,
        objects={r.name: root / f"{r.name}.o" for r in RECIPES},
        shared=root / "libcorpus.so",
        rdc_object=root / "rdc.o",
        rdc_shared=root / "librdc.so",
        fatbin=root / "standalone.fatbin",
        cubins={arch: root / f"{arch}.cubin" for arch in CUBIN_ARCHES},
        wheel=root / "corpus-0.1-py3-none-linux_x86_64.whl",
        wheel_so="corpus/lib/libcorpus.so",
    )


def _run(*cmd: str | Path, cwd: Path) -> None:
    subprocess.run([str(c) for c in cmd], cwd=cwd, check=True, capture_output=True)


def _build_into(nvcc: Path, work: Path) -> None:
    (work / "k.cu").write_text(SOURCE)
    layout = _layout(work)
    # One nvcc at a time: the build machines are shared.
    for recipe in RECIPES:
        _run(
            nvcc,
            "-c",
            "k.cu",
            "-o",
            f"{recipe.name}.o",
            f"-DNS={recipe.name}",
            "-Xcompiler",
            "-fPIC",
            *recipe.flags,
            cwd=work,
        )
    _run(nvcc, "-shared", "-o", layout.shared.name, *(f"{r.name}.o" for r in RECIPES), cwd=work)
    _run(
        nvcc,
        "-c",
        "k.cu",
        "-o",
        layout.rdc_object.name,
        "-DNS=rdc",
        "-Xcompiler",
        "-fPIC",
        *RDC.flags,
        cwd=work,
    )
    # The device link needs the targets again; without them nvcc links for its default arch.
    gencode = [f for f in RDC.flags if f != "-rdc=true"]
    _run(nvcc, "-shared", "-o", layout.rdc_shared.name, layout.rdc_object.name, *gencode, cwd=work)
    _run(
        nvcc,
        "-fatbin",
        "-o",
        layout.fatbin.name,
        "-DNS=fb",
        *(x for a, c in FATBIN_CODES for x in _gencode(a, c)),
        "k.cu",
        cwd=work,
    )
    for arch in CUBIN_ARCHES:
        _run(nvcc, "-cubin", f"-arch={arch}", "-DNS=cb", "-o", layout.cubins[arch].name, "k.cu", cwd=work)
    with zipfile.ZipFile(layout.wheel, "w", compression=zipfile.ZIP_DEFLATED) as wheel:
        wheel.writestr("corpus/__init__.py", "")
        wheel.write(layout.shared, layout.wheel_so)
        wheel.write(layout.fatbin, "corpus/kernels/standalone.fatbin")
        wheel.write(layout.cubins["sm_121a"], "corpus/kernels/sm_121a.cubin")
        wheel.writestr("corpus-0.1.dist-info/RECORD", "")
