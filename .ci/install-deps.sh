#!/usr/bin/env bash
# Installs the Debian packages the integration tests and benchmarks need: a real S3 server
# (Ceph monitor + OSD + RADOS Gateway, started per test run by test/support/ceph.ts), the
# peers the benchmarks compare against (rclone, awscli), and cookiecutter for templates.
# Safe to run again: it does nothing when everything is already installed.
set -euo pipefail

packages=(radosgw ceph-mon ceph-osd ceph-common rclone awscli cookiecutter time)

missing=0
for cmd in radosgw ceph-mon ceph-osd ceph rclone cookiecutter; do
  if ! command -v "$cmd" >/dev/null 2>&1; then
    echo "install-deps: $cmd not found"
    missing=1
  fi
done
# By package, not by `aws` on PATH: another aws (pip, pyenv, the v2 installer) may shadow
# or stand in for Debian's, and the benchmarks are written against Debian's.
# GNU time (/usr/bin/time) gives the benchmark each tool's CPU time and peak RSS.
if [ ! -x /usr/bin/time ]; then
  echo "install-deps: /usr/bin/time not found"
  missing=1
fi
if ! dpkg -s awscli >/dev/null 2>&1; then
  echo "install-deps: package awscli not installed"
  missing=1
fi

if [ "$missing" -eq 0 ]; then
  echo "install-deps: all present, nothing to install"
  exit 0
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  sudo=(sudo)
fi

export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update
# --no-install-recommends: the tests run the daemons directly (no systemd units, no
# ceph-mgr), so recommended extras would only slow a fresh CI machine down.
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${packages[@]}"

echo "install-deps: installed ${packages[*]}"
