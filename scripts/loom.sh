#!/usr/bin/env bash
# Model-checks the mailbox protocol with loom (a separate build: --cfg foundation_loom).
set -euo pipefail
cd "$(dirname "$0")/.."
export RUSTFLAGS="--cfg foundation_loom"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}/loom"
export LOOM_MAX_PREEMPTIONS="${LOOM_MAX_PREEMPTIONS:-3}"
cargo test -p foundation --lib --release --locked loom_
