"""Container builds: base OS image, multi-stage Docker builds, release artifacts.

Modules, by responsibility:

* :mod:`.config` -- pins (versions.toml) and release profiles (ci/profiles.toml), frozen
* :mod:`.engine` -- the container engine protocol and its registry (Docker)
* :mod:`.baseimage` -- debootstrap + import of the base OS image
* :mod:`.plan` -- the build plan (pure; printed by ``--dry-run``)
* :mod:`.execute` -- runs plan steps with progress, logs, timing, cache hits
* :mod:`.release` -- dist/ artifacts: atomic export, SHA256SUMS, verify report
* :mod:`.summary` -- the final rich table
* :mod:`.pins` -- refreshing versions.toml from PyPI
"""
