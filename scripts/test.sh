#!/usr/bin/env bash
# Every test: unit, integration, doc tests. The README's test command.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace --locked --all-targets
cargo test --workspace --locked --doc
