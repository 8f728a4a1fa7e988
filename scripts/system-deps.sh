#!/usr/bin/env bash
# System packages the end-to-end tests and `npm start` need from Debian:
#   chromium     - the browser playwright-core drives (no Playwright browser download is possible here)
#   libkrb5-dev  - kerberos headers; code-server builds a native module against them in its postinstall
#   ripgrep      - a local `rg` that stands in for the one @vscode/ripgrep would download
# Idempotent: prints nothing and touches nothing when everything is present, so CI can call it every run.
# Otherwise it says what it would install and why first; in a terminal it asks, and GLASSBOX_SKIP_SYSTEM_DEPS=1
# skips it (with the apt-get line to run by hand).
set -euo pipefail

# command to check -> Debian package that provides it (a header for libkrb5-dev, found by dpkg instead)
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v rg >/dev/null 2>&1 || missing+=(ripgrep)
dpkg-query -W -f='${Status}' libkrb5-dev 2>/dev/null | grep -q 'install ok installed' || missing+=(libkrb5-dev)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "system-deps: missing ${missing[*]}; run as root (or: sudo apt-get install -y ${missing[*]})" >&2
  exit 1
fi

echo "system-deps: Glassbox's end-to-end tests and \`npm start\` need Debian packages that are missing:"
for p in "${missing[@]}"; do
  case "$p" in
    chromium) echo "  chromium     - the browser the tests drive and code-server is shown in" ;;
    ripgrep) echo "  ripgrep      - a local rg for code-server's search (its own would be downloaded)" ;;
    libkrb5-dev) echo "  libkrb5-dev  - headers code-server's native module builds against" ;;
  esac
done
if [ "${GLASSBOX_SKIP_SYSTEM_DEPS:-}" = "1" ]; then
  echo "system-deps: GLASSBOX_SKIP_SYSTEM_DEPS=1, so nothing is installed (install them yourself: apt-get install ${missing[*]})" >&2
  exit 1
fi
# Asked in a terminal; CI and scripts (no terminal) proceed, as the README's set-up says.
if [ -t 0 ] && [ -t 1 ]; then
  read -r -p "system-deps: install them now with apt-get? [Y/n] " answer
  case "$answer" in
    [nN]*) echo "system-deps: skipped; install them yourself: apt-get install ${missing[*]}" >&2; exit 1 ;;
  esac
fi
echo "system-deps: installing ${missing[*]} (set GLASSBOX_SKIP_SYSTEM_DEPS=1 to skip)"
export DEBIAN_FRONTEND=noninteractive
# The package lists may be absent or stale on a fresh machine; an install without them finds nothing.
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "system-deps: done"
