#!/usr/bin/env bash
# Benchmark of `meter invoice render`, end to end (a process per render: open the database, read
# the invoice, its settings and calls, lay out, write the file): a final invoice of a few lines
# as PDF (without the call detail), many times over; and one of N billed calls as PDF with its
# call detail, as HTML and as CSV. Beside each, its floor: `invoice show` (the same invoice read
# and printed, nothing laid out) and `calls list --invoice ID --format csv` (the same calls read
# and written), in the same run. Peak memory from /usr/bin/time.
#
#   scripts/bench_render.sh [--calls N] [--renders N] [--repeat N] [--db URL] [--no-build]
#
#   --calls N     billed calls of the large invoice (default 10000)
#   --renders N   renders of the small invoice (default 50)
#   --repeat N    runs of each large render; the median is reported (default 5)
#   --db URL      a PostgreSQL database to use (dropped and recreated; default: SQLite in bench-out/)
#   --no-build    use target/release/meter as it is
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/bench-out/render"
CALLS=10000
RENDERS=50
REPEAT=5
DB=""
BUILD=1
while [ $# -gt 0 ]; do
    case "$1" in
        --calls) CALLS="${2:?--calls needs a number}"; shift 2 ;;
        --renders) RENDERS="${2:?--renders needs a number}"; shift 2 ;;
        --repeat) REPEAT="${2:?--repeat needs a number}"; shift 2 ;;
        --db) DB="${2:?--db needs a URL}"; shift 2 ;;
        --no-build) BUILD=0; shift ;;
        -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench_render: unknown option $1" >&2; exit 2 ;;
    esac
done
if [ "$BUILD" = 1 ]; then
    echo "building: cargo build --release -p meter"
    (cd "$ROOT" && cargo build --release -q -p meter)
fi
METER="$ROOT/target/release/meter"
rm -rf "$OUT"
mkdir -p "$OUT"
if [ -z "$DB" ]; then
    DB="sqlite://$OUT/render.db"
else
    base="${DB%/*}" name="${DB##*/}"
    psql "$base/postgres" -qc "DROP DATABASE IF EXISTS \"$name\"" -c "CREATE DATABASE \"$name\""
fi
export METER_DATABASE_URL="$DB" METER_TEST_NOW="2026-02-02T12:00:00Z"

# Two customers: `big` with CALLS calls in January, `small` with 60; three call types.
python3 - "$OUT" "$CALLS" <<'EOF'
import sys, random
out, n = sys.argv[1], int(sys.argv[2])
rnd = random.Random(15)
with open(f"{out}/customers.csv", "w") as f:
    f.write("id,name,timezone,billing_day,currency\n")
    f.write("big,Big Dental Group,America/New_York,1,USD\nsmall,Small Realty,America/Chicago,1,USD\n")
with open(f"{out}/rates.csv", "w") as f:
    f.write("call_type,rate,prefix,connection_fee,initial_increment,subsequent_increment,effective_from,effective_to,customer,description\n")
    f.write("domestic,0.012,,,6,6,,,,US\ninternational,0.35,,0.01,60,60,,,,World\non_net,0,,,1,1,,,,On-net\n")
with open(f"{out}/cdrs.csv", "w") as f:
    f.write("id,start,duration,direction,from,to,customer,call_type\n")
    for customer, count in (("big", n), ("small", 60)):
        for i in range(count):
            t = 1767243600 + int(i * (30 * 86400) / count)  # 2026-01-01T05:00Z to 2026-01-31T05:00Z
            day, sec = divmod(t - 1767225600, 86400)
            start = f"2026-01-{day + 1:02d}T{sec // 3600:02d}:{sec // 60 % 60:02d}:{sec % 60:02d}Z"
            kind = rnd.random()
            to = "+442079460000" if kind < 0.1 else ("1234" if kind < 0.2 else f"1{rnd.randint(2012000000, 9899999999)}")
            f.write(f"{customer}-{i:06d},{start},{rnd.randint(5, 1800)},outbound,12025550199,{to},{customer},\n")
EOF
for kind in customers rates cdrs; do
    "$METER" "$kind" import "$OUT/$kind.csv" > /dev/null
done
"$METER" settings set company_name "Northwind Voice LLC" > /dev/null
"$METER" settings set company_address "$(printf '100 Main Street, Suite 400\nSpringfield, IL 62701')" > /dev/null
"$METER" settings set logo_file "$ROOT/examples/logo.png" > /dev/null
"$METER" settings set footer "Thank you for your business." > /dev/null
"$METER" invoice create --customer big --from 2026-01-01 --to 2026-01-31 > /dev/null
"$METER" invoice create --customer small --from 2026-01-01 --to 2026-01-31 > /dev/null
"$METER" invoice finalize D-1 D-2 > /dev/null
BIG=INV-000001 SMALL=INV-000002
BILLED=$("$METER" calls list --invoice "$BIG" --format csv | tail -n +2 | wc -l)
echo "data: $BIG bills $BILLED calls, $SMALL $("$METER" calls list --invoice "$SMALL" --format csv | tail -n +2 | wc -l); $DB"

now() { date +%s.%N; }
# Seconds for N runs of a command.
timed() {
    local n=$1; shift
    local start end
    start=$(now)
    for _ in $(seq "$n"); do "$@" > /dev/null; done
    end=$(now)
    python3 -c "print(f'{$end - $start:.3f}')"
}
# The median of REPEAT runs of a command, in seconds.
median() {
    local times=()
    for _ in $(seq "$REPEAT"); do times+=("$(timed 1 "$@")"); done
    python3 -c "import statistics,sys; print(f'{statistics.median(map(float, sys.argv[1:])):.3f}')" "${times[@]}"
}
# Peak resident memory of one run, in MB.
peak() {
    /usr/bin/time -f '%M' -o "$OUT/time.txt" "$@" > /dev/null
    python3 -c "print(f'{int(open(\"$OUT/time.txt\").read().split()[-1]) / 1024:.0f}')"
}

echo
echo "small invoice ($SMALL, no call detail), $RENDERS renders each:"
pdf=$(timed "$RENDERS" "$METER" invoice render "$SMALL" --format pdf --output "$OUT/small.pdf")
html=$(timed "$RENDERS" "$METER" invoice render "$SMALL" --format html --output "$OUT/small.html")
show=$(timed "$RENDERS" "$METER" invoice show "$SMALL")
python3 - "$RENDERS" "$pdf" "$html" "$show" <<'EOF'
import sys
n, pdf, html, show = int(sys.argv[1]), *map(float, sys.argv[2:])
print(f"  pdf:  {pdf:.2f} s = {n / pdf:.1f} renders/s ({1000 * pdf / n:.1f} ms each)")
print(f"  html: {html:.2f} s = {n / html:.1f} renders/s ({1000 * html / n:.1f} ms each)")
print(f"  floor, invoice show: {show:.2f} s ({1000 * show / n:.1f} ms each); pdf/floor = {pdf / show:.2f}")
EOF

echo
echo "large invoice ($BIG, $BILLED calls), median of $REPEAT:"
pdf=$(median "$METER" invoice render "$BIG" --format pdf --output "$OUT/big.pdf" --with-calls)
html=$(median "$METER" invoice render "$BIG" --format html --output "$OUT/big.html" --with-calls)
csv=$(median "$METER" invoice render "$BIG" --format csv --output "$OUT/big.csv")
floor=$(median "$METER" calls list --invoice "$BIG" --format csv)
pages=$(pdfinfo "$OUT/big.pdf" 2>/dev/null | awk '/^Pages:/ {print $2}')
echo "  pdf with call detail: ${pdf} s ($pages pages, $(du -k "$OUT/big.pdf" | cut -f1) KB, peak $(peak "$METER" invoice render "$BIG" --format pdf --output "$OUT/big.pdf" --with-calls) MB)"
echo "  html with call detail: ${html} s ($(du -k "$OUT/big.html" | cut -f1) KB)"
echo "  csv: ${csv} s (peak $(peak "$METER" invoice render "$BIG" --format csv --output "$OUT/big.csv") MB)"
echo "  floor, calls list --invoice --format csv: ${floor} s; pdf/floor = $(python3 -c "print(f'{$pdf / $floor:.2f}')")"
