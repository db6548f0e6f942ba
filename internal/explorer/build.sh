#!/bin/sh
# Rebuilds the GraphiQL bundle in dist/ from web/ (npm ci, then npm run build).
# dist/ is committed so the server builds with Go alone; CI runs this script
# and fails when `git diff` shows dist/ changed. The build is deterministic for
# a given web/package-lock.json.
set -eu
cd "$(dirname "$0")/web"
npm ci --no-audit --no-fund
npm run build
