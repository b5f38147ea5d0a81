"""The inspector: which CUDA targets and kernels do wheels, shared objects, fatbins and
cubins carry? Pure Python; no CUDA toolkit needed."""

from __future__ import annotations

from archforge.inspect.model import Compression, Entry, EntryKind, FileReport, Suffix
from archforge.inspect.sources import inspect_bytes, inspect_paths

__all__ = ["Compression", "Entry", "EntryKind", "FileReport", "Suffix", "inspect_bytes", "inspect_paths"]
