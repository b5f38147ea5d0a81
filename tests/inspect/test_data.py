"""The parser on committed nvcc output: no toolkit needed, cuobjdump checks it where present."""

from __future__ import annotations

import zipfile
from collections import Counter
from pathlib import Path

import pytest

from archforge.inspect import Compression, EntryKind, FileReport, Suffix, inspect_paths
from archforge.inspect.fatbin import ptx_entry_functions
from tests.inspect import tools

DATA = Path(__file__).parent / "data"
BINARIES = ["suffixes.o", "lz4.o", "plain.o", "standalone.fatbin"]


def _one(name: str, *, kernels: bool = False) -> FileReport:
    (report,) = inspect_paths([DATA / name], kernels=kernels)
    return report


@pytest.mark.parametrize(
    ("name", "targets", "compression"),
    [
        ("suffixes.o", ["compute_120f", "sm_120f", "sm_121a", "sm_120a"], Compression.ZSTD),
        ("lz4.o", ["compute_121a", "sm_121", "sm_100f"], Compression.LZ4),
        ("plain.o", ["compute_90", "sm_120"], Compression.NONE),
    ],
)
def test_targets_and_compression(name: str, targets: list[str], compression: Compression) -> None:
    report = _one(name)
    assert sorted(e.target for e in report.entries) == sorted(targets)
    assert {e.compression for e in report.entries} == {compression}
    assert report.format == "elf"
    assert report.machine == "x86_64"
    assert report.fatbins == 1


def test_suffix_comes_from_entry_flags() -> None:
    by_target = {e.target: e for e in _one("suffixes.o").entries}
    assert by_target["sm_120f"].suffix is Suffix.FAMILY
    assert by_target["sm_120f"].flags & 0x200000
    assert by_target["sm_121a"].suffix is Suffix.ARCH
    assert by_target["sm_121a"].flags & 0x100000
    assert by_target["compute_120f"].kind is EntryKind.PTX
    assert by_target["compute_120f"].version == (9, 0)


def test_compressed_entries_declare_their_sizes() -> None:
    for entry in _one("suffixes.o", kernels=True).entries:
        assert entry.stored_size < entry.size  # zstd actually shrank them
        assert entry.kernels is not None
        assert len(entry.kernels) == 4


def test_standalone_fatbin_mixes_compressed_and_plain_entries() -> None:
    report = _one("standalone.fatbin", kernels=True)
    assert report.format == "fatbin"
    assert {(e.target, e.compression) for e in report.entries} >= {("compute_121f", Compression.ZSTD)}
    assert {e.target for e in report.entries} == {"sm_121f", "compute_121f", "sm_89"}


def test_ptx_kernels_are_the_entry_directives() -> None:
    (ptx,) = [e for e in _one("plain.o", kernels=True).entries if e.kind is EntryKind.PTX]
    assert sorted(ptx.kernels or ()) == [
        "_ZN5plain4fillEPff",
        "_ZN5plain5scaleIdEEvPT_S1_i",
        "_ZN5plain5scaleIfEEvPT_S1_i",
        "add_one_plain",
    ]


def test_cubin_on_its_own() -> None:
    report = _one("sm_121a.cubin", kernels=True)
    assert [e.target for e in report.entries] == ["sm_121a"]
    assert report.entries[0].kernels is not None
    assert "add_one_cb" in report.entries[0].kernels


def test_host_machine_is_read_from_the_elf_header(tmp_path: Path) -> None:
    data = bytearray((DATA / "plain.o").read_bytes())
    data[18:20] = (183).to_bytes(2, "little")  # EM_AARCH64
    (tmp_path / "arm.o").write_bytes(bytes(data))
    (report,) = inspect_paths([tmp_path / "arm.o"])
    assert report.machine == "aarch64"


@pytest.mark.parametrize("name", BINARIES)
def test_matches_cuobjdump(name: str, cuobjdump_tool: Path) -> None:
    path = DATA / name
    report = _one(name, kernels=True)
    assert Counter(e.target for e in report.entries) == tools.targets(cuobjdump_tool, path)
    assert Counter(
        (e.target, k) for e in report.entries if e.kind is EntryKind.SASS for k in e.kernels or ()
    ) == tools.kernel_symbols(cuobjdump_tool, path)


def test_large_wheel_members_are_spooled_with_the_same_result(tmp_path: Path) -> None:
    wheel = tmp_path / "w-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as z:
        z.write(DATA / "suffixes.o", "w/a.so")
        z.write(DATA / "standalone.fatbin", "w/b.fatbin")
    in_memory = list(inspect_paths([wheel], kernels=True))
    spooled = list(inspect_paths([wheel], kernels=True, spool_size=0))
    assert spooled == in_memory
    assert [r.path for r in spooled] == ["w/a.so", "w/b.fatbin"]


@pytest.mark.parametrize(
    ("text", "names"),
    [
        (b".visible .entry k1(\n.param .u64 p\n)", ["k1"]),
        (b"  .weak .entry _Z2k2v()\n.entry k3()\n", ["_Z2k2v", "k3"]),
        (b".func (.param .b32 r) helper(\n", []),
        (b"// .entry commented_out(\n", []),
        (b"\t.extern .entry $k4\n", ["$k4"]),
    ],
)
def test_ptx_entry_directives(text: bytes, names: list[str]) -> None:
    assert list(ptx_entry_functions(text)) == names
