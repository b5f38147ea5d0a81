"""Docker tier: real builds with BuildKit. Skipped (with a reason) when no engine answers.

The CA bundle given as the ``ca`` secret must be usable by the RUN that mounts it and
absent from every layer of the result. A negative control proves the scan would see it.
"""

from __future__ import annotations

import base64
import os
import secrets
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

from archforge.cli import main as archforge_main
from archforge.container.baseimage import BASE_REPO
from archforge.container.config import DOCKERFILE, VERSIONS_FILE, Pins, project_version
from archforge.container.engine import DockerEngine
from archforge.container.leaks import distinctive_needles, scan_image
from archforge.runner import Runner

pytestmark = [pytest.mark.docker, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
HOST_CA = Path(os.environ.get("ARCHFORGE_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt"))

PROBE_STAGES = """
FROM os AS probe
# The secret is there, and with-ca points pip/ssl at it, for this RUN only.
RUN --mount=type=secret,id=ca with-ca sh -c \\
    'test -s /run/secrets/ca && test "$PIP_CERT" = /run/secrets/ca \\
     && test "$SSL_CERT_FILE" = /run/secrets/ca && wc -c < /run/secrets/ca > /secret-size'
RUN test ! -e /run/secrets/ca && test -s /secret-size

FROM os AS leaky
RUN --mount=type=secret,id=ca cp /run/secrets/ca /leaked
"""


@pytest.fixture(scope="module")
def engine() -> DockerEngine:
    return DockerEngine()


@pytest.fixture(scope="module")
def runner() -> Runner:
    return Runner(echo=lambda _: None)


@pytest.fixture(scope="module")
def base_image(engine: DockerEngine, runner: Runner) -> str:
    """The debootstrapped base (reused when present, built otherwise: about a minute)."""
    have = runner.run(
        [engine.executable, "images", "-q", f"{BASE_REPO}:bookworm"], mode="capture", quiet=True
    ).output.strip()
    if not have and shutil.which("debootstrap") is None:
        pytest.skip("no archforge-base image and no debootstrap to build one")
    if not have:
        assert archforge_main(["base-image", "--repo", str(ROOT)]) == 0
    return f"{BASE_REPO}:bookworm"


@pytest.fixture(scope="module")
def secret_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The host CA bundle plus a random fake certificate: a needle on any machine."""
    fake = base64.encodebytes(b"\x30\x82" + secrets.token_bytes(700)).decode()
    text = HOST_CA.read_text() if HOST_CA.is_file() else ""
    path = tmp_path_factory.mktemp("ca") / "bundle.crt"
    path.write_text(f"{text}\n-----BEGIN CERTIFICATE-----\n{fake}-----END CERTIFICATE-----\n")
    return path


def build(engine: DockerEngine, runner: Runner, base: str, secret: Path, target: str, tmp: Path) -> str:
    dockerfile = tmp / "Dockerfile"
    dockerfile.write_text((ROOT / DOCKERFILE).read_text() + textwrap.dedent(PROBE_STAGES))
    shutil.copy(ROOT / "docker" / "Dockerfile.dockerignore", tmp / "Dockerfile.dockerignore")
    tag = f"archforge-test-{target}:latest"
    runner.run(
        [
            engine.executable,
            "build",
            "--progress=plain",
            "-f",
            str(dockerfile),
            "--target",
            target,
            "--build-arg",
            f"BASE_IMAGE={base}",
            "--secret",
            f"id=ca,src={secret}",
            "-t",
            tag,
            str(ROOT),
        ],
        env=engine.env(),
        mode="capture",
    )
    return tag


def shipped_bundle(engine: DockerEngine, runner: Runner, tag: str) -> bytes:
    proc = subprocess.run(
        [engine.executable, "run", "--rm", "--entrypoint", "cat", tag, "/etc/ssl/certs/ca-certificates.crt"],
        capture_output=True,
        check=False,
    )
    return proc.stdout if proc.returncode == 0 else b""


def test_ca_secret_is_used_but_never_lands_in_a_layer(
    engine: DockerEngine, runner: Runner, base_image: str, secret_bundle: Path, tmp_path: Path
) -> None:
    tag = build(engine, runner, base_image, secret_bundle, "probe", tmp_path)
    size = runner.run(
        [engine.executable, "run", "--rm", tag, "cat", "/secret-size"], mode="capture", quiet=True
    )
    assert int(size.output.strip()) == secret_bundle.stat().st_size
    needles = distinctive_needles(secret_bundle.read_bytes(), shipped_bundle(engine, runner, tag))
    assert needles, "nothing distinctive to search for"
    assert scan_image(engine, runner, tag, needles) == []


def test_negative_control_a_copied_secret_is_found(
    engine: DockerEngine, runner: Runner, base_image: str, secret_bundle: Path, tmp_path: Path
) -> None:
    tag = build(engine, runner, base_image, secret_bundle, "leaky", tmp_path)
    needles = distinctive_needles(secret_bundle.read_bytes(), shipped_bundle(engine, runner, tag))
    findings = scan_image(engine, runner, tag, needles)
    assert findings
    assert all(f.member.endswith("layer.tar") for f in findings)


def release_image() -> str | None:
    """The image to audit: ARCHFORGE_TEST_IMAGE, or the tag of ARCHFORGE_TEST_PROFILE's release."""
    if "ARCHFORGE_TEST_IMAGE" in os.environ:
        return os.environ["ARCHFORGE_TEST_IMAGE"]
    profile = os.environ.get("ARCHFORGE_TEST_PROFILE")
    if not profile:
        return None
    pins = Pins.load(ROOT / VERSIONS_FILE)
    return f"archforge-kernels:{project_version(ROOT)}-{pins.cuda_tag}-{profile}"


@pytest.mark.skipif(
    release_image() is None,
    reason="set ARCHFORGE_TEST_PROFILE (or ARCHFORGE_TEST_IMAGE) to audit a release image",
)
def test_release_image_labels_user_and_no_ca(engine: DockerEngine, runner: Runner) -> None:
    tag = release_image()
    assert tag is not None
    labels = engine.labels(runner, tag)
    for key in (
        "org.opencontainers.image.version",
        "org.opencontainers.image.created",
        "org.opencontainers.image.revision",
        "io.archforge.arch-list",
        "io.archforge.cuda",
        "io.archforge.torch",
        "io.archforge.cutlass",
        "io.archforge.flashinfer",
        "io.archforge.plan-digest",
    ):
        assert labels.get(key), f"label {key} missing or empty on {tag}"
    assert labels["io.archforge.plan-digest"].startswith("sha256:")
    user = runner.run([engine.executable, "run", "--rm", tag, "id", "-u"], mode="capture", quiet=True)
    assert user.output.strip() != "0"
    needles = distinctive_needles(HOST_CA.read_bytes(), shipped_bundle(engine, runner, tag))
    if not needles:
        pytest.skip(f"{HOST_CA} holds only certificates the image ships itself; nothing distinctive")
    assert scan_image(engine, runner, tag, needles) == []
