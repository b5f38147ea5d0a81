"""``archforge inspect`` and ``archforge verify`` end to end, on committed nvcc output."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from archforge.cli import main

DATA = Path(__file__).parent / "data"
SUFFIXES = str(DATA / "suffixes.o")  # sm_120f, sm_121a, sm_120a, compute_120f
LZ4 = str(DATA / "lz4.o")  # sm_121, sm_100f, compute_121a
PLAIN = str(DATA / "plain.o")  # sm_120, compute_90


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any]:
    code = main(list(argv))
    return code, json.loads(capsys.readouterr().out)


def test_inspect_json_schema(capsys: pytest.CaptureFixture[str]) -> None:
    code, doc = _json(capsys, "inspect", SUFFIXES, "--json")
    assert code == 0
    assert doc["schema"] == "archforge.inspect/1"
    (f,) = doc["files"]
    assert f["path"] == SUFFIXES
    assert f["container"] is None
    assert {(e["kind"], e["target"], e["compression"]) for e in f["entries"]} == {
        ("sass", "sm_120f", "zstd"),
        ("sass", "sm_121a", "zstd"),
        ("sass", "sm_120a", "zstd"),
        ("ptx", "compute_120f", "zstd"),
    }
    assert "kernels" not in f


def test_inspect_json_kernels(capsys: pytest.CaptureFixture[str]) -> None:
    code, doc = _json(capsys, "inspect", LZ4, "--json", "--kernels")
    assert code == 0
    kernels = {k["name"]: k["targets"] for k in doc["files"][0]["kernels"]}
    assert kernels == {
        "add_one_lz4": ["sm_100f", "sm_121", "compute_121a"],
        "lz4::fill(float*, float)": ["sm_100f", "sm_121", "compute_121a"],
        "void lz4::scale<double>(double*, double, int)": ["sm_100f", "sm_121", "compute_121a"],
        "void lz4::scale<float>(float*, float, int)": ["sm_100f", "sm_121", "compute_121a"],
    }


def test_inspect_wheel_member_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import zipfile

    wheel = tmp_path / "demo-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as z:
        z.write(SUFFIXES, "demo/_C.so")
        z.writestr("demo/__init__.py", "x = 1\n" * 10)
    _, doc = _json(capsys, "inspect", str(wheel), "--json")
    (f,) = doc["files"]
    assert f["path"] == "demo/_C.so"
    assert f["container"] == str(wheel)
    assert "sm_121a" in f["targets"]


def test_inspect_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect", PLAIN, "--kernels"]) == 0
    out = capsys.readouterr().out
    assert "sm_120" in out
    assert "compute_90" in out
    assert "plain::fill(float*, float)" in out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"not a binary at all, just text", "not a wheel, ELF, fatbin or cubin"),
        (b"PK\x03\x04garbage garbage garbage", "zip"),
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 40, "ELF"),
        (b"\x50\xed\x55\xba\x01\x00\x10\x00" + b"\xff" * 8, "fatbin"),
    ],
)
def test_bad_input_exits_2_with_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, message: str
) -> None:
    bad = tmp_path / "bad.bin"
    bad.write_bytes(content)
    assert main(["inspect", str(bad)]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_missing_path_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect", "/nonexistent/x.whl"]) == 2
    assert "no such file" in capsys.readouterr().err


def _last_line(capsys: pytest.CaptureFixture[str]) -> str:
    return capsys.readouterr().out.strip().splitlines()[-1]


@pytest.mark.parametrize(
    ("path", "device", "code", "summary"),
    [
        (SUFFIXES, "12.1", 0, "archforge verify: OK 4 kernels, devices 12.1: 4 loadable"),
        (LZ4, "12.1", 0, "archforge verify: OK 4 kernels, devices 12.1: 4 loadable"),
        (PLAIN, "12.1", 0, "archforge verify: OK 4 kernels, devices 12.1: 4 loadable"),
        (PLAIN, "8.9", 1, "archforge verify: FAIL 4 problems; 4 kernels, devices 8.9: 0 loadable"),
        (LZ4, "10.3", 0, "archforge verify: OK 4 kernels, devices 10.3: 4 loadable"),
    ],
)
def test_verify_device(
    capsys: pytest.CaptureFixture[str], path: str, device: str, code: int, summary: str
) -> None:
    assert main(["verify", path, "--device", device]) == code
    assert _last_line(capsys) == summary


def test_verify_says_how_each_kernel_loads(capsys: pytest.CaptureFixture[str]) -> None:
    code, doc = _json(capsys, "verify", SUFFIXES, PLAIN, "--device", "12.1", "--device", "12.0", "--json")
    assert code == 0
    assert doc["schema"] == "archforge.verify/1"
    loads = {
        (k["name"], dev): (v["target"], v["how"]) for k in doc["kernels"] for dev, v in k["loads"].items()
    }
    assert loads["add_one_suffixes", "12.1"] == ("sm_121a", "native")
    assert loads["add_one_suffixes", "12.0"] == ("sm_120a", "native")
    assert loads["add_one_plain", "12.1"] == ("sm_120", "binary-compatible")
    assert loads["add_one_plain", "12.0"] == ("sm_120", "native")


def test_verify_arch_specific_elsewhere_will_not_load(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Only sm_120a (and PTX for 12.0a) would not load on 12.1; we have sm_121a too, so
    # ask about a device the suffixes object cannot serve: 10.0.
    code, doc = _json(capsys, "verify", SUFFIXES, "--device", "10.0", "--json")
    assert code == 1
    assert not doc["ok"]
    assert all(k["loads"]["10.0"]["how"] is None for k in doc["kernels"])
    assert any("arch-specific" in k["loads"]["10.0"]["why"] for k in doc["kernels"])


def test_verify_require_target(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", SUFFIXES, "--require-target", "12.1a"]) == 0
    capsys.readouterr()
    assert main(["verify", LZ4, "--device", "12.1", "--require-target", "12.1a"]) == 1
    out = capsys.readouterr().out
    assert "add_one_lz4" in out
    assert "lacks required target sm_121a" in out


def _plan(tmp_path: Path, families: dict[str, Any], devices: tuple[str, ...] = ("12.1",)) -> str:
    plan = {
        "schema": "archforge.plan/1",
        "cuda": "13.0",
        "families": families,
        "devices": {d: {"families": list(families), "missing": {}} for d in devices},
    }
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan))
    return str(path)


def test_verify_expect_plan_holds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = _plan(
        tmp_path,
        {
            "sfx": {
                "targets": ["12.0f", "12.1a", "12.0a"],
                "sass": ["sm_120f", "sm_121a", "sm_120a"],
                "ptx": ["compute_120f"],
                "kernels": ["add_one_suffixes", "_ZN8suffixes"],
            },
        },
    )
    assert main(["verify", SUFFIXES, "--expect", plan]) == 0
    assert _last_line(capsys) == "archforge verify: OK 4 kernels, devices 12.1: 4 loadable"


def test_verify_expect_names_family_kernel_and_target(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = _plan(
        tmp_path,
        {
            "lz": {"sass": ["sm_121", "sm_100f", "sm_121a"], "ptx": [], "kernels": ["add_one_lz4"]},
            "pl": {"sass": ["sm_120"], "ptx": ["compute_90"]},
        },
    )
    report = tmp_path / "out" / "report.json"
    assert main(["verify", LZ4, PLAIN, "--expect", plan, "--report", str(report)]) == 1
    out = capsys.readouterr().out
    assert "family lz: planned target sm_121a is in none of its" in out
    assert "target compute_121a is planned for no family" in out
    doc = json.loads(report.read_text())
    assert doc["ok"] is False
    assert doc["summary"].startswith("archforge verify: FAIL")
    assert not list(report.parent.glob(".*.tmp"))


def test_verify_expect_missing_target_without_kernel_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = _plan(tmp_path, {"pl": {"sass": ["sm_120", "sm_121a"], "ptx": ["compute_90"]}})
    assert main(["verify", PLAIN, "--expect", plan]) == 1
    assert "family pl: planned target sm_121a is in no inspected file" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--device", "twelve"], "invalid compute capability"),
        (["--require-target", "sm_12x"], "invalid target"),
        (["--expect", "/nonexistent/plan.json"], "cannot read plan"),
    ],
)
def test_verify_bad_input_exits_2(capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    assert main(["verify", PLAIN, *argv]) == 2
    assert message in capsys.readouterr().err


def test_verify_rejects_a_non_plan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "plan.json"
    bad.write_text('{"schema": "something/else"}')
    assert main(["verify", PLAIN, "--expect", str(bad)]) == 2
    assert "archforge.plan/1" in capsys.readouterr().err


def test_verify_fails_when_there_are_no_kernels(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "pkg"
    empty.mkdir()
    (empty / "readme.txt").write_text("nothing here")
    assert main(["verify", str(empty), "--device", "12.1"]) == 1
    assert "no CUDA kernels found" in capsys.readouterr().out
