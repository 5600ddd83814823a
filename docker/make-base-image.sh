#!/bin/sh
# Make a local base image for docker/Dockerfile where images cannot be pulled:
# Debian bookworm (minbase) with its Python 3.11 and venv, imported into Docker.
#
#   docker/make-base-image.sh [IMAGE]          # default: berth-base:bookworm
#   docker build --build-arg BASE_IMAGE=berth-base:bookworm -f docker/Dockerfile -t berth .
#
# Needs root, debootstrap and a Debian mirror (MIRROR, default deb.debian.org). Where
# Docker Hub is reachable, skip this: the Dockerfile's default base is the official
# python:3.11-slim-bookworm image.
set -eu

IMAGE="${1:-berth-base:bookworm}"
SUITE="${SUITE:-bookworm}"
MIRROR="${MIRROR:-http://deb.debian.org/debian}"
DOCKER="${DOCKER:-docker}"

if [ "$(id -u)" != 0 ]; then
  echo "make-base-image.sh: debootstrap needs root" >&2
  exit 1
fi
command -v debootstrap >/dev/null || { echo "make-base-image.sh: apt-get install debootstrap" >&2; exit 1; }

STARTED=$(date +%s)
ROOT="$(mktemp -d "${TMPDIR:-/tmp}/berth-base.XXXXXX")"
trap 'rm -rf "$ROOT"' EXIT INT TERM

# minbase: essential and apt only. Python 3.11 (bookworm's python3), venv with its
# bundled pip, and the CA certificates pip needs for HTTPS.
debootstrap --variant=minbase \
  --include=python3,python3-venv,ca-certificates \
  "$SUITE" "$ROOT" "$MIRROR"

# What a container never needs: apt's caches and lists, documentation, man pages and
# locales other than C (the image sets LANG=C.UTF-8).
chroot "$ROOT" apt-get clean
rm -rf "$ROOT"/var/lib/apt/lists/* "$ROOT"/var/cache/apt/*.bin \
  "$ROOT"/usr/share/doc/* "$ROOT"/usr/share/man/* "$ROOT"/usr/share/info/* \
  "$ROOT"/var/log/*.log "$ROOT"/var/log/apt/* "$ROOT"/tmp/* "$ROOT"/root/.cache
find "$ROOT"/usr/share/locale -mindepth 1 -maxdepth 1 ! -name 'C.*' -exec rm -rf {} +
# The containers' /etc/hosts, /etc/resolv.conf and /etc/hostname come from Docker.
rm -f "$ROOT"/etc/hostname
# mktemp made the root directory 0700: as the image's /, it would lock out every user
# but root.
chmod 0755 "$ROOT"

# How long debootstrap took, kept as a label (docker/smoke.sh reports it).
tar --numeric-owner -C "$ROOT" -c . | "$DOCKER" import \
  --change "LABEL berth.base.made-in-seconds=$(($(date +%s) - STARTED))" \
  --change 'ENV LANG=C.UTF-8' \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'CMD ["/bin/bash"]' \
  --message "Debian $SUITE minbase with python3, python3-venv, ca-certificates" \
  - "$IMAGE"
"$DOCKER" image inspect --format '{{.Id}} {{.Size}}' "$IMAGE"
