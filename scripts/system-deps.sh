#!/usr/bin/env bash
# System packages the end-to-end tests and `npm start` need from Debian:
#   chromium     - the browser playwright-core drives (no Playwright browser download is possible here)
#   libkrb5-dev  - kerberos headers; code-server builds a native module against them in its postinstall
#   ripgrep      - a local `rg` that stands in for the one @vscode/ripgrep would download
# Idempotent: prints nothing and touches nothing when everything is present, so CI can call it every run.
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

echo "system-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# The package lists may be absent or stale on a fresh machine; an install without them finds nothing.
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "system-deps: done"
