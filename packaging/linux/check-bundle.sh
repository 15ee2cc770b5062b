#!/usr/bin/env bash
# After `make dist`, in CI: the bundle must start with nothing of the source checkout around it —
# the self-test and a chat from the command line run from dist/desktop-llm in a bare environment
# (no virtualenv on PATH, a fresh home); then the .deb is installed, started the same way from the
# installed command, and removed (the user's data stays).
set -euo pipefail
cd "$(dirname "$0")/../.."

bare() {  # run a command with an empty environment and a fresh home
  local home
  home=$(mktemp -d)
  env -i PATH=/usr/bin:/bin HOME="$home" DESKTOP_LLM_HOME="$home/desktop-llm" LANG=C.UTF-8 "$@"
}

check() {  # $1: how the app is started
  local app=$1 report reply
  report=$(bare "$app" --self-test)
  echo "self-test ($app): $report"
  grep -q '"ok": true' <<<"$report" || { echo "check-bundle: the self-test failed from $app" >&2; exit 1; }
  reply=$(bare "$app" chat "Say hello in three words." --json --progress none)
  grep -q '"text"' <<<"$reply" || { echo "check-bundle: no chat reply from $app: $reply" >&2; exit 1; }
  echo "chat ($app): ok"
}

check "$PWD/dist/desktop-llm/desktop-llm"

deb=$(ls dist/desktop-llm_*.deb)
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo -n"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get install -y -qq "$PWD/$deb" >/dev/null
command -v desktop-llm >/dev/null || { echo "check-bundle: desktop-llm is not on PATH after installing" >&2; exit 1; }
exec_line=$(grep '^Exec=' /usr/share/applications/desktop-llm.desktop | sed 's/^Exec=//; s/ %F$//')
check "$(command -v "$exec_line")"  # as the menu entry starts it
test -f /usr/share/icons/hicolor/256x256/apps/desktop-llm.png
test -f /usr/share/mime/packages/desktop-llm.xml

user=$(mktemp -d)  # a user's data, in the usual folders
env -i PATH=/usr/bin:/bin HOME="$user" LANG=C.UTF-8 desktop-llm --self-test >/dev/null
data=$(ls -d "$user"/.local/share/desktop-llm)
$SUDO apt-get remove -y -qq desktop-llm >/dev/null
[ ! -e /opt/desktop-llm ] || { echo "check-bundle: /opt/desktop-llm is left after apt remove" >&2; exit 1; }
[ -f "$data/history.db" ] || { echo "check-bundle: apt remove took the user's data" >&2; exit 1; }
echo "check-bundle: the bundle and the installed package both start and work"
