from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.inspect import corpus as corpus_mod
from tests.inspect.tools import CACHE, find_cuobjdump, find_nvcc

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture(scope="session")
def nvcc() -> Path:
    found = find_nvcc()
    if found is None:
        pytest.skip("nvcc not found (set CUDA_HOME)")
    return found


@pytest.fixture(scope="session")
def cuobjdump_tool() -> Path:
    found = find_cuobjdump()
    if found is None:
        pytest.skip("cuobjdump not found (pip install nvidia-cuda-cuobjdump)")
    return found


@pytest.fixture(scope="session")
def corpus(nvcc: Path) -> corpus_mod.Corpus:
    return corpus_mod.build(nvcc, CACHE)
