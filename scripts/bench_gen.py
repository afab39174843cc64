#!/usr/bin/env python3
"""Generates benchmark data for meter: rates.csv, plans.csv, customers.csv and cdrs.csv.

    python3 scripts/bench_gen.py --out bench-out --calls 1000000

- rates.csv: a default deck of --prefixes distinct prefixes (international country-code-like
  prefixes of 2-7 digits; NANP `1NPA` and `1NPANXX` prefixes for domestic) plus one catch-all
  (empty prefix) per call type: domestic, international, toll_free, inbound, on_net, emergency.
- plans.csv: one plan (`bench_plan`: 1000 domestic+on_net minutes, 300 toll_free+inbound minutes).
- customers.csv: --customers customers cust000, cust001, ... in a mix of time zones; every other
  one has the plan.
- cdrs.csv: --calls call records for October 2026 (2026-10-01..2026-10-31, UTC), in start
  order, spread unevenly over the customers, with business-hours peaks: inbound to DIDs,
  toll-free inbound, outbound domestic in several number formats, international (+CC and 011CC),
  internal extension calls, a few 911 calls; about 8% unanswered (duration 0).

--shape id-order and --shape by-start write other call files instead, of the same columns, as
issue reports described them: --calls calls spread at random over --customers customers with ids
c0, c1, ..., between random 11-digit numbers; `id-order` in the order of their ids (r0000000,
r0000001, ...) with starts cycling over October 2026 ten times, `by-start` the same records sorted
by start. customers.csv then holds c0, c1, ...; rates.csv and plans.csv are the same.

Deterministic for a given --seed and options. Fast: number pools and lookup tables are built
once, rows are plain f-strings written through a large buffer (1,000,000 calls in a few seconds).
"""

import argparse
import math
import os
import random
import sys
import time

TOLL_FREE_NPAS = ("800", "833", "844", "855", "866", "877", "888")

# ITU country codes (without +1 NANP); deck prefixes are these, extended with digits.
COUNTRY_CODES = (
    "20 211 212 213 216 218 220 221 222 223 224 225 226 227 228 229 230 231 232 233 234 235 236 "
    "237 238 239 240 241 242 243 244 245 246 248 249 250 251 252 253 254 255 256 257 258 260 261 "
    "262 263 264 265 266 267 268 269 27 290 291 297 298 299 30 31 32 33 34 350 351 352 353 354 355 "
    "356 357 358 359 36 370 371 372 373 374 375 376 377 378 380 381 382 383 385 386 387 389 39 40 "
    "41 420 421 423 43 44 45 46 47 48 49 500 501 502 503 504 505 506 507 508 509 51 52 53 54 55 56 "
    "57 58 590 591 592 593 594 595 596 597 598 599 60 61 62 63 64 65 66 670 672 673 674 675 676 "
    "677 678 679 680 681 682 683 685 686 687 688 689 690 691 692 7 81 82 84 850 852 853 855 856 "
    "86 880 886 90 91 92 93 94 95 960 961 962 963 964 965 966 967 968 970 971 972 973 974 975 976 "
    "977 98 992 993 994 995 996 998"
).split()

TIMEZONES = (
    ("America/New_York", "USD"), ("America/Chicago", "USD"), ("America/Denver", "USD"),
    ("America/Los_Angeles", "USD"), ("America/Phoenix", "USD"), ("America/Toronto", "CAD"),
    ("Europe/London", "GBP"), ("UTC", "USD"),
)

# Business-hours profile (UTC, for a mostly North American customer base).
HOUR_WEIGHTS = (3, 2, 1.5, 1, 1, 1, 1, 1.5, 2, 3, 5, 8, 11, 13, 14, 14, 13, 14, 14, 13, 11, 8, 6, 4)


def table(rng, pairs, size=4096):
    """A lookup table of `size` entries in proportion to the weights: index it with a random int."""
    total = sum(w for _, w in pairs)
    out = []
    for v, w in pairs:
        out.extend([v] * int(round(w / total * size)))
    while len(out) < size:
        out.append(pairs[0][0])
    out = out[:size]
    rng.shuffle(out)
    return out


def npa_list(rng):
    npas = []
    for a in "23456789":
        for b in "012345678":
            for c in "0123456789":
                npa = a + b + c
                if b == c == "1" or npa in TOLL_FREE_NPAS or npa in ("900", "555", "976"):
                    continue
                if b == "1" and c == "1":
                    continue
                npas.append(npa)
    rng.shuffle(npas)
    return npas[:320]


def make_prefixes(rng, n):
    """(domestic prefixes, international prefixes), n in total, all distinct."""
    n_dom = n * 2 // 5
    n_int = n - n_dom
    npas = npa_list(rng)
    dom = ["1" + npa for npa in npas[: min(len(npas), max(1, n_dom // 10))]]
    seen = set(dom)
    npa_nxx = [(npa, nxx) for npa in npas for nxx in range(200, 1000)]
    while len(dom) < n_dom:
        npa, nxx = npa_nxx[rng.randrange(len(npa_nxx))]
        p = f"1{npa}{nxx}"
        if p not in seen:
            seen.add(p)
            dom.append(p)
    intl = []
    seen_i = set()
    for cc in COUNTRY_CODES:
        if len(cc) >= 2 and len(intl) < n_int:
            intl.append(cc)
            seen_i.add(cc)
    # Longer prefixes: a country code followed by area/mobile digits, 2 to 7 digits long.
    big = ("44", "33", "49", "52", "91", "86", "61", "81", "234", "63", "55", "39", "34", "7", "92", "20")
    attempts = 0
    while len(intl) < n_int:
        attempts += 1
        cc = big[rng.randrange(len(big))] if rng.random() < 0.5 else COUNTRY_CODES[rng.randrange(len(COUNTRY_CODES))]
        length = rng.randint(max(len(cc) + 1, 3), 7)
        p = cc + "".join(str(rng.randint(0, 9)) for _ in range(length - len(cc)))
        if p not in seen_i:
            seen_i.add(p)
            intl.append(p)
        if attempts > 50 * n_int + 1000:
            sys.exit(f"bench_gen: cannot make {n_int} distinct international prefixes")
    return dom, intl


def write_rates(path, rng, dom, intl):
    lines = ["call_type,prefix,rate,connection_fee,initial_increment,subsequent_increment,description\n",
             "domestic,,0.0120,,6,6,NANP catch-all\n",
             "international,,0.4500,,60,60,Rest of world\n",
             "toll_free,,0.0250,,6,6,Toll-free inbound\n",
             "inbound,,0.0070,,6,6,DID inbound\n",
             "on_net,,0,,60,60,On-net\n",
             "emergency,,0,,60,60,911\n"]
    for p in dom:
        rate = 0.004 + rng.random() * 0.03
        inc = "6,6" if rng.random() < 0.8 else "60,60"
        lines.append(f"domestic,{p},{rate:.4f},,{inc},NANP {p}\n")
    incs = ("60,60", "60,60", "1,1", "30,6", "6,6")
    for p in intl:
        rate = 0.008 * math.exp(rng.random() * 3.5)  # 0.008 .. 0.26
        fee = f"{rng.choice((0.01, 0.02, 0.05)):.2f}" if rng.random() < 0.1 else ""
        lines.append(f"international,{p},{rate:.4f},{fee},{incs[rng.randrange(len(incs))]},Intl {p}\n")
    with open(path, "w", encoding="utf-8") as f:
        f.writelines(lines)
    return len(lines) - 1


def write_plans(path):
    with open(path, "w", encoding="utf-8") as f:
        f.write("plan,call_types,included_minutes,description\n"
                "bench_plan,domestic|on_net,1000,1000 domestic and on-net minutes\n"
                "bench_plan,toll_free|inbound,300,300 toll-free and inbound minutes\n")


def write_customers(path, n):
    with open(path, "w", encoding="utf-8") as f:
        f.write("id,name,timezone,billing_day,currency,plans,netsapiens_domain,email\n")
        for i in range(n):
            tz, cur = TIMEZONES[i % len(TIMEZONES)]
            day = 15 if i % 5 == 4 else 1
            plan = "bench_plan" if i % 2 == 0 else ""
            f.write(f"cust{i:03d},Bench Customer {i:03d},{tz},{day},{cur},{plan},"
                    f"cust{i:03d}.ns.example.net,billing@cust{i:03d}.example.com\n")


def nanp_formats(npa, nxx, line):
    return (f"+1{npa}{nxx}{line}", f"{npa}{nxx}{line}", f"({npa}) {nxx}-{line}",
            f"1{npa}{nxx}{line}", f"1-{npa}-{nxx}-{line}")


def write_cdrs(path, rng, n_calls, n_customers, dom, intl, start_id=1):
    # --- number pools ----------------------------------------------------------------------
    # Domestic numbers: most in an NPA-NXX of the deck, some only in one of its NPAs.
    npanxx = [p[1:] for p in dom if len(p) == 7]
    npas = sorted({p[1:4] for p in dom})
    fmt_table = table(rng, [(0, 45), (1, 25), (2, 10), (3, 12), (4, 8)])
    dom_pool = []
    for _ in range(40000):
        if npanxx and rng.random() < 0.8:
            x = npanxx[rng.randrange(len(npanxx))]
            npa, nxx = x[:3], x[3:]
        else:
            npa, nxx = npas[rng.randrange(len(npas))], str(rng.randint(200, 999))
        line = f"{rng.randint(0, 9999):04d}"
        dom_pool.append(nanp_formats(npa, nxx, line)[fmt_table[rng.randrange(4096)]])
    callers = [f"+1{npas[rng.randrange(len(npas))]}{rng.randint(200, 999)}{rng.randint(0, 9999):04d}"
               for _ in range(40000)]
    # International numbers: a deck prefix followed by subscriber digits, 9-13 digits long.
    intl_pool = []
    for _ in range(20000):
        p = intl[rng.randrange(len(intl))]
        total = max(len(p) + 3, rng.randint(9, 13))
        num = p + "".join(str(rng.randint(0, 9)) for _ in range(total - len(p)))
        r = rng.random()
        intl_pool.append(f"+{num}" if r < 0.55 else (f"011{num}" if r < 0.85 else f"+{num[:2]} {num[2:]}"))
    tf_pool = [f"+1{tf}{rng.randint(200, 999)}{rng.randint(0, 9999):04d}" for tf in TOLL_FREE_NPAS for _ in range(40)]
    tf_pool += [f"1-{tf}-{rng.randint(200, 999)}-{rng.randint(0, 9999):04d}" for tf in TOLL_FREE_NPAS for _ in range(10)]

    # --- per-customer numbers ---------------------------------------------------------------
    cust_ids = [f"cust{i:03d}" for i in range(n_customers)]
    dids = []
    tfns = []
    exts = []
    for i in range(n_customers):
        npa = npas[rng.randrange(len(npas))]
        nxx = rng.randint(200, 999)
        dids.append([f"+1{npa}{nxx}{rng.randint(0, 9999):04d}" for _ in range(8)])
        tfns.append([tf_pool[rng.randrange(len(tf_pool))] for _ in range(2)])
        base = rng.choice((100, 200, 1000, 2000, 4000))
        exts.append([str(base + k) for k in range(60)])
    # Customers are not all the same size: weights from 1 down to about 1/6.
    cust_table = table(rng, [(i, 1.0 / (1 + i / 20)) for i in range(n_customers)], 8192)

    # Kinds of call: (kind, weight).
    kinds = table(rng, [("in", 30), ("tf", 8), ("dom", 40), ("intl", 9), ("int", 10), ("ext", 2.9), ("911", 0.1)], 8192)
    # Talk time (seconds): log-normal around 2 minutes, capped at 2 hours.
    dur_table = [max(1, min(7200, int(rng.lognormvariate(math.log(110), 1.0)))) for _ in range(65536)]
    unanswered = int(0.08 * 65536)

    # --- start times in order: per day, sorted seconds with business-hours peaks ------------
    days = 31
    day_w = []
    for d in range(days):
        wd = (3 + d) % 7  # 2026-10-01 is a Thursday (0 = Monday)
        day_w.append(0.3 if wd >= 5 else 1.0)
    tw = sum(day_w)
    per_day = [int(n_calls * w / tw) for w in day_w]
    per_day[-1] += n_calls - sum(per_day)
    hour_table = table(rng, list(enumerate(HOUR_WEIGHTS)), 4096)

    rnd = rng.random
    rrange = rng.randrange
    getbits = rng.getrandbits
    out = open(path, "w", encoding="utf-8", buffering=1 << 22)
    out.write("id,start,duration,direction,from,to,customer,call_type\n")
    seq = start_id
    n_dom, n_callers, n_intl = len(dom_pool), len(callers), len(intl_pool)
    for d in range(days):
        secs = sorted(hour_table[getbits(12)] * 3600 + rrange(3600) for _ in range(per_day[d]))
        date = f"2026-10-{d + 1:02d}T"
        buf = []
        for s in secs:
            h, rem = divmod(s, 3600)
            m, sec = divmod(rem, 60)
            c = cust_table[getbits(13)]
            cid = cust_ids[c]
            kind = kinds[getbits(13)]
            r = getbits(16)
            dur = 0 if r < unanswered else dur_table[r]
            did = dids[c][getbits(3)]
            if kind == "dom":
                row = f"outbound,{did},{dom_pool[rrange(n_dom)]},{cid},"
            elif kind == "in":
                frm = callers[rrange(n_callers)] if r & 63 else ""  # ~1.5% withheld caller id
                row = f"inbound,{frm},{did[2:] if r & 4 else did},{cid},"
            elif kind == "int":
                e = exts[c]
                row = f"internal,{e[rrange(60)]},{e[rrange(60)]},{cid},"
            elif kind == "intl":
                row = f"outbound,{did},{intl_pool[rrange(n_intl)]},{cid},"
                dur = dur * 2 if dur else 0
            elif kind == "tf":
                row = f"inbound,{callers[rrange(n_callers)]},{tfns[c][r & 1]},{cid},"
            elif kind == "ext":
                row = f"outbound,{did},{exts[c][rrange(60)]},{cid},"
            else:
                row = f"outbound,{did},911,{cid},"
            buf.append(f"c{seq:08d},{date}{h:02d}:{m:02d}:{sec:02d}Z,{dur},{row}\n")
            seq += 1
        out.write("".join(buf))
    out.close()
    return seq - start_id


def write_plain_customers(path, n):
    """customers.csv for the id-order and by-start shapes: c0, c1, ..."""
    with open(path, "w", encoding="utf-8") as f:
        f.write("id,name,timezone,billing_day,currency,plans,netsapiens_domain,email\n")
        for i in range(n):
            tz, cur = TIMEZONES[i % len(TIMEZONES)]
            plan = "bench_plan" if i % 2 == 0 else ""
            f.write(f"c{i},Customer {i},{tz},1,{cur},{plan},c{i}.ns.example.net,billing@c{i}.example.com\n")


def write_plain_cdrs(path, rng, n_calls, n_customers, by_start):
    """The id-order or by-start call file (see the module docstring)."""
    month = 31 * 86400
    cycle = max(1, n_calls // 10)  # records per pass over the month
    width = len(str(max(n_calls - 1, 0)))
    rrange = rng.randrange
    rows = []
    for i in range(n_calls):
        start = (i % cycle) * month // cycle + rrange(max(1, month // cycle))
        dur = 0 if rrange(100) < 8 else rrange(1, 1200)
        direction = "outbound" if rrange(3) else "inbound"
        rows.append((start, f"r{i:0{width}d}", dur, direction, rrange(10**10, 10**11), rrange(10**10, 10**11),
                     rrange(n_customers)))
    if by_start:
        rows.sort(key=lambda r: r[0])  # stable: ties stay in id order
    with open(path, "w", encoding="utf-8", buffering=1 << 22) as out:
        out.write("id,start,duration,direction,from,to,customer,call_type\n")
        for start, cid, dur, direction, frm, to, cust in rows:
            d, rem = divmod(start, 86400)
            h, rem = divmod(rem, 3600)
            m, sec = divmod(rem, 60)
            out.write(f"{cid},2026-10-{d + 1:02d}T{h:02d}:{m:02d}:{sec:02d}Z,{dur},{direction},{frm},{to},c{cust},\n")
    return n_calls


def main():
    ap = argparse.ArgumentParser(description="Generate meter benchmark data (see the module docstring).")
    ap.add_argument("--out", default="bench-out", help="output directory (created; default bench-out)")
    ap.add_argument("--calls", type=int, default=1_000_000, help="call records (default 1,000,000)")
    ap.add_argument("--customers", type=int, default=100, help="customers (default 100)")
    ap.add_argument("--prefixes", type=int, default=10_000, help="distinct deck prefixes (default 10,000)")
    ap.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    ap.add_argument("--shape", choices=("bench", "id-order", "by-start"), default="bench",
                    help="the call file: bench (default), id-order or by-start (see the module docstring)")
    args = ap.parse_args()
    # The bench shape names customers cust000..cust999; the others c0, c1, … without a limit.
    if args.shape == "bench" and not 1 <= args.customers <= 1000:
        ap.error("--customers must be 1..1000 for --shape bench")
    if args.customers < 1:
        ap.error("--customers must be at least 1")
    if args.prefixes < 10 or args.calls < 0:
        ap.error("--prefixes must be at least 10 and --calls at least 0")
    os.makedirs(args.out, exist_ok=True)
    t0 = time.perf_counter()
    rng = random.Random(args.seed)
    dom, intl = make_prefixes(rng, args.prefixes)
    n_rates = write_rates(os.path.join(args.out, "rates.csv"), rng, dom, intl)
    write_plans(os.path.join(args.out, "plans.csv"))
    customers, cdrs = os.path.join(args.out, "customers.csv"), os.path.join(args.out, "cdrs.csv")
    if args.shape == "bench":
        write_customers(customers, args.customers)
        n = write_cdrs(cdrs, rng, args.calls, args.customers, dom, intl)
    else:
        write_plain_customers(customers, args.customers)
        n = write_plain_cdrs(cdrs, rng, args.calls, args.customers, args.shape == "by-start")
    size = os.path.getsize(os.path.join(args.out, "cdrs.csv"))
    print(f"bench_gen: {n_rates} rates ({len(dom)} domestic + {len(intl)} international prefixes + catch-alls), "
          f"1 plan, {args.customers} customers, {n} calls ({args.shape}, {size / 1e6:.1f} MB) in {args.out} "
          f"[{time.perf_counter() - t0:.1f} s]")


if __name__ == "__main__":
    main()
