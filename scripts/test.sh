#!/usr/bin/env bash
# The test command: set up (idempotent), lint, then the whole suite with the real models.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check coach tests tools
.venv/bin/ruff format --check coach tests tools
mkdir -p artifacts
set +e
.venv/bin/python -m pytest "$@"
status=$?
set -e
[ "$status" -eq 5 ] && { echo "no tests ran"; exit 1; }
exit "$status"
