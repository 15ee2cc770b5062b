#!/usr/bin/env bash
# Installs the tools the test suite checks documents with, when any is missing:
# pandoc (an independent reader of every format) and LibreOffice Writer (makes
# Word and OpenDocument files as people's own do, and proves outputs open).
set -euo pipefail

missing=()
command -v pandoc >/dev/null 2>&1 || missing+=(pandoc)
command -v soffice >/dev/null 2>&1 || missing+=(libreoffice-writer-nogui)
[ ${#missing[@]} -eq 0 ] && exit 0
bash "$(dirname "$0")/apt-install.sh" "The document tests" "${missing[@]}"
