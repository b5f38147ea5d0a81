"""Build plans and base-image plans, computed and checked without an engine."""

from __future__ import annotations

import itertools
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from archforge.container.baseimage import ReleaseInfo, parse_release, plan_base_image
from archforge.container.config import (
    PROFILES_FILE,
    VERSIONS_FILE,
    Pins,
    get_profile,
    load_profiles,
)
from archforge.container.engine import DockerEngine
from archforge.container.plan import PLAN_DIGEST_PLACEHOLDER, BuildRequest, image_tag, plan_build
from archforge.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
ENGINE = DockerEngine(executable="/usr/bin/docker")
CA = Path("/etc/ssl/certs/ca-certificates.crt")


def request(profile: str = "default", **kw: object) -> BuildRequest:
    base = BuildRequest(
        root=ROOT,
        pins=Pins.load(ROOT / VERSIONS_FILE),
        profile=get_profile(ROOT / PROFILES_FILE, profile),
        base_image="archforge-base:bookworm-20260711T101637Z",
        version="0.1.0",
        ca_bundle=CA,
        staging=ROOT / "build" / "staging" / profile,
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def args_of(argv: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for flag, value in itertools.pairwise(argv):
        if flag == "--build-arg":
            key, _, val = value.partition("=")
            out[key] = val
    return out


def test_release_plan_stages_and_tag() -> None:
    plan = plan_build(request(), ENGINE)
    assert [s.name for s in plan.steps] == ["toolchain", "wheel", "runtime", "test"]
    assert plan.image_tag == "archforge-kernels:0.1.0-cu130-default"
    wheel = plan.steps[1]
    assert wheel.output_dir is not None
    assert f"type=local,dest={wheel.output_dir}" in wheel.argv
    assert plan.steps[2].image == plan.image_tag
    assert all(("DOCKER_BUILDKIT", "1") in s.env for s in plan.steps)


def test_every_build_passes_the_pins_and_the_ca_as_a_secret_only() -> None:
    pins = Pins.load(ROOT / VERSIONS_FILE)
    for step in plan_build(request(), ENGINE).steps:
        args = args_of(step.argv)
        for key, value in pins.build_args:
            assert args[key] == value
        assert f"id=ca,src={CA}" in step.argv
        assert not any(str(CA) in v for v in args.values()), "the CA must never be a build arg"


def test_profile_knobs_reach_the_build_args() -> None:
    args = args_of(plan_build(request("smoke"), ENGINE).steps[1].argv)
    smoke = load_profiles(ROOT / PROFILES_FILE)["smoke"]
    assert args["TORCH_CUDA_ARCH_LIST"] == smoke.arch_list
    assert args["ARCHFORGE_KERNELS"] == ";".join(smoke.kernels)
    assert args["MAX_JOBS"] == "1"


def test_labels_only_on_labelled_stages_and_digest_filled_later() -> None:
    steps = plan_build(request(), ENGINE).steps
    assert "PLAN_DIGEST" not in args_of(steps[1].argv)
    assert args_of(steps[2].argv)["PLAN_DIGEST"] == PLAN_DIGEST_PLACEHOLDER
    resolved = steps[2].resolve({PLAN_DIGEST_PLACEHOLDER: "sha256:abc"})
    assert args_of(resolved.argv)["PLAN_DIGEST"] == "sha256:abc"


def test_push_adds_tag_and_push_steps() -> None:
    plan = plan_build(request(push_registry="registry.example:5000/"), ENGINE)
    assert [s.name for s in plan.steps][-2:] == ["tag", "push"]
    assert plan.steps[-1].argv[-1] == "registry.example:5000/archforge-kernels:0.1.0-cu130-default"


def test_no_ca_bundle_means_no_secret() -> None:
    for step in plan_build(request(ca_bundle=None), ENGINE).steps:
        assert "--secret" not in step.argv


def test_image_tag_format() -> None:
    assert image_tag(request("smoke")) == "archforge-kernels:0.1.0-cu130-smoke"


def test_default_profile_arch_list() -> None:
    assert get_profile(ROOT / PROFILES_FILE, "default").arch_list == "9.0a;12.0f;12.1a"


def test_unknown_profile_suggests(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="did you mean 'smoke'"):
        get_profile(ROOT / PROFILES_FILE, "smok")


def test_unknown_profile_key_suggests(tmp_path: Path) -> None:
    bad = tmp_path / "p.toml"
    bad.write_text('[x]\narch_lst = "12.0f"\n')
    with pytest.raises(ConfigError, match="did you mean 'arch_list'"):
        load_profiles(bad)


RELEASE = """\
Origin: Debian
Suite: oldstable
Version: 12.15
Codename: bookworm
Date: Sat, 11 Jul 2026 10:16:37 UTC
Valid-Until: Sat, 18 Jul 2026 10:16:37 UTC
MD5Sum:
 0123 456 main/Release
"""


def test_release_date_becomes_the_base_tag(tmp_path: Path) -> None:
    info = parse_release(RELEASE)
    assert info == ReleaseInfo(
        suite="oldstable",
        codename="bookworm",
        version="12.15",
        date="Sat, 11 Jul 2026 10:16:37 UTC",
        stamp="20260711T101637Z",
        created="2026-07-11T10:16:37Z",
    )
    pins = Pins.load(ROOT / VERSIONS_FILE)
    plan = plan_base_image(pins.debian, info, tmp_path, ENGINE)
    assert plan.ref == "archforge-base:bookworm-20260711T101637Z"
    debootstrap = plan.steps[0].argv
    assert debootstrap[0] == "debootstrap"
    assert "--variant=minbase" in debootstrap
    assert "python3-venv" in debootstrap[2]
    assert 'LABEL org.opencontainers.image.created="2026-07-11T10:16:37Z"' in plan.steps[2].argv


def test_release_without_date_is_an_error() -> None:
    with pytest.raises(ConfigError, match="Date"):
        parse_release("Suite: bookworm\n")


@pytest.mark.parametrize("command", ["image", "wheel", "release"])
def test_dry_run_cli_prints_plan_without_engine(command: str) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "archforge",
            command,
            "--profile",
            "smoke",
            "--dry-run",
            "--base-image",
            "example/os:1",
            "--repo",
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/nonexistent", "HOME": "/tmp"},
    )
    assert proc.returncode == 0, proc.stderr
    assert "--target wheel" in proc.stderr
    assert "BASE_IMAGE=example/os:1" in proc.stderr
