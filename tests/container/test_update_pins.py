"""update-pins: policies and the comment-preserving edit of versions.toml."""

from __future__ import annotations

from typing import TYPE_CHECKING

from archforge.container.config import load_toml
from archforge.container.pins import apply_updates, plan_updates

if TYPE_CHECKING:
    from pathlib import Path

TEXT = """\
[cuda]
version = "13.0"  # the toolkit series

[cuda.wheels]
# pinned together
nvidia-cuda-nvcc = "13.0.48"
nvidia-nvvm = "13.0.88"
nvidia-cuda-crt = "13.0.88"
nvidia-cuda-runtime = "13.0.96"
nvidia-cuda-cccl = "13.0.85"

[build_tools]
cmake = "4.0.0"
ninja = "1.13.2"
scikit-build-core = "1.1.2"

[torch]
version = "2.11.0"

[flashinfer]
version = "0.6.8"
"""

PYPI = {
    "nvidia-cuda-nvcc": ["13.0.48", "13.0.88", "13.1.0", "13.0.99rc1"],
    "nvidia-nvvm": ["13.0.88"],
    "nvidia-cuda-crt": ["13.0.88"],
    "nvidia-cuda-runtime": ["13.0.96", "13.0.10"],
    "nvidia-cuda-cccl": ["13.0.85"],
    "cmake": ["4.0.0", "4.4.4"],
    "ninja": ["1.13.2"],
    "scikit-build-core": ["1.1.2"],
    "torch": ["2.11.0", "2.15.0"],
    "flashinfer-python": ["0.6.8", "0.7.2.post1"],
}


def test_policies_and_edit_keep_comments(tmp_path: Path) -> None:
    path = tmp_path / "versions.toml"
    path.write_text(TEXT)
    updates = {".".join((*u.rule.table, u.rule.key)): u for u in plan_updates(path, fetch=PYPI.__getitem__)}
    assert updates["cuda.wheels.nvidia-cuda-nvcc"].newest == "13.0.88"  # stays in 13.0, skips the rc
    assert updates["build_tools.cmake"].newest == "4.4.4"
    assert not updates["torch.version"].changes  # held
    assert updates["torch.version"].newest_any == "2.15.0"
    assert not updates["cuda.wheels.nvidia-cuda-runtime"].changes
    text = apply_updates(TEXT, updates.values())
    path.write_text(text)
    data = load_toml(path)
    assert data["cuda"]["wheels"]["nvidia-cuda-nvcc"] == "13.0.88"
    assert data["build_tools"]["cmake"] == "4.4.4"
    assert data["torch"]["version"] == "2.11.0"
    assert "# pinned together" in text
    assert "# the toolkit series" in text
