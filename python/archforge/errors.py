"""The one error hierarchy of archforge.

Library code raises these and never exits; only :func:`archforge.cli.main` catches
them, prints the message and exits with the class's ``exit_code``.

Exit codes (documented in the README):

* 0 -- success
* 1 -- a check ran and did not hold (verify found a missing kernel, a smoke test failed)
* 2 -- bad input: an arch list, a flag, a file that is not what it claims to be
* 3 -- a required external tool is missing or failed (nvcc, docker, cmake)
* 4 -- a build step failed
"""

from __future__ import annotations


class ArchforgeError(Exception):
    """Base class: every error archforge raises on purpose."""

    exit_code: int = 2


class ConfigError(ArchforgeError):
    """Bad input: configuration, arguments, data files."""

    exit_code = 2


class ArchError(ConfigError):
    """An arch list, nvcc flag or target name that cannot be parsed or is not valid."""


class ManifestError(ConfigError):
    """The kernel manifest or the versions file is malformed."""


class InspectError(ConfigError):
    """A file given to the inspector is unreadable, truncated or malformed."""


class CheckFailed(ArchforgeError):
    """A check ran to completion and found that what was expected does not hold."""

    exit_code = 1


class ToolError(ArchforgeError):
    """An external program is missing or exited non-zero."""

    exit_code = 3


class BuildError(ArchforgeError):
    """A build stage failed."""

    exit_code = 4
