#!/usr/bin/env bash
# Benchmark of the web application and the JSON API (`meter serve`) over a store of N calls:
# the Call Details page with each filter alone, the Billing search of the customer with the most
# calls, and the sustained rate of `GET /api/v1/calls` (wrk, on loopback).
#
#   scripts/bench_web.sh [--calls N] [--customers N] [--db URL] [--repeat N] [--duration S]
#                        [--connections N] [--no-build]
#
#   --calls N        call records (default 1000000), from scripts/bench_gen.py, October 2026
#   --customers N    customers they are spread over (default 10: about 100,000 calls each)
#   --db URL         a PostgreSQL database to use (NAME must contain "bench"; dropped and
#                    recreated); default SQLite in bench-out/web/
#   --repeat N       requests per page measured; the median is reported (default 7)
#   --duration S     seconds of wrk load per endpoint (default 10)
#   --connections N  wrk's connections (default 32)
#   --no-build       use target/release/meter as it is
#
# Each page is asked once to warm it, then N times by curl in the signed-in session; the median
# of curl's time_total (request sent to last byte read) is reported, with the page's size. wrk
# runs with 2 threads beside the server on the same machine: the figure is for both on its cores.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/bench-out/web"
CALLS=1000000
CUSTOMERS=10
DB=""
REPEAT=7
DURATION=10
CONNECTIONS=32
BUILD=1
while [ $# -gt 0 ]; do
    case "$1" in
        --calls) CALLS="${2:?--calls needs a number}"; shift 2 ;;
        --customers) CUSTOMERS="${2:?--customers needs a number}"; shift 2 ;;
        --db) DB="${2:?--db needs a URL}"; shift 2 ;;
        --repeat) REPEAT="${2:?--repeat needs a number}"; shift 2 ;;
        --duration) DURATION="${2:?--duration needs seconds}"; shift 2 ;;
        --connections) CONNECTIONS="${2:?--connections needs a number}"; shift 2 ;;
        --no-build) BUILD=0; shift ;;
        -h|--help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench_web: unknown option $1" >&2; exit 2 ;;
    esac
done
command -v wrk >/dev/null || { echo "bench_web: wrk is needed (apt-get install wrk)" >&2; exit 2; }
command -v curl >/dev/null || { echo "bench_web: curl is needed" >&2; exit 2; }
if [ "$BUILD" = 1 ]; then
    echo "building: cargo build --release -p meter"
    (cd "$ROOT" && cargo build --release -q -p meter)
fi
METER="$ROOT/target/release/meter"
rm -rf "$OUT"
mkdir -p "$OUT"
if [ -z "$DB" ]; then
    DB="sqlite://$OUT/web.db"
else
    base="${DB%/*}" name="${DB##*/}"
    case "$name" in *bench*) ;; *) echo "bench_web: the database's name must contain \"bench\"" >&2; exit 2 ;; esac
    psql "$base/postgres" -qc "DROP DATABASE IF EXISTS \"$name\"" -c "CREATE DATABASE \"$name\""
fi
export METER_DATABASE_URL="$DB" METER_LOG=warn

python3 "$ROOT/scripts/bench_gen.py" --out "$OUT" --calls "$CALLS" --customers "$CUSTOMERS" >/dev/null
for what in plans customers rates; do "$METER" "$what" import "$OUT/$what.csv" >/dev/null; done
start=$(date +%s.%N)
"$METER" cdrs import "$OUT/cdrs.csv" >/dev/null
echo "imported $CALLS calls in $(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}') s ($DB)"

# The customer with the most calls is searched on Billing; the second one's October invoice gives
# the invoice filter something to find.
"$METER" calls list --format csv | python3 -c '
import csv, sys, collections
n = collections.Counter(row["customer"] for row in csv.DictReader(sys.stdin))
(top, a), (second, b) = n.most_common(2)
print(top, a, second, b)' > "$OUT/top"
read -r TOP TOP_CALLS SECOND SECOND_CALLS < "$OUT/top"
INVOICE=$("$METER" invoice create --customer "$SECOND" --from 2026-10-01 --to 2026-10-31 --format json |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')
echo "Billing searches $TOP ($TOP_CALLS calls); $SECOND's $SECOND_CALLS calls are on invoice $INVOICE"
# The planner's statistics, as autovacuum would have gathered them after a load this size.
case "$DB" in postgres*) psql "$DB" -qc "VACUUM ANALYZE" ;; esac

PASSWORD="bench password, long enough"
METER_USER_PASSWORD="$PASSWORD" "$METER" users add bench@example.com --role admin >/dev/null
TOKEN=$("$METER" tokens create --role viewer --name bench)
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"
"$METER" serve --listen "127.0.0.1:$PORT" --no-scheduler 2>"$OUT/serve.log" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf "$BASE/api/v1/openapi.json" >/dev/null && break; sleep 0.1; done

# Sign in as the browser does: the form's cookie and token, then the session cookie.
curl -s -D "$OUT/form.h" "$BASE/sign-in" > "$OUT/form.html"
FORM_COOKIE=$(grep -i '^set-cookie: meter_sign_in=' "$OUT/form.h" | sed 's/^[^:]*: //; s/;.*//')
CSRF=$(grep -o 'name="_csrf" value="[^"]*"' "$OUT/form.html" | head -1 | sed 's/.*value="//; s/"$//')
curl -s -D "$OUT/signed.h" -o /dev/null -H "Cookie: $FORM_COOKIE" \
    --data-urlencode "_csrf=$CSRF" --data-urlencode "email=bench@example.com" \
    --data-urlencode "password=$PASSWORD" --data-urlencode "next=/" "$BASE/sign-in"
SESSION=$(grep -i '^set-cookie: meter_session=' "$OUT/signed.h" | sed 's/^[^:]*: //; s/;.*//')
[ -n "$SESSION" ] || { echo "bench_web: signing in failed" >&2; exit 1; }
SOURCE=$(curl -s -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/calls?limit=1" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["calls"][0]["source"])')

# The median time of a page in the session, in ms, and its size.
page() {
    local path=$1 status
    status=$(curl -s -o "$OUT/page.html" -w '%{http_code}' -H "Cookie: $SESSION" "$BASE$path")
    [ "$status" = 200 ] || { echo "bench_web: $path answered $status" >&2; exit 1; }
    for _ in $(seq "$REPEAT"); do
        curl -s -o /dev/null -w '%{time_total}\n' -H "Cookie: $SESSION" "$BASE$path"
    done | sort -n | awk -v n="$REPEAT" -v size="$(wc -c < "$OUT/page.html")" -v path="$path" \
        '{t[NR] = $1} END {printf "  %-62s %8.1f ms  (%d bytes)\n", path, t[int((n + 1) / 2)] * 1000, size}'
}

echo "Call Details, one filter at a time (median of $REPEAT):"
page "/calls"
page "/calls?customer=$TOP"
page "/calls?from=2026-10-14&to=2026-10-14"
page "/calls?call_type=international"
page "/calls?status=unanswered"
page "/calls?invoice=$INVOICE"
page "/calls?number=4420"
page "/calls?source=$SOURCE"
echo "Billing search (median of $REPEAT):"
page "/billing?customer=$TOP&call_types=&from=2026-10-01&to=2026-10-31"

echo "GET /api/v1/calls under load (wrk, 2 threads, $CONNECTIONS connections, ${DURATION}s):"
for path in "/api/v1/calls" "/api/v1/calls?customer=$TOP" "/api/v1/calls?call_type=international"; do
    wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" -H "Authorization: Bearer $TOKEN" "$BASE$path" > "$OUT/wrk.txt"
    rate=$(awk '/^Requests\/sec/ {print $2}' "$OUT/wrk.txt")
    latency=$(awk '/^    Latency/ {print $2}' "$OUT/wrk.txt")
    errors=$(grep -E 'Non-2xx|Socket errors' "$OUT/wrk.txt" | tr -s ' ' | tr '\n' ' ' || true)
    printf "  %-62s %8s req/s  (mean latency %s) %s\n" "$path" "$rate" "$latency" "$errors"
done
