"""`archforge matrix plan`: the dry run over ci/matrix.toml."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from archforge.cli import main
from archforge.errors import ConfigError
from archforge.manifest import load_manifest
from archforge.matrix.model import compile_units, entry_plans, load_matrix
from tests.conftest import ROOT

if TYPE_CHECKING:
    from pathlib import Path

MATRIX = ROOT / "ci" / "matrix.toml"


def test_default_matrix_has_spark_entries_and_holds() -> None:
    matrix = load_matrix(MATRIX)
    lists = {str(e.arch_list) for e in matrix.entries}
    assert "12.1a" in lists
    assert any("12.1f" in a for a in lists)
    assert main(["matrix", "plan", "--file", str(MATRIX)]) == 0


def test_units_are_shared_across_entries(capsys: pytest.CaptureFixture[str]) -> None:
    plans = entry_plans(load_matrix(MATRIX), load_manifest())
    units = compile_units(plans)
    by_key = {(u.source.rsplit("/", 1)[-1], u.target): users for u, users in units.items()}
    assert by_key[("nvfp4_quant.cu", "sm_121a")] == ("spark", "release")
    assert by_key[("fp8_quant.cu", "sm_90a")] == ("hopper", "release")
    assert main(["matrix", "plan", "--file", str(MATRIX), "--json"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["unique_units"] == len(units)
    assert body["unit_uses"] > body["unique_units"]


def test_requirement_that_does_not_hold_exits_1(tmp_path: Path) -> None:
    f = tmp_path / "m.toml"
    f.write_text('schema = 1\n[entries.bad]\narch_list = "9.0a"\nrequire = { "9.0" = ["nvfp4_quant"] }\n')
    assert main(["matrix", "plan", "--file", str(f)]) == 1


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ('schema = 1\n[entries.a]\narch_lst = "9.0a"\n', "did you mean 'arch_list'"),
        ('schema = 1\n[entries.a]\narch_list = "9.0x"\n', "'9.0x'"),
        ("schema = 3\n", "schema"),
    ],
)
def test_bad_matrix_files(tmp_path: Path, text: str, needle: str) -> None:
    f = tmp_path / "m.toml"
    f.write_text(text)
    with pytest.raises(ConfigError, match=needle):
        load_matrix(f)


def test_only_unknown_entry() -> None:
    with pytest.raises(ConfigError, match="did you mean 'spark'"):
        load_matrix(MATRIX).select(["sprak"])
