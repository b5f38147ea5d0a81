"""The plan, its renderings, the manifest, and the `archforge plan` command."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tomllib
from typing import TYPE_CHECKING

import pytest

from archforge.arch import ArchList
from archforge.cli import main
from archforge.cuda import DEFAULT_CUDA, parse_cuda
from archforge.errors import ManifestError
from archforge.manifest import load_manifest, parse_manifest
from archforge.plan import make_plan
from archforge.plan_cmake import render_cmake
from tests.conftest import ROOT

if TYPE_CHECKING:
    from pathlib import Path

MANIFEST = load_manifest()


def plan_of(arch_list: str, cuda: str = "13.0"):  # type: ignore[no-untyped-def]
    return make_plan(MANIFEST, ArchList.parse(arch_list), parse_cuda(cuda))


def test_seed_plan_12_1a_on_13_0() -> None:
    body = plan_of("12.1a").to_dict()
    assert body["schema"] == "archforge.plan/1"
    fams = body["families"]
    assert fams["nvfp4_quant"]["targets"] == ["12.1a"]
    assert fams["nvfp4_quant"]["defines"] == ["ENABLE_NVFP4_SM120"]
    assert fams["fp8_marlin"]["targets"] == ["12.1a"]
    assert fams["activation"]["ptx"] == ["compute_121"]
    assert body["devices"]["12.1"]["families"] == ["activation", "fp8_quant", "nvfp4_quant", "fp8_marlin"]
    assert body["devices"]["12.1"]["missing"] == {}
    assert body["errors"] == []
    assert body["digest"].startswith("sha256:")


def test_seed_plan_mixed_on_12_9() -> None:
    body = plan_of("8.9;9.0a;12.0f;12.1a", "12.9").to_dict()
    fams = body["families"]
    assert fams["nvfp4_quant"]["targets"] == ["12.0a", "12.1a"]
    assert fams["fp8_marlin"]["targets"] == ["8.9", "12.0f", "12.1a"]
    assert fams["fp8_quant"]["targets"] == ["8.9", "9.0a", "12.0f", "12.1a"]
    assert set(body["devices"]["9.0"]["missing"]) == {"nvfp4_quant", "fp8_marlin"}
    assert set(body["devices"]["8.9"]["missing"]) == {"nvfp4_quant"}
    assert body["devices"]["12.1"]["loads"]["nvfp4_quant"] == {"target": "sm_121a", "how": "native"}


@pytest.mark.parametrize("cuda", ["12.9", "13.0"])  # 12.8 has no sm_121 at all (test_cuda_refuses)
@pytest.mark.parametrize("request_", ["12.1a", "12.1f", "12.1"])
def test_every_sm121_request_gets_every_sm12x_family(cuda: str, request_: str) -> None:
    body = plan_of(request_, cuda).to_dict()
    assert body["devices"]["12.1"]["missing"] == {}
    for fam in ("nvfp4_quant", "fp8_marlin", "fp8_quant", "activation"):
        assert fam in body["devices"]["12.1"]["families"]
    assert "sm_121" not in body["families"]["nvfp4_quant"]["sass"]


def test_disabled_families_are_reported() -> None:
    body = plan_of("9.0a").to_dict()
    assert "scaled_mm_fp8" in body["disabled"]
    assert "scaled_mm_fp8" not in body["families"]


def test_release_family_missing_is_an_error(tmp_path: Path) -> None:
    manifest = parse_manifest(
        """
schema = 1
[families.gemm]
sources = ["a.cu"]
release = true
support = [
  { cuda = ">=13.0", targets = ["12.0f"] },
  { cuda = "<13.0", targets = ["12.0a"] },
]
""",
        "test",
    )
    plan = make_plan(manifest, ArchList.parse("12.1a"), parse_cuda("12.9"))
    assert len(plan.errors) == 1
    assert "gemm" in plan.errors[0]
    assert "12.1" in plan.errors[0]
    assert "CUDA 13.0" in plan.errors[0]
    assert not make_plan(manifest, ArchList.parse("12.1a"), parse_cuda("13.0")).errors


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("schema = 2\n[families.a]\nsupport=[{cuda='>=12.8', min='7.5'}]", "schema"),
        ("schema = 1\n[families.a]\nsuport=[{cuda='>=12.8', min='7.5'}]", "did you mean 'support'"),
        ("schema = 1\n[families.a]\nsupport=[{cuda='>=12.8'}]", "exactly one of"),
        ("schema = 1\n[families.a]\nsupport=[{cuda='>=12.8', targets=['12.1x']}]", "12.1x"),
        ("schema = 1\n[families.a]\nsupport=[{cuda='>>12', min='7.5'}]", "invalid cuda range"),
        ("schema = 1\n[families.a", "not valid TOML"),
    ],
)
def test_manifest_errors(text: str, needle: str) -> None:
    with pytest.raises(ManifestError, match=needle):
        parse_manifest(text, "m.toml")


def test_versions_file_agrees_with_default_cuda() -> None:
    pins = tomllib.loads((ROOT / "versions.toml").read_text())
    assert pins["cuda"]["version"] == str(DEFAULT_CUDA)


@pytest.mark.skipif(shutil.which("cmake") is None, reason="cmake not found")
def test_cmake_reads_the_plan(tmp_path: Path) -> None:
    plan = plan_of("8.9+PTX;9.0a;12.0f;12.1a")
    (tmp_path / "plan.cmake").write_text(render_cmake(plan))
    script = tmp_path / "read.cmake"
    script.write_text(
        'include("${CMAKE_CURRENT_LIST_DIR}/plan.cmake")\n'
        "foreach(f IN LISTS ARCHFORGE_PLAN_FAMILIES)\n"
        "  list(LENGTH ARCHFORGE_FAMILY_${f}_GENCODE n)\n"
        '  message("${f}|${n}|${ARCHFORGE_FAMILY_${f}_TARGETS}|${ARCHFORGE_FAMILY_${f}_DEFINES}")\n'
        "endforeach()\n"
        'message("REPORT ${ARCHFORGE_PLAN_REPORT}")\n'
    )
    out = subprocess.run(["cmake", "-P", str(script)], capture_output=True, text=True, check=True).stderr
    lines = {line.split("|")[0]: line.split("|")[1:] for line in out.splitlines() if "|" in line}
    assert lines["nvfp4_quant"] == ["2", "12.0f;12.1a", "ENABLE_NVFP4_SM120"]
    assert lines["activation"] == ["5", "8.9+PTX;9.0a;12.0f;12.1a;compute_121", "ENABLE_ACTIVATION"]
    assert "device 12.1:" in out


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "archforge", *args], capture_output=True, text=True, check=False
    )


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--arch-list", "12.1x"], "'12.1x'"),
        (["--arch-list", "sm121"], "did you mean 12.1"),
        (["--arch-list", "9.0f"], "10.0 on"),
        (["--arch-list", ""], "empty arch list"),
        (["--arch-list", "12.1", "--cuda", "12.8"], "does not accept"),
        (["--arch-list", "12.1", "--cuda", "11.8"], "12.8, 12.9, 13.0"),
        (["--gencode=-arch=native"], "native"),
        (["--arch-list", "9.0", "--manifest", "/nonexistent.toml"], "cannot read manifest"),
    ],
)
def test_cli_bad_input_exits_2_without_traceback(args: list[str], needle: str) -> None:
    proc = _cli("plan", *args)
    assert proc.returncode == 2, proc.stderr
    assert needle in proc.stderr
    assert "Traceback" not in proc.stderr


def test_cli_json_and_atomic_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "plan.json"
    assert main(["plan", "--arch-list", "9.0a;12.1a", "--format", "json", "-o", str(out)]) == 0
    body = json.loads(out.read_text())
    assert body["arch_list"] == "9.0a;12.1a"
    assert [p.name for p in tmp_path.iterdir()] == ["plan.json"]
    assert main(["plan", "--gencode=-gencode arch=compute_121a,code=sm_121a"]) == 0
    text = capsys.readouterr().out
    assert "nvfp4_quant" in text
    assert "sm_121a (native)" in text


def test_cli_takes_env_arch_list(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("TORCH_CUDA_ARCH_LIST", "12.1f")
    assert main(["plan", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["families"]["nvfp4_quant"]["targets"] == ["12.1f"]
    monkeypatch.delenv("TORCH_CUDA_ARCH_LIST")
    assert main(["plan"]) == 2
