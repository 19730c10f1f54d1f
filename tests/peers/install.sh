#!/usr/bin/env bash
# Installs the real LwM2M/CoAP peers that the end-to-end tests (tests/tests/e2e_*.rs) start:
#   target/peers/node   lwm2m-node-lib 1.4.0 (npm), driven by tests/peers/node_server.js
#   target/peers/venv   a Python venv with aiocoap and cbor2, for tests/peers/lwm2m_server.py
#   coap-client-notls   from Debian's libcoap3-bin (system package)
# Idempotent: each peer is installed only when missing, so a second run takes about a second.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
peers="$root/target/peers"
mkdir -p "$peers"

NODE_LIB_VERSION="1.4.0"
AIOCOAP_VERSION="0.4.17"

say() { printf 'peers: %s\n' "$*"; }

# 1. lwm2m-node-lib into target/peers/node
node_pkg="$peers/node/node_modules/lwm2m-node-lib/package.json"
if [ -f "$node_pkg" ] && grep -q "\"version\": \"$NODE_LIB_VERSION\"" "$node_pkg"; then
  say "lwm2m-node-lib $NODE_LIB_VERSION present"
else
  command -v npm >/dev/null || { echo "peers: npm is required (apt-get install -y nodejs npm)" >&2; exit 1; }
  say "installing lwm2m-node-lib $NODE_LIB_VERSION"
  mkdir -p "$peers/node"
  [ -f "$peers/node/package.json" ] || printf '{"name":"lwm2m-rs-e2e-peers","private":true}\n' >"$peers/node/package.json"
  (cd "$peers/node" && npm install --no-audit --no-fund --loglevel=error "lwm2m-node-lib@$NODE_LIB_VERSION")
fi

# 2. aiocoap + cbor2 in target/peers/venv
venv="$peers/venv"
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import aiocoap, cbor2' 2>/dev/null; then
  say "aiocoap and cbor2 present"
else
  say "creating $venv with aiocoap $AIOCOAP_VERSION and cbor2"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "aiocoap==$AIOCOAP_VERSION" cbor2
fi

# 3. coap-client-notls from libcoap3-bin
if command -v coap-client-notls >/dev/null; then
  say "coap-client-notls present"
else
  say "installing libcoap3-bin"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq libcoap3-bin
  command -v coap-client-notls >/dev/null || { echo "peers: coap-client-notls still missing" >&2; exit 1; }
fi
say "ready in $peers"
