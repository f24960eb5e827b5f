#!/usr/bin/env bash
# Installs the JS SDK's build tools (esbuild, ComponentizeJS, jco) into sdk/js/node_modules:
# `npm ci` when node_modules is missing or older than package-lock.json. Idempotent and quiet.
set -euo pipefail
cd "$(dirname "$0")"
stamp=node_modules/.package-lock.json
if [[ -f "$stamp" && ! package-lock.json -nt "$stamp" && ! package.json -nt "$stamp" ]]; then
  exit 0
fi
npm ci --no-audit --no-fund --loglevel=error >/dev/null
touch "$stamp"
