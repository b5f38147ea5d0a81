#!/usr/bin/env bash
# CI's Docker path, end to end, with the "smoke" profile of ci/profiles.toml
# (one arch, a small kernel subset): engine, base image, toolchain, kernel build +
# verify, runtime image, in-image tests, then the docker test tier, which also
# audits the fresh runtime image (labels, non-root, no CA bundle in any layer).
#
# Usage: ci/docker-smoke.sh            (from the repository root, as root)
#   PYTHON      interpreter with archforge installed (default: .venv/bin/python, else python3)
#   SMOKE_DIST  where the smoke release's files go (default: build/smoke-dist; never dist/)
# Cold machine (no images, no build cache): about 6 minutes, see docs/container.md.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-$([[ -x .venv/bin/python ]] && echo .venv/bin/python || echo python3)}
SMOKE_DIST=${SMOKE_DIST:-build/smoke-dist}
export MAX_JOBS=${MAX_JOBS:-1}

t0=$SECONDS
phase() { printf '\n=== docker-smoke: %s (t=%ss)\n' "$1" "$((SECONDS - t0))"; }

phase "engine"
ci/docker-engine.sh
if ! command -v debootstrap >/dev/null; then
  apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
fi

phase "release --profile smoke"
"$PYTHON" -m archforge release --profile smoke --dist "$SMOKE_DIST"
(cd "$SMOKE_DIST" && sha256sum -c SHA256SUMS)

phase "docker test tier (CA secret, negative control, release image audit)"
ARCHFORGE_TEST_PROFILE=smoke "$PYTHON" -m pytest -q -p no:cacheprovider -m docker tests/container

phase "done in $((SECONDS - t0))s"
