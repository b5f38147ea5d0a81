"""The current GPU's compute capability, with "no GPU" as an ordinary answer.

Family checks compare the major version only (``is_device_capability_family(120)`` is
true on SM 12.0 and SM 12.1 alike): SM12x parts must never be matched by an exact list.
For tests, build a :class:`Platform` with a fixed capability instead of patching.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import total_ordering


@total_ordering
@dataclass(frozen=True)
class DeviceCapability:
    major: int
    minor: int

    @classmethod
    def parse(cls, value: int | str) -> DeviceCapability:
        """From ``121`` / ``"121"`` / ``"12.1"``; the last digit is the minor version."""
        text = str(value)
        if "." in text:
            major, minor = text.split(".", 1)
            return cls(int(major), int(minor))
        number = int(text)
        return cls(number // 10, number % 10)

    def to_int(self) -> int:
        return self.major * 10 + self.minor

    @property
    def family(self) -> int:
        """``major * 10``: 120 for SM 12.0 and SM 12.1, 100 for SM 10.0 and SM 10.3."""
        return self.major * 10

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}"

    def __lt__(self, other: DeviceCapability) -> bool:
        return (self.major, self.minor) < (other.major, other.minor)


CapabilityProbe = Callable[[int], "DeviceCapability | None"]


def torch_probe(device: int) -> DeviceCapability | None:
    """Capability of CUDA device ``device`` through torch; None without torch or a GPU."""
    try:
        import torch
    except ImportError:
        return None
    if not torch.cuda.is_available() or device >= torch.cuda.device_count():
        return None
    major, minor = torch.cuda.get_device_capability(device)
    return DeviceCapability(major, minor)


@dataclass(frozen=True, kw_only=True)
class Platform:
    """Answers device questions for one device index through a probe (injectable)."""

    device: int = 0
    probe: CapabilityProbe = torch_probe

    @classmethod
    def fixed(cls, capability: DeviceCapability | int | str | None) -> Platform:
        """A platform that reports ``capability`` (None: no GPU) without touching CUDA."""
        value = (
            capability
            if capability is None or isinstance(capability, DeviceCapability)
            else (DeviceCapability.parse(capability))
        )
        return cls(probe=lambda _device: value)

    def capability(self) -> DeviceCapability | None:
        return self.probe(self.device)

    def has_gpu(self) -> bool:
        return self.capability() is not None

    def is_device_capability(self, capability: int) -> bool:
        """Exactly this capability, e.g. ``90`` for SM 9.0."""
        current = self.capability()
        return current is not None and current.to_int() == capability

    def is_device_capability_family(self, family: int) -> bool:
        """Same major version: ``120`` covers SM 12.0 and SM 12.1."""
        current = self.capability()
        return current is not None and current.family == family

    def describe(self) -> str:
        current = self.capability()
        return "no CUDA GPU" if current is None else f"SM {current} (device {self.device})"


def get_device_capability(device: int = 0) -> DeviceCapability | None:
    return Platform(device=device).capability()


def is_device_capability(capability: int, device: int = 0) -> bool:
    return Platform(device=device).is_device_capability(capability)


def is_device_capability_family(family: int, device: int = 0) -> bool:
    return Platform(device=device).is_device_capability_family(family)
