#!/usr/bin/env bash
# Runs every test of the project on a fresh machine: installs the pinned npm packages of the
# interop suites into interop/node_modules, then go vet and go test -race (fuzz seeds included).
# Needs Go, Node.js and Chromium (the browser test in e2e/; .ci/run installs Chromium with
# apt-get before calling this script). With WEBPUBSUB_INTEROP=1, set below, the interop and
# browser suites fail instead of skipping when a tool is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== npm packages for the interop suites (interop/)"
(cd interop && npm ci --no-audit --no-fund --loglevel=error)

# The interop and browser suites fail instead of skipping when their tools are missing.
export WEBPUBSUB_INTEROP=1

echo "== go vet"
go vet ./...

echo "== go test -race"
go test -race -count=1 -timeout 20m ./...
