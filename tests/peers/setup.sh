#!/bin/sh
# Installs the peer clients the streaming benchmark compares against, into target/peers/ (not
# committed): the official `openai` package for Node (the transport OpenClaw itself uses) and
# the official `openai` Python SDK. Needs node/npm and python3 with venv; reaches the npm and
# PyPI registries only.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
peers="$root/target/peers"
mkdir -p "$peers/node"
if [ ! -d "$peers/node/node_modules/openai" ]; then
  npm install --silent --no-audit --no-fund --prefix "$peers/node" openai@7.57.0 >&2
fi
if [ ! -x "$peers/venv/bin/python" ]; then
  python3 -m venv "$peers/venv" >&2
fi
if ! "$peers/venv/bin/python" -c "import openai" 2>/dev/null; then
  "$peers/venv/bin/pip" install --quiet openai==3.57.0 >&2
fi
echo "$peers"
