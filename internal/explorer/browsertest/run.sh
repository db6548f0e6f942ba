#!/usr/bin/env bash
# Browser test of the explorer: starts `staygraph dev` (a private PostgreSQL
# in a temporary data dir, migrations, a small demo catalog) on a free port,
# drives the explorer in Debian's Chromium with playwright-core, then stops
# the API and its PostgreSQL whatever happened (the subscription test needs
# the change stream, which 'staygraph dev' runs). Needs node/npm, chromium
# (apt-get install chromium) and the PostgreSQL server binaries; as root the
# private cluster runs as the postgres OS user (see internal/postgres/devserver).
# A screenshot of a failure is left in $SCREENSHOT_DIR (default:
# internal/explorer/browsertest/screenshots).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
cd "$here"
npm ci --no-audit --no-fund >/dev/null

work="$(mktemp -d)"
chmod 755 "$work"
api_pid=""
cleanup() {
  if [ -n "$api_pid" ] && kill -0 "$api_pid" 2>/dev/null; then
    kill -INT "$api_pid" 2>/dev/null || true   # dev stops its PostgreSQL on SIGINT
    for _ in $(seq 1 30); do kill -0 "$api_pid" 2>/dev/null || break; sleep 1; done
    kill -KILL "$api_pid" 2>/dev/null || true
  fi
  # A PostgreSQL left behind by a killed dev server.
  if [ -f "$work/data/postgres/postmaster.pid" ]; then
    pg_pid="$(head -n1 "$work/data/postgres/postmaster.pid")"
    kill -INT "$pg_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 18080)"
pg_port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 54339)"
(cd "$root" && go build -o "$work/staygraph" ./cmd/staygraph)
"$work/staygraph" dev --addr "127.0.0.1:$port" --data-dir "$work/data" --pg-port "$pg_port" --demo-hotels 8 \
  >"$work/api.log" 2>&1 &
api_pid=$!

for _ in $(seq 1 120); do
  if curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$api_pid" 2>/dev/null; then echo "the API exited:"; cat "$work/api.log"; exit 1; fi
  sleep 1
done
curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null || { echo "the API did not get ready in 120 s:"; tail -n 50 "$work/api.log"; exit 1; }

export STAYGRAPH_URL="http://127.0.0.1:$port"
# An ADMIN token for the subscription test, signed with the dev server's secret.
STAYGRAPH_ADMIN_TOKEN="$("$work/staygraph" token --role ADMIN --subject browser-test --ttl 1h --data-dir "$work/data")"
export STAYGRAPH_ADMIN_TOKEN
export SCREENSHOT_DIR="${SCREENSHOT_DIR:-$here/screenshots}"
if ! timeout 600 node --test explorer.test.mjs firstuse.test.mjs; then
  echo "--- API log"; tail -n 50 "$work/api.log"; exit 1
fi
