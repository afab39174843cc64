#!/usr/bin/env bash
# Benchmark of `meter sync`: call records pulled from the NetSapiens emulator over HTTP on
# loopback into a fresh SQLite database, end to end (HTTP, JSON, mapping, store), with the peak
# memory of the meter process.
#
#   scripts/bench_sync.sh [--records N] [--api v1|v2] [--no-build]
#
#   --records N   records meter receives for the one domain (default 1000000), over 10 days
#                 (2026-10-01..2026-10-10); with v2 the emulator serves N/9 a day, since a tenth
#                 of its records are missed calls, which v2 syncs do not fetch
#   --api V       NetSapiens API generation to pin (default v2; v1 fetches missed calls too)
#   --no-build    use target/release/{meter,meter-emulator} as they are
#
# Both programs share the machine's cores: the emulator generates and serialises every record
# while meter fetches, parses and stores them, so the figure is the whole pipeline's.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/bench-out"
RECORDS=1000000
API=v2
BUILD=1
while [ $# -gt 0 ]; do
    case "$1" in
        --records) RECORDS="${2:?--records needs a number}"; shift 2 ;;
        --api) API="${2:?--api needs v1 or v2}"; shift 2 ;;
        --no-build) BUILD=0; shift ;;
        -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench_sync: unknown option $1" >&2; exit 2 ;;
    esac
done
mkdir -p "$OUT"
if [ "$BUILD" = 1 ]; then
    echo "building: cargo build --release -p meter -p emulator"
    (cd "$ROOT" && cargo build --release -q -p meter -p emulator)
fi
METER="$ROOT/target/release/meter"
EMULATOR="$ROOT/target/release/meter-emulator"
DB="sqlite://$OUT/sync.db"
rm -f "$OUT/sync.db" "$OUT/sync.db-wal" "$OUT/sync.db-shm"
if [ "$API" = v2 ]; then PER_DAY=$(( (RECORDS + 8) / 9 )); else PER_DAY=$(( (RECORDS + 9) / 10 )); fi
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

"$EMULATOR" --listen "127.0.0.1:$PORT" --seed 42 --domain "bench.example:$PER_DAY:50:UTC" \
    > "$OUT/emulator.log" 2>&1 &
EMU=$!
trap 'kill $EMU 2>/dev/null || true' EXIT
for _ in $(seq 100); do
    if (echo > "/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then break; fi
    sleep 0.1
done

export METER_DATABASE_URL="$DB" METER_SECRET_KEY_FILE="$OUT/sync.key"
rm -f "$OUT/sync.key"
printf 'id,name,timezone,netsapiens_domain\nbench,Bench Co,UTC,bench.example\n' > "$OUT/sync-customers.csv"
"$METER" customers import "$OUT/sync-customers.csv" > /dev/null
METER_SOURCE_CLIENT_SECRET=meter-demo-secret METER_SOURCE_PASSWORD=meter-demo-password \
    "$METER" sources set netsapiens --url "http://127.0.0.1:$PORT" --client-id meter-demo \
    --username meter@reseller.example.net --api-version "$API" > /dev/null 2> "$OUT/sync-set.log"

echo "running: meter sync --customer bench --from 2026-10-01 --to 2026-10-10 ($RECORDS records, NetSapiens $API)"
START=$(date +%s.%N)
/usr/bin/time -v "$METER" sync --customer bench --from 2026-10-01 --to 2026-10-10 --format json \
    > "$OUT/sync.json" 2> "$OUT/sync.time"
END=$(date +%s.%N)

python3 - "$OUT/sync.json" "$OUT/sync.time" "$START" "$END" "$DB" "$API" <<'EOF'
import json, re, sys
doc = json.load(open(sys.argv[1]))
job = doc["jobs"][0]
rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", open(sys.argv[2]).read())
secs = float(sys.argv[4]) - float(sys.argv[3])
print()
print(f"meter sync benchmark: NetSapiens {sys.argv[6]} emulator on loopback -> {sys.argv[5]}")
print(f"  job {job['id']}: {job['state']}, {job['pages']} pages, {job['received']:,} records received, "
      f"{job['imported']:,} imported, {job['skipped']:,} hidden legs skipped")
print(f"  platform count {job['platform_count']:,}, stored {job['stored_count']:,}, difference {job['difference']}")
print(f"  {secs:.2f} s: {job['received'] / secs:,.0f} records/s received, {job['imported'] / secs:,.0f} calls/s stored")
print(f"  peak RSS of meter: {int(rss.group(1)) / 1024:.1f} MB" if rss else "  peak RSS: unknown")
EOF
