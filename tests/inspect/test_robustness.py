"""Hostile inputs produce InspectError with a message, never another exception."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archforge.errors import InspectError
from archforge.inspect import inspect_bytes
from tests.inspect.mutate import seeds

SEEDS = seeds()


def _error(data: bytes, name: str, *, kernels: bool) -> str | None:
    """The InspectError message for ``data``, None when it parses; any other exception propagates."""
    try:
        inspect_bytes(data, name, kernels=kernels)
    except InspectError as exc:
        return str(exc)
    return None


@settings(max_examples=300, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(sorted(SEEDS)), seed=st.integers(0, 2**32 - 1), kernels=st.booleans())
def test_mutated_inputs_raise_only_inspect_error(name: str, seed: int, kernels: bool) -> None:
    from tests.inspect.mutate import mutate

    data = mutate(SEEDS[name], random.Random(seed))
    message = _error(data, name, kernels=kernels)
    assert message is None or message.strip()


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_every_truncation_is_an_inspect_error_or_a_shorter_report(name: str) -> None:
    data = SEEDS[name]
    step = max(1, len(data) // 150)
    for end in range(0, len(data), step):
        message = _error(data[:end], name, kernels=True)
        assert message is None or name in message


def test_forged_entry_size_cannot_force_a_big_allocation() -> None:
    data = bytearray(SEEDS["suffixes.o"])
    fatbin = data.find(b"\x50\xed\x55\xba")
    entry = fatbin + 16
    # uncompressed size field (offset 56 of the entry header) claims 1 TiB.
    data[entry + 56 : entry + 64] = (1 << 40).to_bytes(8, "little")
    with pytest.raises(InspectError, match="declares"):
        inspect_bytes(bytes(data), "forged.o", kernels=True)
