#!/usr/bin/env bash
# Installs Debian/Ubuntu packages as root (or through sudo); on a system without
# apt-get, or without the right to install, it says what to install and carries on.
# Usage: apt-install.sh "WHAT NEEDS THEM" PACKAGE...
set -euo pipefail

what=$1
shift
[ $# -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "$what needs: $*. Install them with your package manager." >&2
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "$what needs: $*. Run as root: apt-get install -y $*" >&2
    exit 0
  fi
fi
echo "Installing for $what: $*"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "$@" >/dev/null
