#!/usr/bin/env bash
# What the tests drive besides .NET: Node.js packages (the official Google Gen AI SDK in tests/node, the Kubernetes schema
# validator in tests/node-deploy, the coding agents Codex CLI, Claude Code and Gemini CLI in tests/node-agents) and
# kubectl (renders the kustomize manifests offline) and chromium (the dashboard test's browser). Each folder is installed once and again only when its package.json or
# lock changes, so a second run costs nothing.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
missing=()
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
command -v kubectl >/dev/null 2>&1 || missing+=(kubectl)
# The Aspire dashboard test drives Debian's chromium through Playwright (Playwright's own browser download is not used).
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  echo "test-deps: installing ${missing[*]} from Debian packages" >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
for dir in "$ROOT/tests/node" "$ROOT/tests/node-deploy" "$ROOT/tests/node-docs" "$ROOT/tests/node-agents"; do
  [ -f "$dir/package.json" ] || continue
  if [ ! -d "$dir/node_modules" ] || [ "$dir/package.json" -nt "$dir/node_modules" ] \
    || { [ -f "$dir/package-lock.json" ] && [ "$dir/package-lock.json" -nt "$dir/node_modules" ]; }; then
    (cd "$dir" && if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error; else npm install --no-audit --no-fund --loglevel=error; fi) >/dev/null
    touch "$dir/node_modules"
  fi
done
