#!/usr/bin/env bash
# Every test: unit, integration, doc tests, and the loom models of the mailbox.
# The README's test command; CI runs it after fmt and clippy.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace --locked --all-targets
cargo test --workspace --locked --doc
bash scripts/loom.sh
