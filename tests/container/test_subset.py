"""Kernel subsets: families outside it are disabled in a copy of the manifest."""

from __future__ import annotations

from pathlib import Path

import pytest

from archforge.container.config import load_toml
from archforge.container.subset import parse_kernels, subset_manifest, write_subset
from archforge.errors import ConfigError

MANIFEST = Path(__file__).resolve().parents[2] / "python" / "archforge" / "data" / "kernels.toml"

TEXT = """\
schema = 1

[families.a]
sources = ["a.cu"]

[families.b]
# comment survives
enabled = true
sources = ["b.cu"]

[families.c]
enabled = false
"""


def test_parse_kernels() -> None:
    assert parse_kernels(" a; b,c ;") == ("a", "b", "c")
    assert parse_kernels("") == ()


def test_subset_disables_the_rest_once(tmp_path: Path) -> None:
    out = subset_manifest(TEXT, ("a",), {"a", "b", "c"})
    path = tmp_path / "m.toml"
    path.write_text(out)
    families = load_toml(path)["families"]
    assert families["a"].get("enabled", True) is True
    assert families["b"]["enabled"] is False
    assert families["c"]["enabled"] is False
    assert "# comment survives" in out


def test_unknown_family_is_refused() -> None:
    with pytest.raises(ConfigError, match="nope"):
        subset_manifest(TEXT, ("nope",), {"a", "b", "c"})


def test_real_manifest_subset_is_valid(tmp_path: Path) -> None:
    out = tmp_path / "kernels.toml"
    write_subset(MANIFEST, ("activation",), out)
    families = load_toml(out)["families"]
    assert [n for n, f in families.items() if f.get("enabled", True)] == ["activation"]
