"""Executor pieces that need no engine: BuildKit log parsing, publishing into dist/."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from archforge.container.execute import BuildKitStats
from archforge.container.release import Products, publish, read_products, sha256_file, verified_per_device
from archforge.errors import BuildError

if TYPE_CHECKING:
    from pathlib import Path

LOG = """\
#4 [os 1/3] FROM docker.io/library/archforge-base:bookworm
#4 DONE 0.0s
#6 [os 2/3] COPY docker/with-ca /usr/local/bin/with-ca
#6 CACHED
#7 [os 3/3] RUN python3 -m venv /opt/venv
#7 CACHED
#9 [toolchain 1/4] RUN with-ca pip install -q cmake
#9 0.512 Collecting cmake
#9 DONE 5.3s
"""


def test_buildkit_stats_count_steps_and_cache_hits() -> None:
    stats = BuildKitStats.from_lines(LOG.splitlines())
    assert stats.steps == {"6", "7", "9"}
    assert stats.cached == {"6", "7"}


def staged(tmp_path: Path) -> Path:
    staging = tmp_path / "staging"
    staging.mkdir()
    (staging / "archforge_kernels-0.1.0-py3-none-linux_x86_64.whl").write_bytes(b"wheel")
    (staging / "plan.json").write_text(json.dumps({"digest": "sha256:abc"}))
    (staging / "verify.json").write_text(
        json.dumps(
            {
                "ok": True,
                "devices": ["12.0", "12.1"],
                "kernels": [
                    {"loads": {"12.0": {"how": "native"}, "12.1": {"how": "family"}}},
                    {"loads": {"12.0": {"how": None, "target": None}, "12.1": {"how": "native"}}},
                ],
            }
        )
    )
    return staging


def test_publish_moves_whole_files_and_writes_checksums(tmp_path: Path) -> None:
    products = read_products(staged(tmp_path))
    assert products.plan_digest == "sha256:abc"
    dist = tmp_path / "dist"
    published = publish(products, dist, prefix="0.1.0-cu130-x", checksums=True)
    names = sorted(p.name for p in dist.iterdir())
    assert names == [
        "0.1.0-cu130-x.plan.json",
        "0.1.0-cu130-x.verify.json",
        "SHA256SUMS",
        "archforge_kernels-0.1.0-py3-none-linux_x86_64.whl",
    ]
    sums = (dist / "SHA256SUMS").read_text().splitlines()
    assert f"{sha256_file(published[0])}  {published[0].name}" in sums
    assert not list(dist.glob(".*"))


def test_two_wheels_are_an_error(tmp_path: Path) -> None:
    staging = staged(tmp_path)
    (staging / "other-1.0-py3-none-any.whl").write_bytes(b"")
    with pytest.raises(BuildError, match="2 wheels"):
        read_products(staging)


def test_nothing_exported_publishes_nothing(tmp_path: Path) -> None:
    empty = Products(wheel=None, plan=None, verify=None, plan_digest="")
    assert publish(empty, tmp_path / "dist", prefix="x", checksums=True) == []
    assert not (tmp_path / "dist" / "SHA256SUMS").exists()


def test_verified_per_device(tmp_path: Path) -> None:
    staging = staged(tmp_path)
    got = verified_per_device(staging / "verify.json")
    assert got == {
        "sm_120": "1/2 kernels (native 1)",
        "sm_121": "2/2 kernels (family 1, native 1)",
        "verify": "OK",
    }
