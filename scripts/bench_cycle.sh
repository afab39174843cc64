#!/usr/bin/env bash
# Benchmark of the billing cycle: one `meter cycle run` over many customers' month of calls,
# sync excluded (the customers' sources are not configured), on SQLite or PostgreSQL, with one or
# several worker processes sharing the run.
#
#   scripts/bench_cycle.sh [--customers N] [--calls N] [--db URL] [--workers LIST]
#                          [--threads N] [--no-build] [--reuse]
#
#   --customers N  customers c0, c1, … all billed on the 1st (default 1000)
#   --calls N      call records of October 2026 spread at random over them (default 10000000)
#   --db URL       database (default sqlite://bench-out/cycle/cycle.db). A postgres://…/NAME URL:
#                  NAME must contain "bench"; the script drops and recreates it, and NAME_tmpl
#                  (the imported data, copied for each run), through the server's `postgres`
#                  database with psql.
#   --workers LIST comma-separated numbers of `meter cycle run` processes started at once on
#                  the same date (default 1; more than 1 needs PostgreSQL)
#   --threads N    `cycle run --threads N`: customers each process invoices at once (default:
#                  meter's own default; SQLite invoices one at a time whatever it says)
#   --no-build     use target/release/meter as it is (default: cargo build --release first)
#   --reuse        keep the data imported by an earlier run with the same options, if any
#
# Stages: generate (scripts/bench_gen.py --shape id-order), import plans, customers, rates and
# call records (timed), then for each worker count: a fresh copy of the imported database and
# `meter cycle run --date 2026-11-01 --format json` in that many processes at once, timed from
# the first start to the last exit, with each process's peak RSS (/usr/bin/time -v). Every run is
# checked: one invoice per customer for October, every answered call of October in the
# customer's zone billed (the deck has a catch-all per call type), and
# `meter db check` clean. Everything goes to bench-out/cycle/ (gitignored).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="$ROOT/bench-out/cycle"
CUSTOMERS=1000
CALLS=10000000
WORKERS=1
THREADS=""
BUILD=1
REUSE=0
DB=""
DATE=2026-11-01

usage() { sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
    case "$1" in
        --customers) CUSTOMERS="${2:?--customers needs a number}"; shift 2 ;;
        --calls) CALLS="${2:?--calls needs a number}"; shift 2 ;;
        --db) DB="${2:?--db needs a URL}"; shift 2 ;;
        --workers) WORKERS="${2:?--workers needs a list}"; shift 2 ;;
        --threads) THREADS="${2:?--threads needs a number}"; shift 2 ;;
        --no-build) BUILD=0; shift ;;
        --reuse) REUSE=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "bench_cycle: unknown option $1" >&2; usage >&2; exit 2 ;;
    esac
done
mkdir -p "$OUT/logs"
DB="${DB:-sqlite://$OUT/cycle.db}"
unset METER_DATABASE_URL
PY="$(command -v python3)" || { echo "bench_cycle: python3 is needed" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench_cycle: /usr/bin/time is needed (Debian package 'time')" >&2; exit 1; }

case "$DB" in
    sqlite://*) BACKEND=sqlite; FILE="${DB#sqlite://}" ;;
    postgres://*|postgresql://*)
        BACKEND=postgres
        PG_SERVER="${DB%%\?*}"
        PG_NAME="${PG_SERVER##*/}"
        PG_SERVER="${PG_SERVER%/*}"
        case "$PG_NAME" in
            *bench*) ;;
            *) echo "bench_cycle: the database name in --db must contain 'bench' (it is dropped and recreated)" >&2; exit 2 ;;
        esac
        ;;
    *) echo "bench_cycle: --db must be sqlite://FILE or postgres://…/NAME" >&2; exit 2 ;;
esac
IFS=, read -r -a WORKER_LIST <<<"$WORKERS"
for w in "${WORKER_LIST[@]}"; do
    [ "$w" -ge 1 ] 2>/dev/null || { echo "bench_cycle: --workers takes whole numbers ≥ 1" >&2; exit 2; }
    [ "$w" = 1 ] || [ "$BACKEND" = postgres ] || { echo "bench_cycle: several workers need PostgreSQL" >&2; exit 2; }
done

if [ "$BUILD" = 1 ]; then
    echo "building: cargo build --release"
    (cd "$ROOT" && cargo build --release -q -p meter)
fi
METER="$ROOT/target/release/meter"

now() { date +%s.%N; }
sub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a - b }'; }
psql_admin() { psql "$PG_SERVER/postgres" -qAtc "$1" >/dev/null; }
# pg_copy FROM TO: database TO made anew as a copy of FROM.
pg_copy() {
    psql_admin "DROP DATABASE IF EXISTS \"$2\" WITH (FORCE)"
    if [ -n "$1" ]; then psql_admin "CREATE DATABASE \"$2\" TEMPLATE \"$1\""; else psql_admin "CREATE DATABASE \"$2\""; fi
}

# ---- data and imports ---------------------------------------------------------------------
if [ "$BACKEND" = sqlite ]; then
    IMPORT_DB="sqlite://$OUT/imported.db"
else
    IMPORT_DB="$PG_SERVER/${PG_NAME}_tmpl"
fi
IMPORTED="$BACKEND $IMPORT_DB $CUSTOMERS $CALLS"
if [ "$REUSE" = 1 ] && [ "$(cat "$OUT/imported.params" 2>/dev/null)" = "$IMPORTED" ]; then
    echo "reusing the data imported into $IMPORT_DB"
else
    rm -f "$OUT/imported.params"
    echo "generating: $CALLS calls for $CUSTOMERS customers (bench_gen.py --shape id-order)"
    "$PY" "$ROOT/scripts/bench_gen.py" --out "$OUT/data" --shape id-order --calls "$CALLS" --customers "$CUSTOMERS"
    if [ "$BACKEND" = sqlite ]; then
        rm -f "$OUT/imported.db" "$OUT/imported.db-wal" "$OUT/imported.db-shm"
    else
        pg_copy "" "${PG_NAME}_tmpl"
    fi
    for stage in plans customers rates cdrs; do
        t0="$(now)"
        "$METER" --db "$IMPORT_DB" "$stage" import "$OUT/data/$stage.csv" --format json >"$OUT/logs/import_$stage.out"
        echo "imported $stage in $(sub "$(now)" "$t0") s: $(tr -d " \n" <"$OUT/logs/import_$stage.out")"
    done
    if [ "$BACKEND" = postgres ]; then
        psql "$IMPORT_DB" -qc "VACUUM ANALYZE" >/dev/null
    fi
    echo "$IMPORTED" >"$OUT/imported.params"
fi

# ---- cycle runs ---------------------------------------------------------------------------
# The answered calls of October in their customer's zone: what the run must bill.
ANSWERED="$("$PY" -c 'import csv, sys, datetime, zoneinfo
zones = {r["id"]: zoneinfo.ZoneInfo(r["timezone"]) for r in csv.DictReader(open(sys.argv[2], newline=""))}
def in_october(r):
    day = r["start"][:10]
    if "2026-10-02" <= day <= "2026-10-30":
        return True
    t = datetime.datetime.fromisoformat(r["start"].replace("Z", "+00:00")).astimezone(zones[r["customer"]])
    return (t.year, t.month) == (2026, 10)
print(sum(1 for r in csv.DictReader(open(sys.argv[1], newline="")) if r["duration"] not in ("", "0") and in_october(r)))' \
    "$OUT/data/cdrs.csv" "$OUT/data/customers.csv")"
SUMMARY=()
for w in "${WORKER_LIST[@]}"; do
    if [ "$BACKEND" = sqlite ]; then
        rm -f "$FILE" "$FILE-wal" "$FILE-shm"
        cp "$OUT/imported.db" "$FILE"
    else
        pg_copy "${PG_NAME}_tmpl" "$PG_NAME"
    fi
    sync
    echo "running: meter cycle run --date $DATE in $w process(es)"
    pids=()
    t0="$(now)"
    for i in $(seq 1 "$w"); do
        /usr/bin/time -v -o "$OUT/logs/cycle_${w}_$i.time" "$METER" --db "$DB" cycle run --date "$DATE" --format json \
            ${THREADS:+--threads "$THREADS"} \
            >"$OUT/logs/cycle_${w}_$i.out" 2>"$OUT/logs/cycle_${w}_$i.err" &
        pids+=("$!")
    done
    failed=0
    for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
    seconds="$(sub "$(now)" "$t0")"
    [ "$failed" = 0 ] || { echo "bench_cycle: a cycle run failed:" >&2; cat "$OUT"/logs/cycle_"${w}"_*.err >&2; exit 1; }
    peak_mb=0
    invoiced=0
    for i in $(seq 1 "$w"); do
        kb="$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$OUT/logs/cycle_${w}_$i.time")"
        peak_mb="$(awk -v a="$peak_mb" -v b="$kb" 'BEGIN { b /= 1024; print (b > a ? b : a) }')"
        n="$("$PY" -c 'import json,sys; print(len(json.load(sys.stdin)["invoices"]))' <"$OUT/logs/cycle_${w}_$i.out")"
        invoiced=$((invoiced + n))
    done
    # Every customer invoiced once, every rated answered call billed, the database consistent.
    [ "$invoiced" = "$CUSTOMERS" ] || { echo "bench_cycle: $invoiced invoices for $CUSTOMERS customers" >&2; exit 1; }
    "$METER" --db "$DB" db check --format json >"$OUT/logs/check_$w.out" \
        || { echo "bench_cycle: db check failed after $w worker(s):" >&2; cat "$OUT/logs/check_$w.out" >&2; exit 1; }
    # The usage lines hold every answered call of October (the deck has a catch-all per type).
    billed="$("$PY" -c 'import json, sys
docs = [json.load(open(f)) for f in sys.argv[1:]]
print(sum(l.get("calls", 0) for d in docs for i in d["invoices"] for l in i["lines"] if l["kind"] == "usage"))' \
        "$OUT"/logs/cycle_"${w}"_*.out)"
    [ "$billed" = "$ANSWERED" ] || { echo "bench_cycle: $billed calls billed, $ANSWERED answered" >&2; exit 1; }
    rate="$(awk -v n="$CALLS" -v s="$seconds" 'BEGIN { printf "%.0f", n / s }')"
    SUMMARY+=("$(printf '%-9s %3s worker(s) × %s thread(s)  %8s s  %10s calls/s  peak RSS %6.0f MB  %s invoices' \
        "$BACKEND" "$w" "${THREADS:-default}" "$seconds" "$rate" "$peak_mb" "$invoiced")")
    echo "${SUMMARY[-1]}"
done

echo
echo "cycle benchmark: $CALLS calls, $CUSTOMERS customers, $DB"
echo "machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg); $("$METER" --version)"
printf '%s\n' "${SUMMARY[@]}"
