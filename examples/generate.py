#!/usr/bin/env python3
"""Generates the example data set in this directory: decks.csv, localcalling.csv, plans.csv,
customers.csv, rates.csv and cdrs.csv (November 2026, about 1,500 calls for four customers).

The output is deterministic (seeded random, no dependence on the clock or on the machine), so
re-running the script reproduces the committed files byte for byte:

    python3 examples/generate.py            # writes next to this script
    python3 examples/generate.py --out DIR  # writes somewhere else

Phone numbers are fictional: NANP numbers use the 555-01XX range reserved for fiction, UK
numbers the Ofcom drama ranges (020 7946 0xxx, 07700 900xxx).
"""

import argparse
import csv
import os
import random
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

SEED = 20261101
YEAR, MONTH, DAYS = 2026, 11, 30

# --------------------------------------------------------------------------------------------
# plans.csv
# --------------------------------------------------------------------------------------------

PLANS = [
    ("business_500", "domestic|on_net", 500, "Business 500: 500 domestic and on-net minutes a month"),
    ("tollfree_100", "toll_free|inbound", 100, "Toll-free 100: 100 toll-free and inbound minutes a month"),
]

# --------------------------------------------------------------------------------------------
# customers.csv
# --------------------------------------------------------------------------------------------

# decks.csv: named decks shared by customers (the default deck always exists).
DECKS = [
    ("wholesale", "Wholesale partners: lower domestic and UK prices"),
    ("retail", "Retail price list (no customer assigned yet)"),
]

# The deck assigned to each customer (customers.csv `deck`); the others use the default deck.
CUSTOMER_DECKS = {"lonestar": "wholesale"}

CUSTOMERS = [
    # id, name, timezone, billing_day, currency, plans, netsapiens_domain, brightlink_domain, email
    ("acme", "Acme Dental Group", "America/New_York", 1, "USD", "business_500",
     "acmedental.ns.example.net", "", "billing@acmedental.example.com"),
    ("globex", "Globex Support Center", "UTC", 1, "USD", "tollfree_100",
     "globex-support.ns.example.net", "", "ap@globex.example.com"),
    ("lonestar", "Lone Star Realty", "America/Chicago", 15, "USD", "business_500|tollfree_100",
     "lonestarrealty.ns.example.net", "lonestar.brightlink.example.com", "office@lonestarrealty.example.com"),
    ("thames", "Thames Logistics Ltd", "Europe/London", 1, "GBP", "",
     "", "thameslogistics.brightlink.example.com", "accounts@thameslogistics.example.co.uk"),
]

# --------------------------------------------------------------------------------------------
# rates.csv
# --------------------------------------------------------------------------------------------

RATE_COLUMNS = ["call_type", "prefix", "rate", "connection_fee", "initial_increment",
                "subsequent_increment", "effective_from", "effective_to", "customer", "description",
                "deck", "local_prefix"]

# (call_type, prefix, rate, connection_fee, initial, subsequent, from, to, customer, description)
RATES = [
    # Default deck: one catch-all (empty prefix) per call type.
    ("domestic", "", "0.0120", "", 6, 6, "", "", "", "US and Canada (NANP), any number"),
    ("international", "", "0.3500", "", 60, 60, "", "", "", "Rest of world"),
    ("toll_free", "", "0.0280", "", 6, 6, "", "", "", "Toll-free inbound (800/833/844/855/866/877/888)"),
    ("inbound", "", "0.0070", "", 6, 6, "", "", "", "Inbound to a local DID"),
    ("on_net", "", "0", "", "", "", "", "", "", "On-net and extension-to-extension calls"),
    ("emergency", "", "0", "", "", "", "", "", "", "911/933: never charged"),
    # NANP destinations that cost more than the mainland.
    ("domestic", "1876", "0.1750", "", 60, 60, "", "", "", "Jamaica (NANP)"),
    ("domestic", "1809", "0.1400", "", 60, 60, "", "", "", "Dominican Republic (NANP)"),
    # International by prefix; the longest prefix wins.
    ("international", "44", "0.0150", "", 60, 60, "", "", "", "United Kingdom"),
    ("international", "4420", "0.0110", "", 1, 1, "", "", "", "United Kingdom - London"),
    # A price change: UK mobile drops from 0.0550 to 0.0450 on 16 November 2026.
    ("international", "447", "0.0550", "", 60, 60, "", "2026-11-16", "", "United Kingdom - mobile (until 15 Nov)"),
    ("international", "447", "0.0450", "", 60, 60, "2026-11-16", "", "", "United Kingdom - mobile (from 16 Nov)"),
    ("international", "353", "0.0220", "", 60, 60, "", "", "", "Ireland"),
    ("international", "33", "0.0180", "", 6, 6, "", "", "", "France"),
    ("international", "336", "0.0600", "", 6, 6, "", "", "", "France - mobile"),
    ("international", "337", "0.0600", "", 6, 6, "", "", "", "France - mobile"),
    ("international", "49", "0.0190", "", 60, 60, "", "", "", "Germany"),
    ("international", "4915", "0.0800", "", 60, 60, "", "", "", "Germany - mobile"),
    ("international", "4917", "0.0800", "", 60, 60, "", "", "", "Germany - mobile"),
    ("international", "31", "0.0200", "", 60, 60, "", "", "", "Netherlands"),
    ("international", "34", "0.0160", "", 60, 60, "", "", "", "Spain"),
    ("international", "39", "0.0170", "", 60, 60, "", "", "", "Italy"),
    ("international", "52", "0.0220", "", 60, 60, "", "", "", "Mexico"),
    ("international", "5255", "0.0120", "", 1, 1, "", "", "", "Mexico - Mexico City"),
    ("international", "5281", "0.0130", "", 1, 1, "", "", "", "Mexico - Monterrey"),
    ("international", "55", "0.0350", "", 60, 60, "", "", "", "Brazil"),
    ("international", "91", "0.0340", "", 6, 6, "", "", "", "India"),
    ("international", "86", "0.0190", "", 60, 60, "", "", "", "China"),
    ("international", "81", "0.0480", "", 60, 60, "", "", "", "Japan"),
    ("international", "61", "0.0260", "", 60, 60, "", "", "", "Australia"),
    ("international", "614", "0.0650", "", 60, 60, "", "", "", "Australia - mobile"),
    ("international", "63", "0.1300", "0.0200", 30, 6, "", "", "", "Philippines"),
    ("international", "639", "0.1650", "0.0200", 30, 6, "", "", "", "Philippines - mobile"),
    ("international", "27", "0.0600", "", 60, 60, "", "", "", "South Africa"),
    ("international", "234", "0.1950", "0.0500", 60, 60, "", "", "", "Nigeria"),
    ("international", "971", "0.1900", "0.0300", 60, 60, "", "", "", "United Arab Emirates"),
    ("international", "972", "0.0550", "", 60, 60, "", "", "", "Israel"),
    # Customer-specific rates: when a customer has a rate of its own that matches, only its own
    # rates are considered for that call.
    ("domestic", "", "0.0090", "", 6, 6, "", "", "acme", "Acme contract: NANP at 0.9 cents"),
    ("domestic", "44", "0.0085", "", 1, 1, "", "", "thames", "Thames contract (GBP): UK calls"),
    ("international", "1", "0.0095", "", 1, 1, "", "", "thames", "Thames contract (GBP): US and Canada"),
]

# --------------------------------------------------------------------------------------------
# cdrs.csv
# --------------------------------------------------------------------------------------------

US_NPAS = ["212", "646", "718", "917", "312", "773", "214", "469", "713", "512",
           "305", "404", "415", "617", "206", "303", "602", "702"]
DOMESTIC_PROB_NANP_ISLAND = 0.01


def fmt_nanp(rng, npa, line, styles=("e164", "10", "paren", "dash1")):
    """A NANP number npa-555-line in one of the formats PBXs and people write."""
    style = rng.choice(styles)
    if style == "e164":
        return f"+1{npa}555{line}"
    if style == "10":
        return f"{npa}555{line}"
    if style == "paren":
        return f"({npa}) 555-{line}"
    if style == "11":
        return f"1{npa}555{line}"
    return f"1-{npa}-555-{line}"


def nanp_number(rng, npas=US_NPAS, styles=("e164", "10", "paren", "dash1")):
    return fmt_nanp(rng, rng.choice(npas), f"01{rng.randint(0, 99):02d}", styles)


def digits(rng, n):
    """n random digits, the first not 0 (subscriber numbers do not start with a trunk 0)."""
    return str(rng.randint(2, 9)) + "".join(str(rng.randint(0, 9)) for _ in range(n - 1))


# Country: (country code, [(national prefix, remaining digits, weight)], weight by customer kind)
COUNTRIES = {
    "uk": ("44", [("20 7946 0", 3, 4), ("7700 900", 3, 3), ("161 496 0", 3, 1), ("113 496 0", 3, 1)]),
    "ie": ("353", [("1 ", 7, 2), ("87 ", 7, 1)]),
    "fr": ("33", [("1 ", 8, 3), ("6 ", 8, 2), ("4 ", 8, 1)]),
    "de": ("49", [("30 ", 8, 3), ("89 ", 7, 1), ("151 ", 8, 1), ("170 ", 8, 1)]),
    "nl": ("31", [("20 ", 7, 1)]),
    "es": ("34", [("91 ", 7, 1)]),
    "it": ("39", [("02 ", 8, 1)]),
    "mx": ("52", [("55 ", 8, 4), ("81 ", 8, 2), ("33 ", 8, 1)]),
    "br": ("55", [("11 ", 9, 1)]),
    "in": ("91", [("80 ", 8, 2), ("22 ", 8, 2), ("98", 8, 1)]),
    "cn": ("86", [("21 ", 8, 1), ("10 ", 8, 1)]),
    "jp": ("81", [("3 ", 8, 1)]),
    "au": ("61", [("2 ", 8, 2), ("4", 8, 1)]),
    "ph": ("63", [("2 ", 8, 2), ("917 ", 7, 2)]),
    "ng": ("234", [("1 ", 7, 1), ("803 ", 7, 1)]),
    "za": ("27", [("11 ", 7, 1)]),
    "ae": ("971", [("4 ", 7, 1)]),
    "il": ("972", [("3 ", 7, 1)]),
    "nz": ("64", [("9 ", 7, 1)]),  # not in the deck: falls to the international catch-all
}


def intl_number(rng, country, dial_style=None):
    """An international number, written +CC ... or 011CC... (dialled from NANP)."""
    cc, ranges = COUNTRIES[country]
    national, n, _ = weighted(rng, [(r, r[2]) for r in ranges])
    body = national + digits(rng, n)
    style = dial_style or rng.choices(["plus_spaced", "plus", "011"], [5, 3, 2])[0]
    if style == "plus_spaced":
        return f"+{cc} {body}"
    compact = body.replace(" ", "")
    if style == "plus":
        return f"+{cc}{compact}"
    return f"011{cc}{compact}"


def uk_national(rng):
    """A UK number as a London PBX writes it: E.164 with spaces or compact."""
    return intl_number(rng, "uk", rng.choice(["plus_spaced", "plus"]))


def weighted(rng, pairs):
    items = [p[0] for p in pairs]
    weights = [p[1] for p in pairs]
    return rng.choices(items, weights)[0]


# Hour-of-day weights for an office: quiet nights, a morning peak, a dip at lunch, an afternoon peak.
OFFICE_HOURS = [0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.5, 2, 6, 10, 12, 11,
                7, 9, 11, 10, 8, 5, 2, 1, 0.6, 0.4, 0.3, 0.2]
# A follow-the-sun support desk (times in UTC): busy when North America and Europe are awake.
SUPPORT_HOURS = [3, 2, 1.5, 1, 1, 1, 1.5, 3, 5, 6, 6, 6,
                 6, 8, 10, 11, 11, 10, 9, 8, 7, 6, 5, 4]


def start_time(rng, tz, hours, weekend_weight):
    """A call start in November in the customer's zone, returned as an aware UTC datetime."""
    day_weights = []
    for d in range(1, DAYS + 1):
        wd = datetime(YEAR, MONTH, d).weekday()
        w = weekend_weight if wd >= 5 else 1.0
        if d == 26:  # Thanksgiving
            w *= 0.2
        day_weights.append(w)
    day = rng.choices(range(1, DAYS + 1), day_weights)[0]
    hour = rng.choices(range(24), hours)[0]
    local = datetime(YEAR, MONTH, day, hour, rng.randint(0, 59), rng.randint(0, 59), tzinfo=tz)
    return local.astimezone(timezone.utc)


def talk_seconds(rng, median, lo=1, hi=3600):
    return max(lo, min(hi, int(rng.lognormvariate(0, 0.9) * median)))


class Profile:
    """How one customer's PBX is used."""

    def __init__(self, cid, tz, calls, mix, hours, weekend, ids_by="customer"):
        self.cid = cid
        self.tz = ZoneInfo(tz)
        self.calls = calls
        self.mix = mix
        self.hours = hours
        self.weekend = weekend
        self.ids_by = ids_by


def make_call(rng, p, kind):
    """(direction, from, to, call_type, median talk seconds, answer probability)."""
    c = p.cid
    if c == "acme":
        dids = [f"+1212555{n:04d}" for n in range(100, 106)]
        exts = [str(n) for n in range(101, 125)]
    elif c == "lonestar":
        dids = [f"+1214555{n:04d}" for n in range(100, 104)] + [f"+1469555{n:04d}" for n in range(110, 113)]
        exts = [str(n) for n in range(2001, 2031)]
    elif c == "globex":
        dids = ["+13035550100", "+13035550101"]
        exts = [str(n) for n in range(4001, 4061)]
    else:  # thames
        dids = [f"+44 20 7946 {n:04d}" for n in range(10, 16)]
        exts = [str(n) for n in range(300, 340)]
    did = rng.choice(dids)
    did_written = did
    if did.startswith("+1") and rng.random() < 0.3:
        did_written = did[2:]  # some PBXs drop the +1 on the called DID

    if kind == "inbound":
        if c == "thames":
            caller = uk_national(rng) if rng.random() < 0.85 else intl_number(rng, rng.choice(["ie", "fr", "de", "nl"]), "plus")
        else:
            caller = nanp_number(rng, styles=("e164", "e164", "10", "11"))
        if rng.random() < 0.03:
            caller = ""  # withheld caller id
        return "inbound", caller, did_written, "", 150, 0.9
    if kind == "toll_free":
        tfns = {"acme": ["1-800-555-0142"], "lonestar": ["+18885550142", "1-800-555-0199"],
                "globex": ["+18005550123", "+18775550166", "8665550110"]}[c]
        caller = nanp_number(rng, styles=("e164", "e164", "10"))
        if rng.random() < 0.04:
            caller = ""
        return "inbound", caller, rng.choice(tfns), "", 260 if c == "globex" else 180, 0.9
    if kind == "domestic":
        if rng.random() < DOMESTIC_PROB_NANP_ISLAND:
            to = fmt_nanp(rng, rng.choice(["876", "809"]), f"01{rng.randint(0, 99):02d}", ("e164", "dash1"))
        else:
            to = nanp_number(rng)
        return "outbound", rng.choice(dids), to, "", 140, 0.8
    if kind == "international":
        dests = {
            "acme": [("uk", 4), ("ie", 1), ("fr", 1), ("de", 1), ("it", 1), ("il", 1), ("nz", 1)],
            "lonestar": [("mx", 8), ("uk", 1), ("br", 1), ("in", 1), ("za", 1)],
            "globex": [("in", 5), ("ph", 5), ("uk", 3), ("au", 1), ("jp", 1), ("cn", 1), ("ng", 1), ("ae", 1)],
        }[c]
        return "outbound", rng.choice(dids), intl_number(rng, weighted(rng, dests)), "", 240, 0.75
    if kind == "internal":
        a, b = rng.sample(exts, 2)
        return "internal", a, b, "", 70, 0.85
    if kind == "extension_dial":  # outbound leg to a short extension: classified on_net
        return "outbound", rng.choice(dids), rng.choice(exts), "", 60, 0.85
    if kind == "uk_domestic":  # Thames: the PBX tags UK calls as domestic itself
        return "outbound", did, uk_national(rng), "domestic", 150, 0.8
    if kind == "uk_to_us":  # Thames: calls to North America are international for a UK office
        return "outbound", did, "+1" + rng.choice(US_NPAS) + "555" + f"01{rng.randint(0, 99):02d}", "international", 300, 0.75
    if kind == "uk_to_europe":
        to = intl_number(rng, weighted(rng, [("fr", 3), ("de", 3), ("nl", 2), ("ie", 2), ("es", 1), ("it", 1)]), "plus_spaced")
        return "outbound", did, to, "international", 200, 0.8
    raise ValueError(kind)


PROFILES = [
    Profile("acme", "America/New_York", 500,
            [("inbound", 38), ("domestic", 37), ("internal", 12), ("extension_dial", 3),
             ("international", 5), ("toll_free", 5)], OFFICE_HOURS, 0.1),
    Profile("lonestar", "America/Chicago", 380,
            [("inbound", 25), ("toll_free", 25), ("domestic", 33), ("internal", 8),
             ("international", 9)], OFFICE_HOURS, 0.35),
    Profile("thames", "Europe/London", 300,
            [("inbound", 35), ("uk_domestic", 38), ("uk_to_us", 8), ("uk_to_europe", 9),
             ("internal", 10)], OFFICE_HOURS, 0.05),
    Profile("globex", "UTC", 310,
            [("toll_free", 62), ("inbound", 8), ("international", 15), ("domestic", 8),
             ("internal", 7)], SUPPORT_HOURS, 0.6, ids_by="domain"),
]

# Hand-placed calls that every demo should show (customer, local time, direction, from, to,
# call_type, duration).
SPECIAL = [
    ("acme", "2026-11-09 10:42:17", "outbound", "+12125550103", "911", "", 95),  # emergency
    ("lonestar", "2026-11-04 08:05:00", "outbound", "+12145550100", "933", "", 38),  # 911 address test
    # Premium-rate calls: no rate exists for `premium`, so they show up as unrated warnings.
    ("acme", "2026-11-12 15:20:41", "outbound", "+12125550104", "1-900-555-0175", "premium", 312),
    ("acme", "2026-11-19 16:02:09", "outbound", "+12125550104", "1-900-555-0175", "premium", 185),
    ("acme", "2026-11-19 16:09:30", "outbound", "+12125550104", "1-900-555-0175", "premium", 0),
    ("lonestar", "2026-11-23 11:47:55", "outbound", "+12145550102", "(900) 555-0133", "premium", 244),
]


def generate_cdrs(rng):
    domain_of = {c[0]: c[6] or c[7] for c in CUSTOMERS}
    rows = []  # (start_utc, cid, direction, from, to, call_type, duration)
    for p in PROFILES:
        for _ in range(p.calls):
            kind = weighted(rng, p.mix)
            direction, frm, to, call_type, median, answer = make_call(rng, p, kind)
            start = start_time(rng, p.tz, p.hours, p.weekend)
            duration = talk_seconds(rng, median) if rng.random() < answer else 0
            rows.append((start, p.cid, direction, frm, to, call_type, duration))
    tzs = {p.cid: p.tz for p in PROFILES}
    for cid, local, direction, frm, to, call_type, duration in SPECIAL:
        start = datetime.fromisoformat(local).replace(tzinfo=tzs[cid]).astimezone(timezone.utc)
        rows.append((start, cid, direction, frm, to, call_type, duration))
    rows.sort(key=lambda r: (r[0], r[1], r[3], r[4]))
    by_domain = {p.cid for p in PROFILES if p.ids_by == "domain"}
    out = []
    for i, (start, cid, direction, frm, to, call_type, duration) in enumerate(rows, 1):
        # Globex's records come from its PBX export keyed by domain, not by our customer id.
        customer, domain = ("", domain_of[cid]) if cid in by_domain else (cid, "")
        out.append([f"n26-{i:05d}", start.strftime("%Y-%m-%dT%H:%M:%SZ"), duration, direction,
                    frm, to, customer, domain, call_type])
    return out


# Rates of named decks and rates by the caller's side:
# (call_type, prefix, rate, connection_fee, initial, subsequent, from, to, customer, description,
#  deck, local_prefix)
MORE_RATES = [
    ("domestic", "", "0.0060", "", 6, 6, "", "", "", "Wholesale: US and Canada", "wholesale", ""),
    ("international", "44", "0.0100", "", 60, 60, "", "", "", "Wholesale: United Kingdom", "wholesale", ""),
    ("domestic", "", "0.0150", "", 60, 60, "", "", "", "Retail: US and Canada", "retail", ""),
    # Local calls (same exchange, or a pair of localcalling.csv): cheap, but a connection fee.
    ("local", "", "0.0020", "0.0100", 60, 60, "", "", "", "Local calls", "", ""),
    # Calls from the Dallas exchanges to Jamaica go over a cheaper route.
    ("domestic", "1876", "0.1200", "", 60, 60, "", "", "", "Jamaica (NANP) from Dallas", "", "1214"),
]

# localcalling.csv: (caller's NPA-NXX, NPA-NXX reached as a local call); directional.
LOCAL_CALLING = [
    ("212555", "646555"), ("212555", "917555"), ("212555", "718555"),
    ("646555", "212555"), ("917555", "212555"),
    ("214555", "469555"), ("214555", "972555"), ("469555", "214555"), ("972555", "214555"),
]


def write_csv(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.dirname(os.path.abspath(__file__)), help="output directory")
    ap.add_argument("--seed", type=int, default=SEED)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rng = random.Random(args.seed)

    write_csv(os.path.join(args.out, "plans.csv"), ["plan", "call_types", "included_minutes", "description"], PLANS)
    write_csv(os.path.join(args.out, "decks.csv"), ["deck", "description"], DECKS)
    write_csv(os.path.join(args.out, "localcalling.csv"), ["npa_nxx", "local_npa_nxx"], LOCAL_CALLING)
    write_csv(os.path.join(args.out, "customers.csv"),
              ["id", "name", "timezone", "billing_day", "currency", "plans", "netsapiens_domain",
               "brightlink_domain", "email", "deck"],
              [c + (CUSTOMER_DECKS.get(c[0], ""),) for c in CUSTOMERS])
    write_csv(os.path.join(args.out, "rates.csv"), RATE_COLUMNS, [r + ("", "") for r in RATES] + MORE_RATES)
    cdrs = generate_cdrs(rng)
    write_csv(os.path.join(args.out, "cdrs.csv"),
              ["id", "start", "duration", "direction", "from", "to", "customer", "domain", "call_type"], cdrs)
    print(f"wrote {len(DECKS)} decks, {len(LOCAL_CALLING)} local calling pairs, {len(PLANS)} plan rows, "
          f"{len(CUSTOMERS)} customers, {len(RATES) + len(MORE_RATES)} rates, "
          f"{len(cdrs)} call records to {args.out}")


if __name__ == "__main__":
    main()
