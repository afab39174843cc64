#!/usr/bin/env bash
# End-to-end benchmark of meter, with the SQLite bulk-load floor measured in the same run
# (docs/performance.md: ratios in one run beat absolute times).
#
#   scripts/bench.sh [--calls N] [--db URL] [--shape LIST] [--import-only] [--customers N]
#                    [--prefixes N] [--seed S] [--repeat N] [--no-build]
#
#   --calls N     call records to generate and import (default 1000000)
#   --shape LIST  the call files, comma-separated (default bench; `all` is all three):
#                 bench      scripts/bench_gen.py's realistic file, in start order
#                 id-order   calls of customers c0, c1, ... between random 11-digit numbers, in id
#                            order, starts cycling over the month
#                 by-start   the same records sorted by start
#                 Each is imported and its floor measured; the invoices run on the last one.
#   --import-only the imports and floors only: no invoices
#   --db URL      database to benchmark (default sqlite://bench-out/bench.db, removed first).
#                 A postgres://…/NAME URL: NAME must contain "bench"; the script drops and
#                 recreates it (and NAME_floor for the floor) through the server's `postgres`
#                 database, with psql.
#   --repeat N    times the cdrs import and the floor are measured, each into a fresh database;
#                 the median is reported with the spread (default 3)
#   --no-build    use target/release/meter as it is (default: cargo build --release first)
#
# Stages, each timed (wall clock from `date +%s.%N`) with peak RSS from /usr/bin/time -v:
#   for each shape: import plans, customers, rates (10,000-prefix deck), cdrs; the floor right after: the same
#   cdrs.csv loaded into an equivalent table with a unique index on the id and an index on
#   (customer, start), and the same without indexes, by sqlite3's .import (SQLite) or psql's
#   \copy (PostgreSQL); then one `meter invoice create --format json` per customer for
#   2026-10-01..2026-10-31, sequentially; then the invoices of 8 customers deleted and created
#   again, one after another and then all 8 at once, in at least 5 rounds (the scaling of
#   concurrent invoicing, as a median; on PostgreSQL billed_calls is vacuumed, untimed, after
#   each deletion).
# Everything goes to bench-out/ (gitignored): the data, the databases, the invoices and logs.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/bench-out"
CALLS=1000000
CUSTOMERS=100
PREFIXES=10000
SEED=42
DB=""
BUILD=1
REPEAT=3
SHAPES=bench
INVOICES=1

usage() { sed -n '2,30p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
    case "$1" in
        --calls) CALLS="${2:?--calls needs a number}"; shift 2 ;;
        --db) DB="${2:?--db needs a URL}"; shift 2 ;;
        --customers) CUSTOMERS="${2:?}"; shift 2 ;;
        --prefixes) PREFIXES="${2:?}"; shift 2 ;;
        --seed) SEED="${2:?}"; shift 2 ;;
        --repeat) REPEAT="${2:?--repeat needs a number}"; shift 2 ;;
        --shape) SHAPES="${2:?--shape needs bench, id-order, by-start or all}"; shift 2 ;;
        --import-only) INVOICES=0; shift ;;
        --no-build) BUILD=0; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "bench: unknown option $1" >&2; usage >&2; exit 2 ;;
    esac
done

[ "$SHAPES" = all ] && SHAPES=bench,id-order,by-start
IFS=, read -r -a SHAPE_LIST <<<"$SHAPES"
for shape in "${SHAPE_LIST[@]}"; do
    case "$shape" in
        bench|id-order|by-start) ;;
        *) echo "bench: unknown shape $shape (bench, id-order, by-start or all)" >&2; exit 2 ;;
    esac
done
mkdir -p "$OUT/logs" "$OUT/invoices"
DB="${DB:-sqlite://$OUT/bench.db}"
unset METER_DATABASE_URL

# ---- tools -------------------------------------------------------------------------------
PY="$(command -v python3 || true)"
[ -n "$PY" ] || { echo "bench: python3 is needed (data generation and arithmetic)" >&2; exit 1; }

TIME_BIN=/usr/bin/time
if [ ! -x "$TIME_BIN" ]; then
    echo "note: /usr/bin/time is missing, so peak RSS is not measured (it is in the Debian package 'time': apt-get install time)"
    TIME_BIN=""
fi

if [ "$BUILD" = 1 ]; then
    echo "building: cargo build --release"
    (cd "$ROOT" && cargo build --release -q)
fi
METER="$ROOT/target/release/meter"
[ -x "$METER" ] || { echo "bench: $METER does not exist (run without --no-build)" >&2; exit 1; }

SQLITE3="$(command -v sqlite3 || true)"
if [ -z "$SQLITE3" ]; then
    if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
        echo "note: the sqlite3 CLI is missing; installing the Debian package 'sqlite3' with apt-get to measure the floor"
        if apt-get install -y -q sqlite3 >"$OUT/logs/apt-get.log" 2>&1 \
            || { apt-get update -q >>"$OUT/logs/apt-get.log" 2>&1 && apt-get install -y -q sqlite3 >>"$OUT/logs/apt-get.log" 2>&1; }; then
            SQLITE3="$(command -v sqlite3 || true)"
        fi
    fi
    [ -n "$SQLITE3" ] || echo "note: no sqlite3 CLI (Debian package 'sqlite3'): the SQLite floor is skipped"
fi

now() { date +%s.%N; }
sub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a - b }'; }

# ---- results -----------------------------------------------------------------------------
RESULTS="$OUT/logs/results.tsv"
: >"$RESULTS"
# record STAGE ROWS SECONDS PEAK_KB
record() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$RESULTS"; }

# peak_kb FILE: the "Maximum resident set size" of a /usr/bin/time -v report, or empty.
peak_kb() { [ -s "$1" ] && awk -F': ' '/Maximum resident set size/ { print $2 }' "$1" || true; }

# timed NAME CMD...: runs CMD (stdout to logs/NAME.out, stderr to logs/NAME.err), sets
# LAST_SECONDS and LAST_PEAK_KB; fails the script if CMD fails.
timed() {
    local name="$1"; shift
    local tfile="$OUT/logs/$name.time"
    rm -f "$tfile"
    local t0 t1 rc=0
    t0="$(now)"
    if [ -n "$TIME_BIN" ]; then
        "$TIME_BIN" -v -o "$tfile" "$@" >"$OUT/logs/$name.out" 2>"$OUT/logs/$name.err" || rc=$?
    else
        "$@" >"$OUT/logs/$name.out" 2>"$OUT/logs/$name.err" || rc=$?
    fi
    t1="$(now)"
    LAST_SECONDS="$(sub "$t1" "$t0")"
    LAST_PEAK_KB="$(peak_kb "$tfile")"
    LAST_RC=$rc
}

must() {
    if [ "$LAST_RC" != 0 ]; then
        echo "bench: $1 failed (exit $LAST_RC):" >&2
        cat "$OUT/logs/$1.err" >&2
        exit 1
    fi
}

# median_spread V...: "median min max" of the values.
median_spread() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
    m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.3f %.3f %.3f", m, v[1], v[NR] }'; }

# PostgreSQL: the server's URL (PG_SERVER/postgres is the maintenance database) and the name.
case "$DB" in
    sqlite://*) BACKEND=sqlite ;;
    postgres://*|postgresql://*)
        BACKEND=postgres
        PG_SERVER="${DB%%\?*}"
        PG_NAME="${PG_SERVER##*/}"
        PG_SERVER="${PG_SERVER%/*}"
        case "$PG_NAME" in
            *bench*) ;;
            *) echo "bench: the database name in --db must contain 'bench' (it is dropped and recreated)" >&2; exit 2 ;;
        esac
        command -v psql >/dev/null || { echo "bench: psql is needed for a postgres:// --db" >&2; exit 1; }
        ;;
    *) echo "bench: --db must be sqlite://FILE or postgres://…/NAME" >&2; exit 2 ;;
esac

# pg_recreate NAME: drops and creates database NAME on the server.
pg_recreate() {
    psql "$PG_SERVER/postgres" -qc "DROP DATABASE IF EXISTS \"$1\" WITH (FORCE)" >/dev/null
    psql "$PG_SERVER/postgres" -qc "CREATE DATABASE \"$1\"" >/dev/null
}

# fresh_db: an empty database at $DB.
fresh_db() {
    case "$BACKEND" in
        sqlite)
            f="${DB#sqlite://}"
            rm -f "$f" "$f-wal" "$f-shm" "$f-journal"
            ;;
        postgres) pg_recreate "$PG_NAME" ;;
    esac
}

# ---- floor -------------------------------------------------------------------------------
FLOOR_TOOL=""
FLOOR_SCHEMA='CREATE TABLE calls (id TEXT NOT NULL, start TEXT NOT NULL, duration INTEGER NOT NULL,
    direction TEXT NOT NULL, "from" TEXT, "to" TEXT NOT NULL, customer TEXT NOT NULL, call_type TEXT);'
FLOOR_INDEXES='CREATE UNIQUE INDEX calls_id ON calls (id); CREATE INDEX calls_customer_start ON calls (customer, start);'
if [ "$BACKEND" = sqlite ] && [ -n "$SQLITE3" ]; then
    FLOOR_TOOL="sqlite3 .import"
elif [ "$BACKEND" = postgres ]; then
    FLOOR_TOOL="psql \copy"
fi

# floor VARIANT: loads $DATA/cdrs.csv into a fresh floor table, indexed or plain, with the
# commands of docs/performance.md run where cdrs.csv is; sets LAST_SECONDS and LAST_PEAK_KB.
floor() {
    local variant="$1" schema="$FLOOR_SCHEMA" fdb loaded
    [ "$variant" = indexed ] && schema="$schema $FLOOR_INDEXES"
    cd "$DATA"
    if [ "$BACKEND" = sqlite ]; then
        fdb="$OUT/floor-$variant.db"
        rm -f "$fdb" "$fdb-journal" "$fdb-wal"
        "$SQLITE3" "$fdb" "$schema"
        sync
        timed "floor_$variant" "$SQLITE3" "$fdb" -cmd ".mode csv" "PRAGMA cache_size=-262144" \
            "BEGIN" ".import --skip 1 cdrs.csv calls" "COMMIT"
        loaded="$("$SQLITE3" "$fdb" 'SELECT count(*) FROM calls')"
    else
        fdb="$PG_SERVER/${PG_NAME}_floor"
        pg_recreate "${PG_NAME}_floor"
        psql "$fdb" -qc "$schema" >/dev/null
        timed "floor_$variant" psql "$fdb" -qc "\copy calls FROM 'cdrs.csv' CSV HEADER"
        loaded="$(psql "$fdb" -qAtc 'SELECT count(*) FROM calls')"
    fi
    cd - >/dev/null
    must "floor_$variant"
    [ "$loaded" = "$CALLS" ] || { echo "bench: the floor loaded $loaded rows, expected $CALLS" >&2; exit 1; }
}

# ---- per shape: data, meter's imports and the floor, one after the other --------------------
# Each import goes into a fresh database; the last one is invoiced below. Runs alternate between
# meter and the floor, so that both see the same machine.
SUMMARY=()
for shape in "${SHAPE_LIST[@]}"; do
    # The bench shape's data stays where earlier versions of this script put it.
    if [ "$shape" = bench ]; then DATA="$OUT"; else DATA="$OUT/$shape"; fi
    rel="${DATA#"$ROOT/"}"
    echo "generating: scripts/bench_gen.py --out $rel --shape $shape --calls $CALLS --customers $CUSTOMERS --prefixes $PREFIXES --seed $SEED"
    "$PY" "$ROOT/scripts/bench_gen.py" --out "$DATA" --shape "$shape" --calls "$CALLS" --customers "$CUSTOMERS" \
        --prefixes "$PREFIXES" --seed "$SEED"
    CDRS="$DATA/cdrs.csv"
    RATE_ROWS=$(($(wc -l <"$DATA/rates.csv") - 1))
    IMPORT_RUNS=() FLOOR_RUNS=()
    FLOOR_PEAK_KB=""
    for run in $(seq 1 "$REPEAT"); do
        fresh_db
        sync
        for stage in plans customers rates cdrs; do
            echo "running: meter $stage import $rel/$stage.csv (run $run of $REPEAT)"
            timed "import_$stage" "$METER" --db "$DB" "$stage" import "$DATA/$stage.csv" --format json
            must "import_$stage"
            case $stage in
                plans) rows=1 ;;
                customers) rows=$CUSTOMERS ;;
                rates) rows=$RATE_ROWS ;;
                cdrs) rows=$CALLS ;;
            esac
            imported="$("$PY" -c 'import json,sys; print(json.load(sys.stdin)["imported"])' <"$OUT/logs/import_$stage.out")"
            if [ "$imported" != "$rows" ]; then
                echo "bench: meter $stage import imported $imported, expected $rows" >&2
                cat "$OUT/logs/import_$stage.out" >&2
                exit 1
            fi
            if [ "$stage" = cdrs ]; then
                IMPORT_RUNS+=("$LAST_SECONDS")
                IMPORT_PEAK_KB="$LAST_PEAK_KB"
            elif [ "$run" = 1 ] && [ "$shape" = "${SHAPE_LIST[0]}" ]; then
                record "import $stage" "$rows" "$LAST_SECONDS" "$LAST_PEAK_KB"
            fi
        done
        if [ -n "$FLOOR_TOOL" ]; then
            echo "running: $FLOOR_TOOL of $rel/cdrs.csv (the floor, run $run of $REPEAT)"
            floor indexed
            FLOOR_RUNS+=("$LAST_SECONDS")
            FLOOR_PEAK_KB="$LAST_PEAK_KB"
        fi
    done
    read -r IMPORT_SECONDS IMPORT_MIN IMPORT_MAX <<<"$(median_spread "${IMPORT_RUNS[@]}")"
    record "import cdrs, $shape (median of ${#IMPORT_RUNS[@]})" "$CALLS" "$IMPORT_SECONDS" "$IMPORT_PEAK_KB"
    if [ -n "$FLOOR_TOOL" ]; then
        read -r FLOOR_SECONDS FLOOR_MIN FLOOR_MAX <<<"$(median_spread "${FLOOR_RUNS[@]}")"
        record "floor, $shape: $FLOOR_TOOL (indexed, median of ${#FLOOR_RUNS[@]})" "$CALLS" "$FLOOR_SECONDS" "${FLOOR_PEAK_KB:-}"
        echo "running: $FLOOR_TOOL of $rel/cdrs.csv without indexes"
        floor plain
        record "floor, $shape: $FLOOR_TOOL (no index)" "$CALLS" "$LAST_SECONDS" "${LAST_PEAK_KB:-}"
        SUMMARY+=("$(FLOOR_TOOL="$FLOOR_TOOL" awk -v s="$shape" -v m="$IMPORT_SECONDS" -v f="$FLOOR_SECONDS" \
            -v r="meter ${IMPORT_MIN}-${IMPORT_MAX} s, floor ${FLOOR_MIN}-${FLOOR_MAX} s" 'BEGIN {
            printf "cdrs import / floor (%s, indexed), %s: %.2f s / %.2f s = %.2fx  (spread: %s)", ENVIRON["FLOOR_TOOL"], s, m, f, m / f, r }')")
    else
        SUMMARY+=("cdrs import, $shape: $IMPORT_SECONDS s (${IMPORT_MIN}-${IMPORT_MAX} s); floor not measured (no sqlite3 CLI)")
    fi
done
if [ "$BACKEND" = postgres ] && [ -n "$FLOOR_TOOL" ]; then
    psql "$PG_SERVER/postgres" -qc "DROP DATABASE IF EXISTS \"${PG_NAME}_floor\"" >/dev/null
fi
mapfile -t CUSTOMER_IDS < <(tail -n +2 "$DATA/customers.csv" | cut -d, -f1)

invoices=0
nothing=0
SCALE=""
if [ "$INVOICES" = 1 ]; then
    # ---- invoices: one per customer, sequentially -------------------------------------------
    echo "running: meter invoice create --customer ID --from 2026-10-01 --to 2026-10-31 --format json, for $CUSTOMERS customers"
    rm -f "$OUT"/invoices/*.json
    inv_total=0
    inv_peak=0
    for c in "${CUSTOMER_IDS[@]}"; do
        timed "invoice" "$METER" --db "$DB" invoice create --customer "$c" --from 2026-10-01 --to 2026-10-31 --format json
        if [ "$LAST_RC" = 1 ] && [ ! -s "$OUT/logs/invoice.out" ]; then
            nothing=$((nothing + 1))  # nothing to bill (only with tiny --calls)
        else
            must invoice
            cp "$OUT/logs/invoice.out" "$OUT/invoices/$c.json"
        fi
        inv_total="$(awk -v a="$inv_total" -v b="$LAST_SECONDS" 'BEGIN { printf "%.3f", a + b }')"
        if [ -n "$LAST_PEAK_KB" ] && [ "$LAST_PEAK_KB" -gt "$inv_peak" ]; then inv_peak="$LAST_PEAK_KB"; fi
    done
    # Calls billed, and what the invoices add up to (a sanity check that there was real work).
    read -r billed invoices <<<"$("$PY" - "$OUT/invoices" <<'EOF'
import json, os, sys
d = sys.argv[1]
calls = n = 0
for f in sorted(os.listdir(d)):
    doc = json.load(open(os.path.join(d, f)))
    n += 1
    calls += sum(l.get("calls", 0) for l in doc["lines"] if l.get("kind") == "usage")
print(calls, n)
EOF
    )"
    [ "$inv_peak" = 0 ] && inv_peak=""
    record "invoice create, $CUSTOMERS customers (calls billed)" "$billed" "$inv_total" "$inv_peak"

    # ---- concurrent invoicing: 8 customers one after another, then the same 8 at once ---------
    PARALLEL=8
    if [ "$invoices" -ge "$PARALLEL" ]; then
        mapfile -t SCALE_CUSTOMERS < <(find "$OUT/invoices" -name '*.json' -printf '%f\n' | sort | head -n "$PARALLEL" | sed 's/\.json$//')
        # delete_scale_invoices: deletes the current invoices of those customers (ids in invoices/).
        # On PostgreSQL it then vacuums billed_calls, as autovacuum does on a stock server (a round
        # deletes about a fifth of the table, autovacuum's default threshold); without it, each round
        # would re-bill over the dead links of every round before, on a server with autovacuum off.
        delete_scale_invoices() {
            for c in "${SCALE_CUSTOMERS[@]}"; do
                id="$("$PY" -c 'import json,sys; print(json.load(sys.stdin)["id"])' <"$OUT/invoices/$c.json")"
                "$METER" --db "$DB" invoice delete "$id" >/dev/null
            done
            if [ "$BACKEND" = postgres ]; then psql "$DB" -qc "VACUUM billed_calls" >/dev/null; fi
            sync # the deletions' writes go to disk before the next timed phase, not during it
        }
        create_one() {
            "$METER" --db "$DB" invoice create --customer "$1" --from 2026-10-01 --to 2026-10-31 --format json \
                >"$OUT/invoices/$1.json" 2>"$OUT/logs/scale-$1.err"
        }
        # Rounds of both, alternating; the medians are reported (the ratio varies with the machine).
        ROUNDS=$((REPEAT > 5 ? REPEAT : 5))
        echo "running: invoice create for $PARALLEL customers, one after another, then all at once ($ROUNDS rounds)"
        SEQ_RUNS=() PAR_RUNS=() RATIOS=()
        for _ in $(seq 1 "$ROUNDS"); do
            delete_scale_invoices
            t0="$(now)"
            for c in "${SCALE_CUSTOMERS[@]}"; do create_one "$c"; done
            seq_s="$(sub "$(now)" "$t0")"
            delete_scale_invoices
            t0="$(now)"
            pids=()
            for c in "${SCALE_CUSTOMERS[@]}"; do create_one "$c" & pids+=($!); done
            for p in "${pids[@]}"; do
                wait "$p" || { echo "bench: a concurrent invoice create failed" >&2; cat "$OUT"/logs/scale-*.err >&2; exit 1; }
            done
            par_s="$(sub "$(now)" "$t0")"
            SEQ_RUNS+=("$seq_s") PAR_RUNS+=("$par_s")
            RATIOS+=("$(awk -v s="$seq_s" -v p="$par_s" 'BEGIN { printf "%.2f", s / p }')")
        done
        read -r SEQ_SECONDS _ _ <<<"$(median_spread "${SEQ_RUNS[@]}")"
        read -r PAR_SECONDS _ _ <<<"$(median_spread "${PAR_RUNS[@]}")"
        read -r SCALE SCALE_MIN SCALE_MAX <<<"$(median_spread "${RATIOS[@]}")"
        scale_calls="$("$PY" -c '
import json, os, sys
print(sum(l.get("calls", 0) for c in sys.argv[2:]
          for l in json.load(open(os.path.join(sys.argv[1], c + ".json")))["lines"] if l.get("kind") == "usage"))
' "$OUT/invoices" "${SCALE_CUSTOMERS[@]}")"
        record "invoice create, $PARALLEL customers one after another (median)" "$scale_calls" "$SEQ_SECONDS" ""
        record "invoice create, the same $PARALLEL at once (median)" "$scale_calls" "$PAR_SECONDS" ""
    fi
fi

# ---- report ------------------------------------------------------------------------------
echo
echo "meter benchmark: $CALLS calls, $CUSTOMERS customers, $RATE_ROWS rates, shapes $SHAPES; db $DB"
echo "machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg), $(uname -sr); meter $("$METER" --version 2>/dev/null | awk '{print $2}')${SQLITE3:+; sqlite3 $("$SQLITE3" --version | awk '{print $1}')}"
if [ "$BACKEND" = postgres ]; then echo "server: PostgreSQL $(psql "$PG_SERVER/postgres" -qAtc 'SHOW server_version')"; fi
echo
"$PY" - "$RESULTS" <<'EOF'
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
w = max(len(r[0]) for r in rows)
print(f"{'stage':<{w}} {'rows':>10} {'seconds':>9} {'rows/s':>11} {'peak RSS MB':>12}")
print("-" * (w + 46))
for stage, n, secs, kb in rows:
    n, secs = int(n), float(secs)
    rate = f"{n / secs:,.0f}" if secs > 0 else "-"
    rss = f"{int(kb) / 1024:,.1f}" if kb else "n/a"
    print(f"{stage:<{w}} {n:>10,} {secs:>9.2f} {rate:>11} {rss:>12}")
EOF
echo
printf '%s\n' "${SUMMARY[@]}"
[ -z "$FLOOR_TOOL" ] || echo "(at or under 1.00x is the aim)"
if [ -n "$SCALE" ]; then
    echo "concurrent invoicing: $PARALLEL creations one after another $SEQ_SECONDS s, all at once $PAR_SECONDS s (medians);"
    echo "  speed-up ${SCALE}x on $(nproc) CPUs, median of ${#RATIOS[@]} rounds (${SCALE_MIN}-${SCALE_MAX}x): ${RATIOS[*]}"
fi
if [ "$invoices" -gt 0 ]; then
    awk -v s="$inv_total" -v n="$CUSTOMERS" -v i="$invoices" -v c="$billed" 'BEGIN {
        printf "invoice create: %d invoices, %.0f ms per command on average (%.0f calls per invoice), process start included\n", i, 1000 * s / n, c / i }'
fi
[ -n "$TIME_BIN" ] || echo "note: peak RSS n/a because /usr/bin/time is missing (Debian package 'time')"
if [ "$nothing" -gt 0 ]; then echo "note: $nothing customers had nothing to bill"; fi
case "$BACKEND" in
    sqlite)
        f="${DB#sqlite://}"
        sizes="meter db $(du -m "$f" | cut -f1) MB"
        [ -f "$OUT/floor-indexed.db" ] && sizes="$sizes; floor db (indexed) $(du -m "$OUT/floor-indexed.db" | cut -f1) MB"
        echo "sizes ($shape): cdrs.csv $(du -m "$CDRS" | cut -f1) MB; $sizes"
        ;;
esac
echo "logs, invoices and data: bench-out/"
