"""Errors of archforge_kernels; each message says what to do next."""

from __future__ import annotations


class KernelsError(Exception):
    """Base class of the errors archforge_kernels raises on purpose."""


class UnsupportedConfigError(KernelsError, ValueError):
    """A configuration that cannot run on this device, refused at construction."""


class KernelNotCompiledError(KernelsError, RuntimeError):
    """The op's kernel family is not in this build, or not for this device."""


class ExtensionNotBuiltError(KernelsError, ImportError):
    """The compiled extension or its build info is absent (a source checkout, not a wheel)."""
