#!/usr/bin/env bash
# Checks the memory module's unsafe code (the accounting allocator, its trailers and the account
# table) for undefined behaviour with Miri, Rust's interpreter for the language's rules.
#
# What runs:
#   1. The unit tests in crates/foundation/src/memory/ (allocator.rs, accounts.rs, table.rs):
#      alloc, alloc_zeroed, realloc and dealloc through `GlobalAlloc` on a local
#      `AccountingAllocator`, trailer reads, pointers that cover only the caller's bytes,
#      forged tags, the table growing past its first chunks, close and reuse. Filtered to
#      `memory::`; the lib's other unit tests (mailbox, link set) are not about the allocator
#      (loom checks the mailbox: scripts/loom.sh). Once under Stacked Borrows (Miri's default
#      aliasing model), once under Tree Borrows.
#   2. Four integration tests that install the allocator as the `#[global_allocator]` and run a
#      node on tokio: memory_realloc, memory_accounting, memory_restart, memory_accounts_full.
#      They see what the unit tests cannot: blocks freed and grown by real `Box`es and `Vec`s
#      (whose pointers carry a provenance narrowed to their own bytes, and are protected while
#      a `Box` is dropped), across threads.
#
# What does not run under Miri, and why: nothing is unsupported, but an interpreter is slow
# (measured on a 2-core machine):
#   - memory_isolate: scans a 100 MiB buffer byte by byte (over 5 minutes);
#   - memory_spawn_charges: 20,000 processes on a multi-thread runtime (over 5 minutes);
#   - memory_limit: 64 MiB in 1 MiB steps beside 100 processes (about 2 minutes);
#   - ecosystem_memory (property tests), messages_zero_copy and the other integration tests:
#     slow for the same reasons, and about process semantics rather than the allocator.
#
# Flags: -Zmiri-permissive-provenance, because the allocator recovers a block's whole
# provenance from its address (exposed provenance: see `whole_block` in allocator.rs), which
# Miri accepts but warns about by default and strict provenance would reject.
#
# Needs the nightly toolchain with the miri and rust-src components, and installs what is
# missing. If they cannot be had (no rustup, offline, a nightly without miri), it says so loudly
# and exits 0: CI machines may lack nightly. Any failure of the tests themselves fails the script.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

skip() {
    {
        echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
        echo "!! MIRI DID NOT RUN: $1"
        echo "!! The memory module's unsafe code was NOT checked for undefined behaviour."
        echo "!! To run it: rustup toolchain install nightly --component miri,rust-src"
        echo "!!            bash scripts/miri.sh"
        echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
    } >&2
    exit 0
}

command -v rustup >/dev/null 2>&1 || skip "rustup is not installed"
if ! rustup run nightly rustc --version >/dev/null 2>&1; then
    echo "== installing the nightly toolchain (with miri, rust-src)"
    rustup toolchain install nightly --profile minimal --component miri,rust-src \
        || skip "the nightly toolchain could not be installed"
fi
installed="$(rustup component list --toolchain nightly --installed 2>/dev/null || true)"
for component in miri rust-src; do
    if ! grep -q "^${component}" <<<"$installed"; then
        echo "== installing the nightly ${component} component"
        rustup component add --toolchain nightly "$component" \
            || skip "the nightly toolchain lacks the ${component} component and it could not be added"
    fi
done
echo "== toolchain"; rustup run nightly rustc --version; cargo +nightly miri --version
echo "== miri setup (builds the interpreted standard library once)"
cargo +nightly miri setup || skip "Miri could not build its standard library (cargo miri setup failed)"

flags="${MIRIFLAGS:--Zmiri-permissive-provenance}"
ran=()
run() {
    local model="$1"
    shift
    echo "== MIRIFLAGS=\"$model\" cargo +nightly miri test $*"
    MIRIFLAGS="$model" cargo +nightly miri test "$@"
    ran+=("MIRIFLAGS=\"$model\" cargo +nightly miri test $*")
}
start=$SECONDS
run "$flags" -p foundation --locked --lib memory::
run "$flags -Zmiri-tree-borrows" -p foundation --locked --lib memory::
run "$flags" -p foundation --locked \
    --test memory_realloc --test memory_accounting --test memory_restart --test memory_accounts_full
echo "== miri: passed in $((SECONDS - start)) s; ran:"
printf '   %s\n' "${ran[@]}"
