#!/usr/bin/env bash
# The meter walk-through on a fresh machine: build, then `meter demo`: import the example data
# set into a fresh database, preview and create an invoice, list calls, sync call records from
# the PBX platform emulators, check the sources and run the billing cycle.
#
#   scripts/demo.sh            # uses a throw-away database in a temporary directory
#   KEEP_DB=1 scripts/demo.sh  # keeps the database and prints where it is
#   METER_BIN=/path/to/meter scripts/demo.sh   # use that binary instead of building one
#
# The data comes from examples/, built into the binary (regenerate it with
# `python3 examples/generate.py`).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# The binary: METER_BIN, or the release build (built or brought up to date by cargo).
if [ -n "${METER_BIN:-}" ]; then
    METER="$METER_BIN"
elif command -v cargo >/dev/null 2>&1; then
    echo "Building the release binary (cargo build --release)..."
    (cd "$ROOT" && cargo build --release -q)
    METER="$ROOT/target/release/meter"
elif [ -x "$ROOT/target/release/meter" ]; then
    echo "cargo not found: using the existing $ROOT/target/release/meter"
    METER="$ROOT/target/release/meter"
else
    echo "demo: cargo is not installed and target/release/meter does not exist (install Rust from https://rustup.rs)" >&2
    exit 1
fi

# `meter demo` runs the walk-through on its own throw-away database: the example data, an
# invoice preview and creation, the call listing, then the NetSapiens and Brightlink emulators
# with source setup, a sync, the source checks and the billing cycle.
unset METER_DATABASE_URL
if [ -n "${KEEP_DB:-}" ]; then
    exec "$METER" demo --keep
fi
exec "$METER" demo
