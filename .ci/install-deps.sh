#!/usr/bin/env bash
# Installs what the tests and benchmarks need: the Python tools of requirements-lab-tools.txt
# into .venv/ (below), and these Debian packages: a real S3 server
# (Ceph monitor + OSD + RADOS Gateway, started per test run by test/support/ceph.ts), the
# peers the benchmarks compare against (rclone, awscli), cookiecutter for templates, and
# Chromium for the browser tests (driven by playwright-core through test/support/browser.ts;
# never a browser playwright downloads).
# Safe to run again: it does nothing when everything is already installed.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(radosgw ceph-mon ceph-osd ceph-common rclone awscli cookiecutter time chromium)

missing=0
for cmd in radosgw ceph-mon ceph-osd ceph rclone cookiecutter chromium; do
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

# The lab's Python tools (requirements-lab-tools.txt, every version pinned) in a project-local
# virtual environment, .venv/ (gitignored); made again only when the requirements change.
install_venv() {
  local want have
  want="$(sha256sum requirements-lab-tools.txt | cut -d' ' -f1)"
  have="$(cat .venv/.requirements-sha256 2>/dev/null || true)"
  if [ "$want" = "$have" ] && [ -x .venv/bin/python ]; then
    echo "install-deps: .venv is up to date"
    return
  fi
  rm -rf .venv
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check -r requirements-lab-tools.txt
  echo "$want" > .venv/.requirements-sha256
  echo "install-deps: .venv made from requirements-lab-tools.txt"
}

if [ "$missing" -eq 0 ]; then
  echo "install-deps: Debian packages all present"
  install_venv
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
install_venv
