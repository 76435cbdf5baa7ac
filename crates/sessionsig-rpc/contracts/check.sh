#!/usr/bin/env bash
# Recompile the Solidity sources with the pinned solc (offline; installs it with `npm ci`) and
# fail if the committed artifacts or src/validator_code.rs differ. Run by CI via scripts/test.
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund --loglevel=error
node compile.mjs --check
