#!/usr/bin/env bash
# Lint and test the CRM card front ends with their own toolchains (npm registry, no
# credentials): the HubSpot app card (eslint + vitest with @hubspot/ui-extensions/testing) and
# the Salesforce Lightning component (eslint-config-lwc + sfdx-lwc-jest).
#
# `npm ci` runs only when package-lock.json is newer than the installed tree (first run
# ~45 s per project, later runs ~5 s in all). Without npm, or with SKIP_NPM=1, it says so
# and succeeds — except under CI (CI=true), where the front ends must be checked.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
projects=("$here/hubspot/src/app/cards" "$here/salesforce")

if [[ "${SKIP_NPM:-}" == "1" ]] || ! command -v npm >/dev/null; then
  if [[ "${CI:-}" == "true" ]]; then
    echo "integrations: npm is required in CI to check the CRM cards" >&2
    exit 1
  fi
  echo "integrations: skipped (no npm, or SKIP_NPM=1); CI checks them"
  exit 0
fi

for project in "${projects[@]}"; do
  echo "integrations: ${project#"$here"/}"
  if [[ ! -f "$project/node_modules/.package-lock.json" \
        || "$project/package-lock.json" -nt "$project/node_modules/.package-lock.json" ]]; then
    (cd "$project" && npm ci --no-audit --no-fund --prefer-offline --loglevel=error)
  fi
  (cd "$project" && npm run --silent lint && npm test --silent)
done
