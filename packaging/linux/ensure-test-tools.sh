#!/usr/bin/env bash
# Installs the tools the test suite checks documents with, when any is missing:
# pandoc (an independent reader of every format) and LibreOffice Writer (makes
# Word and OpenDocument files as people's own do, and proves outputs open).
set -euo pipefail

missing=()
command -v pandoc >/dev/null 2>&1 || missing+=(pandoc)
command -v soffice >/dev/null 2>&1 || missing+=(libreoffice-writer-nogui)
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "The document tests need: ${missing[*]}. Install them with your package manager." >&2
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "The document tests need: ${missing[*]}. Run as root: apt-get install -y ${missing[*]}" >&2
    exit 0
  fi
fi
echo "Installing test tools: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
