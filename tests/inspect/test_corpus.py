"""The inspector against real nvcc output, checked with NVIDIA's cuobjdump."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from archforge.inspect import EntryKind, FileReport, inspect_paths
from tests.inspect import tools
from tests.inspect.corpus import CUBIN_ARCHES, RDC, RECIPES, Corpus, Recipe

pytestmark = pytest.mark.nvcc


def _one(path: Path, *, kernels: bool = False) -> FileReport:
    (report,) = inspect_paths([path], kernels=kernels)
    return report


def _binaries(corpus: Corpus) -> list[Path]:
    return corpus.all_binaries()


def test_targets_match_cuobjdump_headers(corpus: Corpus, cuobjdump_tool: Path) -> None:
    for path in _binaries(corpus):
        ours = Counter(e.target for e in _one(path).entries)
        assert ours == tools.targets(cuobjdump_tool, path), path.name


def test_entry_counts_match_list_elf_and_list_ptx(corpus: Corpus, cuobjdump_tool: Path) -> None:
    for path in _binaries(corpus):
        entries = _one(path).entries
        ours = (
            sum(e.kind is EntryKind.SASS for e in entries),
            sum(e.kind is EntryKind.PTX for e in entries),
        )
        assert ours == tools.counts(cuobjdump_tool, path), path.name


def test_list_elf_hides_the_family_suffix_that_we_report(corpus: Corpus, cuobjdump_tool: Path) -> None:
    # The measured reason the inspector reads entry flags: --list-elf prints sm_120f as
    # sm_120 but keeps sm_121a. If NVIDIA changes this, the docs need updating.
    path = corpus.objects["suffixes"]
    assert sorted(tools.listed_elf_arches(cuobjdump_tool, path)) == ["sm_120", "sm_120a", "sm_121a"]
    assert sorted(e.target for e in _one(path).entries if e.kind is EntryKind.SASS) == [
        "sm_120a",
        "sm_120f",
        "sm_121a",
    ]


def test_kernel_names_match_cuobjdump_symbols(corpus: Corpus, cuobjdump_tool: Path) -> None:
    for path in _binaries(corpus):
        report = _one(path, kernels=True)
        ours = Counter(
            (e.target, name) for e in report.entries if e.kind is EntryKind.SASS for name in e.kernels or ()
        )
        assert ours == tools.kernel_symbols(cuobjdump_tool, path), path.name


def test_device_functions_are_not_kernels(corpus: Corpus) -> None:
    report = _one(corpus.objects["plain"], kernels=True)
    for entry in report.entries:
        assert entry.kernels is not None
        assert sorted(entry.kernels) == [
            "_ZN5plain4fillEPff",
            "_ZN5plain5scaleIdEEvPT_S1_i",
            "_ZN5plain5scaleIfEEvPT_S1_i",
            "add_one_plain",
        ], entry.target


@pytest.mark.parametrize("recipe", RECIPES, ids=lambda r: r.name)
def test_each_object_has_its_targets_and_compression(corpus: Corpus, recipe: Recipe) -> None:
    report = _one(corpus.objects[recipe.name])
    assert sorted(e.target for e in report.entries) == sorted(recipe.targets)
    assert {e.compression.value for e in report.entries} == {recipe.compression}
    assert report.machine == "x86_64"


def test_shared_library_carries_every_object_as_its_own_fatbin(corpus: Corpus) -> None:
    report = _one(corpus.shared, kernels=True)
    # One fatbin per object, plus the one the CUDA runtime links in.
    assert report.fatbins == len(RECIPES) + 1
    ours = {e.target for e in report.entries}
    assert ours >= {t for r in RECIPES for t in r.targets}
    ptx_isa = {e.version for e in report.entries if e.kind is EntryKind.PTX}
    assert ptx_isa == {(9, 0)}  # CUDA 13.0 writes PTX ISA 9.0


def test_standalone_cubins_report_their_suffix(corpus: Corpus) -> None:
    for arch in CUBIN_ARCHES:
        report = _one(corpus.cubins[arch], kernels=True)
        assert report.format == "cubin"
        assert [e.target for e in report.entries] == [arch]
        assert report.entries[0].kernels is not None
        assert len(report.entries[0].kernels) == 4


def test_wheel_members_are_read_in_place(corpus: Corpus) -> None:
    members = {r.path: r for r in inspect_paths([corpus.wheel], kernels=True)}
    assert set(members) == {
        corpus.wheel_so,
        "corpus/kernels/standalone.fatbin",
        "corpus/kernels/sm_121a.cubin",
    }
    so = members[corpus.wheel_so]
    assert so.container == str(corpus.wheel)
    assert so.entries == _one(corpus.shared, kernels=True).entries


def test_directories_are_walked(corpus: Corpus) -> None:
    paths = {Path(r.display_path).name for r in inspect_paths([corpus.root])}
    # The wheel's members are reported as well as the files on disk; k.cu is skipped.
    assert {"libcorpus.so", "plain.o", "standalone.fatbin", "sm_90.cubin"} <= paths
    assert "k.cu" not in paths


def test_relocatable_fatbins_count_only_in_object_files(corpus: Corpus) -> None:
    obj = _one(corpus.rdc_object, kernels=True)
    assert sorted(e.target for e in obj.entries) == sorted(RDC.targets)
    # The linked library still carries __nv_relfatbin, but only the device-linked
    # .nv_fatbin loads: SASS for sm_121a, and no PTX.
    linked = _one(corpus.rdc_shared, kernels=True)
    assert [e.target for e in linked.entries] == ["sm_121a"]
    assert linked.entries[0].kernels is not None
    assert len(linked.entries[0].kernels) == 4
