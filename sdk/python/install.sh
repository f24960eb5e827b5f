#!/usr/bin/env bash
# sdk/python/install.sh — owns installing the Python build tools for Ion Host: into the
# venv $1 (default $HOME/.cache/ion-host/venv, created if missing) it installs
# componentize-py 0.25.1 and this SDK (ion-host-sdk), quietly, skipping what is already
# installed and current. Usage: sdk/python/install.sh [VENV]
set -euo pipefail
venv="${1:-$HOME/.cache/ion-host/venv}"
sdk="$(cd "$(dirname "$0")" && pwd)"
componentize_version=0.25.1

if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
py="$venv/bin/python"

installed() { "$py" -m pip show "$1" 2>/dev/null | sed -n 's/^Version: //p'; }

if [ "$(installed componentize-py)" != "$componentize_version" ]; then
  "$py" -m pip install -q --disable-pip-version-check "componentize-py==$componentize_version"
fi

# The SDK is reinstalled only when its sources changed since the last install.
stamp="$venv/.ion-host-sdk.sha256"
digest="$(cd "$sdk" && find pyproject.toml ion_guest.py ion -name '*.py' -o -name '*.toml' \
  | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -d' ' -f1)"
if [ "$(installed ion-host-sdk)" = "" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$digest" ]; then
  # Built from a copy, so the build leaves nothing behind in the source tree.
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  cp -r "$sdk/pyproject.toml" "$sdk/ion_guest.py" "$sdk/ion" "$tmp/"
  "$py" -m pip install -q --disable-pip-version-check --force-reinstall --no-deps "$tmp"
  echo "$digest" > "$stamp"
fi
