#!/usr/bin/env bash
# Model-checks the engine's lock-free protocols with loom (a separate build: --cfg foundation_loom):
# the mailbox, the senders' wait for room, the adoption handshake, links racing an exit.
set -euo pipefail
cd "$(dirname "$0")/.."
export RUSTFLAGS="--cfg foundation_loom"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}/loom"
export LOOM_MAX_PREEMPTIONS="${LOOM_MAX_PREEMPTIONS:-3}"
cargo test -p foundation --lib --release --locked loom_
