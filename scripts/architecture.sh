#!/usr/bin/env bash
# Checks the module graph of docs/ARCHITECTURE.md: fails when a module imports one it must
# never import (the engine a feature module, telemetry's machinery anything above it, ...).
# Reads the sources as text: a `crate::<module>` path outside a comment is an import.
set -euo pipefail
cd "$(dirname "$0")/../crates/foundation/src"

failed=0
# never <files or folder> <forbidden modules...>
never() {
    local where="$1"
    shift
    local pattern
    pattern="crate::($(IFS='|'; echo "$*"))\b"
    # Comments (// and //!, ///) are not imports.
    local hits
    hits="$(grep -rnE "$pattern" $where --include='*.rs' | grep -vE '^[^:]+:[0-9]+:\s*//' || true)"
    if [ -n "$hits" ]; then
        echo "!! $where must not import: $*"
        echo "$hits"
        failed=1
    fi
}

never engine ecosystem supervisor registry telemetry message cluster
never process ecosystem supervisor registry telemetry message
never supervisor ecosystem registry telemetry
never registry ecosystem supervisor telemetry
never message ecosystem supervisor registry telemetry
never memory ecosystem supervisor registry telemetry message node process
never "telemetry/hub.rs telemetry/recorder.rs" ecosystem supervisor registry message node process engine memory

# The library never depends on the CLI, the bench or a peer library.
if grep -nE '^(foundation-cli|ractor|kameo|actix|criterion)\b' ../Cargo.toml | grep -v dev-dependencies >/dev/null; then
    deps="$(sed -n '/^\[dependencies\]/,/^\[/p' ../Cargo.toml)"
    if grep -nE '^(foundation-cli|ractor|kameo|actix)\b' <<<"$deps"; then
        echo "!! crates/foundation depends on the CLI or a peer library"
        failed=1
    fi
fi

if [ "$failed" -ne 0 ]; then
    echo "the module graph is not the one docs/ARCHITECTURE.md draws"
    exit 1
fi
echo "module graph: as docs/ARCHITECTURE.md draws it"
