#!/usr/bin/env bash
# Fetches data assets that ship inside PyPI packages (never from elsewhere) into fineweb_kit/assets/.
# Idempotent; called by `make setup`.
set -euo pipefail
VENV=${1:-.venv}
echo "assets: nothing to fetch yet"
