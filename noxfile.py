"""Sessions of archforge: `nox -l` lists them. The README's two commands are
`nox -s release` (main job) and `nox -s tests` (test suite)."""

from __future__ import annotations

import shutil

import nox

nox.needs_version = ">=2024.3.2"
nox.options.default_venv_backend = "venv"
nox.options.sessions = ["tests"]
nox.options.reuse_existing_virtualenvs = True

PYTHON = "3.11"
# CPU torch for the pure-torch reference implementations; the kernels themselves are
# built against torch 2.11.0 (versions.toml) inside their own build environment.
TEST_TORCH = "torch==2.13.0"


def _install_archforge(session: nox.Session, *extras: str) -> None:
    spec = f".[{','.join(extras)}]" if extras else "."
    session.install("-e", spec)


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Run the test suite (unit, nvcc compile, CMake and, where an engine runs, Docker tests)."""
    _install_archforge(session, "test")
    session.install(TEST_TORCH, "nvidia-cuda-cuobjdump")
    session.run("pytest", "--durations=15", *session.posargs)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """Run ruff and mypy (strict) over the Python sources."""
    _install_archforge(session, "lint")
    session.run("ruff", "check", "python", "tests", "noxfile.py")
    session.run("ruff", "format", "--check", "python", "tests", "noxfile.py")
    session.run("mypy")


@nox.session(python=PYTHON)
def plan(session: nox.Session) -> None:
    """Print the build plan: `nox -s plan -- --arch-list '9.0a;12.0f;12.1a' [--cuda 12.9]`."""
    _install_archforge(session)
    session.run("archforge", "plan", *(session.posargs or ["--arch-list", "9.0a;12.0f;12.1a"]))


def _docker_setup(session: nox.Session) -> None:
    # The README's main command does its own set-up: a Docker engine (installed and
    # started when none runs; quiet otherwise) and debootstrap for the base image.
    session.run("bash", "ci/docker-engine.sh", external=True)
    if shutil.which("debootstrap") is None:
        session.run(
            "apt-get", "install", "-y", "-qq", "--no-install-recommends", "debootstrap", external=True
        )


def _archforge_command(session: nox.Session, command: str) -> None:
    _install_archforge(session)
    _docker_setup(session)
    session.run("archforge", command, *session.posargs)


@nox.session(python=PYTHON)
def release(session: nox.Session) -> None:
    """Build the default release: runtime image, wheel, verify report and checksums."""
    _archforge_command(session, "release")


@nox.session(python=PYTHON, name="base_image")
def base_image(session: nox.Session) -> None:
    """Build (or reuse) the local Debian base image."""
    _archforge_command(session, "base-image")


@nox.session(python=PYTHON)
def image(session: nox.Session) -> None:
    """Build the runtime image for an arch list: `nox -s image -- --arch-list 12.1a`."""
    _archforge_command(session, "image")


@nox.session(python=PYTHON)
def wheel(session: nox.Session) -> None:
    """Build archforge-kernels in Docker and export the wheel to dist/."""
    _archforge_command(session, "wheel")


@nox.session(python=PYTHON, name="docker_smoke")
def docker_smoke(session: nox.Session) -> None:
    """CI's Docker path: smoke-profile release from a cold machine, then the docker test tier."""
    _install_archforge(session, "test")
    _docker_setup(session)
    session.run("bash", "ci/docker-smoke.sh", env={"PYTHON": "python"}, external=True)


@nox.session(python=PYTHON, name="update_pins", default=False, tags=["maintenance"])
def update_pins(session: nox.Session) -> None:
    """Refresh versions.toml (and the Dockerfile ARG defaults) from PyPI."""
    _install_archforge(session)
    session.run("archforge", "update-pins", *session.posargs)
