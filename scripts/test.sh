#!/usr/bin/env bash
# Every test: unit, integration and doc tests (and those of optional features); the loom models of the engine's lock-free
# protocols; and the memory module's unsafe code under Miri (which says loudly, and skips, if
# the machine cannot get a nightly toolchain with Miri).
# The README's test command; CI runs it after fmt and clippy.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace --locked --all-targets
cargo test --workspace --locked --doc
# The optional parts' own tests: the `cluster` feature (its units, wire format with the fuzz
# corpus replayed, and nodes on loopback).
cargo test -p foundation --locked --features cluster --lib --test cluster_wire --test cluster_nodes --test cluster_membership --test cluster_ordering --test cluster_partitions
cargo test -p foundation --locked --features cluster --doc cluster::
bash scripts/loom.sh
bash scripts/miri.sh
