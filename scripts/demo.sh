#!/usr/bin/env bash
# The meter walk-through on a fresh machine: build, import the example data set into a fresh
# database, preview and create an invoice, list calls, and run the billing cycle.
#
#   scripts/demo.sh            # uses a throw-away database in a temporary directory
#   KEEP_DB=1 scripts/demo.sh  # keeps the database and prints where it is
#   METER_BIN=/path/to/meter scripts/demo.sh   # use that binary instead of building one
#
# The data comes from examples/ (regenerate it with `python3 examples/generate.py`).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
EXAMPLES="$ROOT/examples"
CUSTOMER=acme
FROM=2026-11-01
TO=2026-11-30
CYCLE_DATE=2026-12-01

bold() { if [ -t 1 ]; then printf '\n\033[1m%s\033[0m\n' "$*"; else printf '\n%s\n' "$*"; fi; }

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

# A fresh database, never the one in the working directory.
WORK="$(mktemp -d "${TMPDIR:-/tmp}/meter-demo.XXXXXX")"
if [ -n "${KEEP_DB:-}" ]; then
    trap 'echo; echo "database kept: $WORK/demo.db (use --db sqlite://$WORK/demo.db)"' EXIT
else
    trap 'rm -rf "$WORK"' EXIT
fi
DB="sqlite://$WORK/demo.db"
unset METER_DATABASE_URL

# Runs meter against the demo database, echoing the command as a user would type it.
meter() {
    printf '$ meter %s\n' "$*"
    "$METER" --db "$DB" "$@"
}

bold "1. Import the example data (decks and plans first: customers name them; customers before rates and calls)"
meter decks import "$EXAMPLES/decks.csv"
meter localcalling import "$EXAMPLES/localcalling.csv"
meter plans import "$EXAMPLES/plans.csv"
meter customers import "$EXAMPLES/customers.csv"
meter rates import "$EXAMPLES/rates.csv"
meter cdrs import "$EXAMPLES/cdrs.csv"
meter decks list

bold "2. Preview $CUSTOMER's November invoice (nothing is saved)"
meter invoice preview --customer "$CUSTOMER" --from "$FROM" --to "$TO"

bold "3. Create it"
meter invoice create --customer "$CUSTOMER" --from "$FROM" --to "$TO"

bold "4. $CUSTOMER's calls: status, billable seconds, charge after allowances, invoice and rate (first lines)"
# Written to a file first: piping straight into head would cut meter's output mid-write.
meter calls list --customer "$CUSTOMER" --from "$FROM" --to "$TO" >"$WORK/calls.txt"
head -n 16 "$WORK/calls.txt"
echo "..."
tail -n 1 "$WORK/calls.txt"

bold "5. Run the billing cycle for $CYCLE_DATE: every customer whose billing day it is gets November"
echo "   (acme already has an invoice for exactly that period, so it is skipped; lonestar bills on the 15th)"
meter cycle run --date "$CYCLE_DATE"

bold "Done."
