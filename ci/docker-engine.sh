#!/usr/bin/env bash
# Make a Docker engine available on this machine when none answers.
#
# Idempotent: when `docker info` already answers, print nothing and exit 0.
# Otherwise install Debian's docker.io (engine + BuildKit-capable client),
# start dockerd as root in the background and wait until it answers.
# Needs root. Log of the daemon: /var/log/archforge-dockerd.log.
set -euo pipefail

# Debian's client lives in /usr/bin; /usr/local/bin/docker on CI images is a
# bare client without buildx, and its classic builder cannot do secret mounts.
DOCKER=/usr/bin/docker
LOG=${ARCHFORGE_DOCKERD_LOG:-/var/log/archforge-dockerd.log}
WAIT_S=${ARCHFORGE_DOCKERD_WAIT_S:-60}

answers() { [[ -x $DOCKER ]] && "$DOCKER" info >/dev/null 2>&1; }

answers && exit 0

if [[ $(id -u) -ne 0 ]]; then
  echo "docker-engine: no engine answers and this is not root; cannot start one" >&2
  exit 3
fi

if ! command -v dockerd >/dev/null 2>&1 || [[ ! -x $DOCKER ]]; then
  echo "docker-engine: installing docker.io from Debian" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends docker.io >/dev/null
fi

if ! pgrep -x dockerd >/dev/null; then
  echo "docker-engine: starting dockerd (log: $LOG)" >&2
  # setsid: the daemon must outlive the shell (and CI step) that started it.
  setsid dockerd >"$LOG" 2>&1 </dev/null &
fi

for ((i = 0; i < WAIT_S; i++)); do
  if answers; then
    echo "docker-engine: engine ready ($("$DOCKER" version --format '{{.Server.Version}}'))" >&2
    exit 0
  fi
  sleep 1
done
echo "docker-engine: dockerd did not answer within ${WAIT_S}s; last log lines:" >&2
tail -n 20 "$LOG" >&2 || true
exit 3
