#!/usr/bin/env bash
# Node packages the tests drive from Node.js (the official Google Gen AI SDK), installed into tests/node.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[ -f "$ROOT/tests/node/package.json" ] || exit 0
command -v npm >/dev/null 2>&1 || { echo "test-deps: Node.js 20+ and npm are required for the SDK tests" >&2; exit 1; }
cd "$ROOT/tests/node"
if [ ! -d node_modules ] || [ package.json -nt node_modules ]; then
  npm install --no-audit --no-fund --loglevel=error >/dev/null
  touch node_modules
fi
