#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs what it needs, then lint, typecheck and every test.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/ensure-deps.sh
ensure_all

npm run --silent lint
npm run --silent lint:layers
npm run --silent typecheck
results=$(mktemp)
trap 'rm -f "$results"' EXIT
status=0
# --forceExit: a leaked handle must never hang CI; --detectOpenHandles finds none today.
npx jest --ci --forceExit --json --outputFile="$results" "$@" || status=$?
# One plain closing line any CI reader understands.
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (r.numPendingTests ? `, ${r.numPendingTests} skipped` : ""));
' "$results" || true
exit "$status"
