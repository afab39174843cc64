//! "A call is billed at most once, whatever runs at the same time" (contract sections 4 and 5),
//! checked with real `meter invoice create` processes started together on overlapping ranges of
//! one customer, then audited through `calls list`, `invoice show` and `db check`, on SQLite and
//! on PostgreSQL.

mod common;

use common::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

on_both_backends! {
    two_concurrent_overlapping_invoices_bill_each_call_once,
    six_concurrent_overlapping_invoices_bill_each_call_once_across_two_periods,
    deleting_an_invoice_releases_its_calls_and_gives_the_allowance_back,
}

/// The standard allowances (see `common::STANDARD_PLANS`): call types and seconds per period.
fn standard_allowances() -> Vec<(&'static [&'static str], u64)> {
    vec![(&["domestic", "on_net"][..], 100 * 60), (&["international"][..], 10 * 60)]
}

/// Starts one `meter invoice create --format json` per range at the same time, then waits
/// for all of them.
fn create_concurrently(env: &Env, customer: &str, ranges: &[(&str, &str)]) -> Vec<Run> {
    let children: Vec<_> = ranges
        .iter()
        .map(|(from, to)| {
            let args = ["invoice", "create", "--customer", customer, "--from", from, "--to", to, "--format", "json"];
            let child = env.command(&args).spawn().expect("starting meter");
            (args.iter().map(|s| s.to_string()).collect::<Vec<_>>(), child)
        })
        .collect();
    children
        .into_iter()
        .map(|(args, child)| Run::from_output(args, child.wait_with_output().expect("waiting for meter")))
        .collect()
}

/// Whether a UTC date `YYYY-MM-DD` lies in `from..=to`.
fn in_range(date: &str, from: &str, to: &str) -> bool {
    from <= date && date <= to
}

/// The billing period (billing day 1, UTC) of a date: its month, `YYYY-MM`.
fn period_of(date: &str) -> &str {
    &date[..7]
}

/// The audit of one customer's billing after concurrent creations.
struct Audit {
    calls: Vec<Listed>,
    /// Invoice id → its document from `invoice show`.
    invoices: BTreeMap<String, Value>,
}

impl Audit {
    /// Reads every call of the customer and every invoice created.
    fn read(env: &Env, customer: &str, created: &[String]) -> Audit {
        let calls: Vec<Listed> = env.calls(customer).iter().map(Listed::of).collect();
        let invoices = created.iter().map(|id| (id.clone(), env.show(id))).collect();
        Audit { calls, invoices }
    }

    fn billed(&self) -> impl Iterator<Item = &Listed> {
        self.calls.iter().filter(|c| c.status == "billed")
    }

    /// Checks that no call is on two invoices and that the invoices' lines add up to exactly
    /// the calls that name them.
    fn check_each_call_on_one_invoice(&self) {
        let mut per_invoice: BTreeMap<&str, Vec<&Listed>> = BTreeMap::new();
        let mut seen_ids = BTreeSet::new();
        for c in &self.calls {
            assert!(seen_ids.insert(&c.id), "call {} is listed twice", c.id);
            match (&c.invoice, c.status.as_str()) {
                (Some(inv), "billed") => {
                    assert!(self.invoices.contains_key(inv), "call {} is on {inv}, which no creation returned", c.id);
                    per_invoice.entry(inv).or_default().push(c);
                }
                (None, "billed") => panic!("billed call {} has no invoice", c.id),
                (Some(inv), status) => panic!("{status} call {} names invoice {inv}", c.id),
                (None, _) => {}
            }
        }
        let mut total_line_calls = 0;
        for (id, doc) in &self.invoices {
            assert_eq!(doc["id"], id.as_str());
            assert_eq!(doc["status"], "draft");
            let on_it = per_invoice.get(id.as_str()).map(Vec::as_slice).unwrap_or(&[]);
            let line_calls = line_sums(doc, "calls");
            let line_billable = line_sums(doc, "billable_seconds");
            let line_included = line_sums(doc, "included_seconds");
            let line_charged = line_sums(doc, "charged_seconds");
            let sum: u64 = line_calls.values().sum();
            assert_eq!(sum as usize, on_it.len(), "{id}: its lines count {sum} calls, {} calls name it", on_it.len());
            total_line_calls += sum;
            // Per call type, the lines hold exactly the calls that name the invoice.
            let mut by_type: BTreeMap<String, (u64, u64)> = BTreeMap::new();
            for c in on_it {
                assert!(
                    in_range(c.date(), doc["from"].as_str().expect("from"), doc["to"].as_str().expect("to")),
                    "call {} of {} is outside the range of {id}",
                    c.id,
                    c.start
                );
                let e = by_type.entry(c.call_type.clone()).or_default();
                e.0 += 1;
                e.1 += c.billable_seconds.expect("a billed call has billable seconds");
            }
            let counted: BTreeMap<String, u64> = by_type.iter().map(|(t, v)| (t.clone(), v.0)).collect();
            let billable: BTreeMap<String, u64> = by_type.iter().map(|(t, v)| (t.clone(), v.1)).collect();
            assert_eq!(line_calls, counted, "{id}: calls per line differ from the calls that name it");
            assert_eq!(line_billable, billable, "{id}: billable seconds per line differ from its calls'");
            for (t, b) in &line_billable {
                assert_eq!(line_included[t] + line_charged[t], *b, "{id} {t}: included + charged != billable");
            }
            // The included seconds per type are the sums of the calls' own (derived from charges).
            let mut included: BTreeMap<String, u64> = BTreeMap::new();
            for c in on_it {
                *included.entry(c.call_type.clone()).or_default() += included_of(c);
            }
            assert_eq!(line_included, included, "{id}: included seconds per line differ from its calls'");
        }
        assert_eq!(
            total_line_calls as usize,
            self.billed().count(),
            "the invoices' lines count {total_line_calls} calls, {} calls are billed",
            self.billed().count()
        );
    }

    /// Checks that every answered call with a rate that starts in `from..=to` is billed, that
    /// no call outside it is, and that unanswered and unrated calls are not.
    fn check_range_fully_billed(&self, data: &[Cdr], from: &str, to: &str) {
        let by_id: BTreeMap<&str, &Listed> = self.calls.iter().map(|c| (c.id.as_str(), c)).collect();
        assert_eq!(by_id.len(), data.len(), "calls list does not show every imported call");
        let mut expected_billed = 0;
        for d in data {
            let c = by_id[d.id.as_str()];
            let rated = standard_price_e4_per_second(d.expected_type()).is_some();
            let want = match (d.duration > 0, rated, in_range(&d.start[..10], from, to)) {
                (false, _, _) => "unanswered",
                (true, false, _) => "unrated",
                (true, true, true) => {
                    expected_billed += 1;
                    "billed"
                }
                (true, true, false) => "unbilled",
            };
            assert_eq!(c.status, want, "call {} ({} {} s {}): {:?}", d.id, d.start, d.duration, d.expected_type(), c);
            if want == "billed" {
                assert_eq!(c.call_type, d.expected_type(), "call {}", d.id);
                assert_eq!(c.billable_seconds, Some(u64::from(d.duration)), "per-second billing, call {}", d.id);
            }
        }
        assert_eq!(self.billed().count(), expected_billed);
        assert!(expected_billed > 0);
    }

    /// Checks that, over all invoices, no allowance gives more than its seconds, neither in
    /// total on the invoices' lines nor per billing period on the calls; and, where the usage of
    /// a period exceeds the allowance, that the allowance was used up (nothing was lost).
    fn check_allowances(&self, allowances: &[(&[&str], u64)]) {
        for (types, seconds) in allowances {
            let covered = |t: &str| types.contains(&t);
            // Over all invoices' lines.
            let on_lines: u64 = self
                .invoices
                .values()
                .flat_map(|doc| doc["lines"].as_array().expect("lines").iter())
                .filter(|l| covered(l["call_type"].as_str().expect("call type")))
                .map(|l| l["included_seconds"].as_u64().expect("included_seconds"))
                .sum();
            let periods: BTreeSet<&str> = self.billed().map(|c| period_of(c.date())).collect();
            assert!(
                on_lines <= seconds * periods.len() as u64,
                "{types:?}: {on_lines} s included over {} period(s), the allowance is {seconds} s each",
                periods.len()
            );
            // Per period, on the calls.
            for period in periods {
                let calls: Vec<&Listed> =
                    self.billed().filter(|c| period_of(c.date()) == period && covered(&c.call_type)).collect();
                let included: u64 = calls.iter().map(|c| included_of(c)).sum();
                let usage: u64 = calls.iter().map(|c| c.billable_seconds.unwrap_or(0)).sum();
                assert!(
                    included <= *seconds,
                    "{types:?} in {period}: {included} s included, the allowance is {seconds} s"
                );
                assert_eq!(
                    included,
                    usage.min(*seconds),
                    "{types:?} in {period}: usage {usage} s, allowance {seconds} s, but {included} s included"
                );
            }
        }
    }
}

/// A billed call's included seconds, derived from its charge: the standard deck has no
/// connection fees and exact per-second prices, so charged seconds = charge / price.
fn included_of(c: &Listed) -> u64 {
    let price = standard_price_e4_per_second(&c.call_type).expect("a billed call has a standard rate");
    let charge = c.charge_e4.expect("a billed call has a charge");
    let billable = c.billable_seconds.expect("a billed call has billable seconds");
    assert_eq!(
        charge % price,
        0,
        "call {}: charge {charge} e-4 is not a whole number of seconds at {price} e-4/s",
        c.id
    );
    let charged = charge / price;
    assert!(charged <= billable, "call {}: charged {charged} s > billable {billable} s", c.id);
    billable - charged
}

/// The ids of the invoices the runs created; every run either created one or found nothing
/// to bill (exit 1, the reason on stderr, nothing on stdout).
fn created_ids(runs: &[Run]) -> Vec<String> {
    let mut ids = Vec::new();
    for run in runs {
        match run.code {
            0 => {
                let doc = run.json();
                ids.push(doc["id"].as_str().unwrap_or_else(|| panic!("no id\n{}", run.dump())).to_owned());
            }
            1 => {
                run.assert_stderr_has("nothing to bill").assert_no_stdout();
            }
            _ => panic!("`meter {}` failed\n{}", run.args.join(" "), run.dump()),
        }
    }
    let unique: BTreeSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "two creations returned the same invoice id: {ids:?}");
    ids
}

/// Imports `count` calls over `days` for acme into a seeded database on `backend`; `None` when
/// the backend is not configured.
fn seeded_with_calls(backend: Backend, seed: u64, days: &[(i32, u32, u32)], count: usize) -> (Env, Vec<Cdr>) {
    let env = Env::seeded_on(backend);
    let data = random_calls(&mut Rng::new(seed), "acme", days, count);
    assert_eq!(env.import_ok("cdrs", "cdrs.csv", &cdrs_csv(&data)), Summary::imported(count as u64));
    (env, data)
}

fn two_concurrent_overlapping_invoices_bill_each_call_once(backend: Backend) {
    for round in 0..3 {
        let (env, data) = seeded_with_calls(backend, 100 + round, &month_days(2026, 1, 31), 3000);
        let runs = create_concurrently(&env, "acme", &[("2026-01-01", "2026-01-20"), ("2026-01-10", "2026-01-31")]);
        // Each range has days of its own, so both have something to bill.
        for run in &runs {
            run.assert_ok();
        }
        let ids = created_ids(&runs);
        assert_eq!(ids.len(), 2);
        let audit = Audit::read(&env, "acme", &ids);
        audit.check_each_call_on_one_invoice();
        audit.check_range_fully_billed(&data, "2026-01-01", "2026-01-31");
        audit.check_allowances(&standard_allowances());
        // The later creation saw the overlap already billed.
        let already: u64 =
            ids.iter().map(|id| audit.invoices[id]["already_billed"].as_u64().expect("already_billed")).sum();
        assert!(already > 0, "neither invoice reports the overlap as already billed");
        // Nothing is left to bill.
        let preview = env.preview("acme", "2026-01-01", "2026-01-31");
        assert_eq!(preview["lines"], serde_json::json!([]), "{preview:#}");
        env.create("acme", "2026-01-01", "2026-01-31").assert_code(1).assert_no_stdout();
        env.assert_db_clean(&format!("after round {round}"));
    }
}

fn six_concurrent_overlapping_invoices_bill_each_call_once_across_two_periods(backend: Backend) {
    let mut days: Vec<(i32, u32, u32)> = (15..=31).map(|d| (2025, 12, d)).collect();
    days.extend(month_days(2026, 1, 31));
    let (env, data) = seeded_with_calls(backend, 7, &days, 4000);
    let ranges = [
        ("2025-12-15", "2026-01-10"),
        ("2026-01-01", "2026-01-20"),
        ("2026-01-10", "2026-01-31"),
        ("2025-12-20", "2025-12-31"),
        ("2026-01-05", "2026-01-25"),
        ("2025-12-15", "2026-01-31"),
    ];
    let runs = create_concurrently(&env, "acme", &ranges);
    let ids = created_ids(&runs);
    assert!(!ids.is_empty(), "no creation succeeded");
    let audit = Audit::read(&env, "acme", &ids);
    audit.check_each_call_on_one_invoice();
    audit.check_range_fully_billed(&data, "2025-12-15", "2026-01-31");
    audit.check_allowances(&standard_allowances());
    let preview = env.preview("acme", "2025-12-01", "2026-01-31");
    assert_eq!(preview["lines"], serde_json::json!([]), "{preview:#}");
    env.assert_db_clean("after the creations");
}

fn deleting_an_invoice_releases_its_calls_and_gives_the_allowance_back(backend: Backend) {
    let (env, data) = seeded_with_calls(backend, 42, &month_days(2026, 1, 31), 2000);
    let covered = |t: &str| t == "domestic" || t == "on_net";
    let basic_included = |doc: &Value| -> u64 {
        line_sums(doc, "included_seconds").iter().filter(|(t, _)| covered(t)).map(|(_, s)| s).sum()
    };

    // The first half of January uses up the 100 domestic minutes; the second half gets none.
    let a = env.create_ok("acme", "2026-01-01", "2026-01-15");
    let b = env.create_ok("acme", "2026-01-16", "2026-01-31");
    assert_eq!(basic_included(&a), 6000, "{a:#}");
    assert_eq!(basic_included(&b), 0, "{b:#}");
    let a_id = a["id"].as_str().expect("id").to_owned();
    let b_id = b["id"].as_str().expect("id").to_owned();
    let on = |id: &str| -> BTreeSet<String> {
        env.calls("acme").iter().map(Listed::of).filter(|c| c.invoice.as_deref() == Some(id)).map(|c| c.id).collect()
    };
    let a_calls = on(&a_id);
    let b_calls = on(&b_id);
    let a_count: u64 = line_sums(&a, "calls").values().sum();
    let b_count: u64 = line_sums(&b, "calls").values().sum();
    assert_eq!(a_calls.len() as u64, a_count);

    // Delete the first invoice: its calls are released and its allowance draw given back.
    let deleted = env.meter(&["invoice", "delete", &a_id]);
    deleted.assert_ok();
    assert!(
        deleted.stdout.contains(&format!("{a_count} calls released")),
        "delete does not report the {a_count} calls it released\n{}",
        deleted.dump()
    );
    env.meter(&["invoice", "show", &a_id]).assert_code(1);
    env.assert_db_clean("after the delete");
    for c in env.calls("acme").iter().map(Listed::of) {
        if a_calls.contains(&c.id) {
            assert_eq!(c.status, "unbilled", "a released call is still billed: {c:?}");
            assert_eq!(c.invoice, None);
        } else if b_calls.contains(&c.id) {
            assert_eq!(c.invoice.as_deref(), Some(b_id.as_str()), "a call of the other invoice moved: {c:?}");
        }
    }
    let preview = env.preview("acme", "2026-01-01", "2026-01-31");
    assert_eq!(line_sums(&preview, "calls").values().sum::<u64>(), a_count, "{preview:#}");
    assert_eq!(basic_included(&preview), 6000, "the allowance was not given back: {preview:#}");
    assert_eq!(preview["already_billed"], b_count);

    // Meanwhile acme gets its own domestic price: released calls are billed at the deck as it
    // now stands; the calls still on the other invoice keep their charges.
    let b_charges: BTreeMap<String, Option<u64>> = env
        .calls("acme")
        .iter()
        .map(Listed::of)
        .filter(|c| b_calls.contains(&c.id))
        .map(|c| (c.id.clone(), c.charge_e4))
        .collect();
    let special = format!("{RATES_HEADER}\ndomestic,0.12,,,1,1,,,acme,Acme special\n");
    assert_eq!(env.import_ok("rates", "special.csv", &special), Summary::imported(1));

    // Creating again bills exactly the released calls, with the allowance back in full.
    let c = env.create_ok("acme", "2026-01-01", "2026-01-31");
    let c_id = c["id"].as_str().expect("id").to_owned();
    assert_ne!(c_id, a_id, "invoice ids are not reused");
    assert_eq!(on(&c_id), a_calls, "the new invoice does not bill exactly the released calls");
    assert_eq!(c["already_billed"], b_count);
    for field in ["calls", "billable_seconds", "included_seconds", "charged_seconds"] {
        assert_eq!(line_sums(&c, field), line_sums(&a, field), "{field} differ from the deleted invoice's");
    }
    let domestic = |doc: &Value| -> (u64, u64) {
        let line = doc["lines"]
            .as_array()
            .expect("lines")
            .iter()
            .find(|l| l["call_type"] == "domestic")
            .expect("a domestic line");
        (parse_fixed(line["amount"].as_str().expect("amount"), 2), line["charged_seconds"].as_u64().expect("charged"))
    };
    let (a_amount, a_charged) = domestic(&a);
    let (c_amount, c_charged) = domestic(&c);
    assert_eq!(a_charged, c_charged);
    // 0.001 and 0.002 per second, each rounded to cents.
    assert_eq!(a_amount, (a_charged + 5) / 10, "{a:#}");
    assert_eq!(c_amount, (2 * c_charged + 5) / 10, "the released calls were not billed at the new price: {c:#}");

    for listed in env.calls("acme").iter().map(Listed::of) {
        if let Some(before) = b_charges.get(&listed.id) {
            assert_eq!(&listed.charge_e4, before, "a call on the other invoice changed its charge");
        }
    }
    // Over the two live invoices, the domestic allowance is given once, and every call is
    // billed exactly once.
    assert_eq!(basic_included(&c) + basic_included(&env.show(&b_id)), 6000);
    let live = [b_id.clone(), c_id.clone()];
    let audit = Audit::read(&env, "acme", &live);
    audit.check_range_count(&data);
    env.assert_db_clean("at the end");
}

impl Audit {
    /// Every answered, rated call of the data is billed exactly once, on one of the invoices.
    fn check_range_count(&self, data: &[Cdr]) {
        let expected =
            data.iter().filter(|d| d.duration > 0 && standard_price_e4_per_second(d.expected_type()).is_some()).count();
        assert_eq!(self.billed().count(), expected);
        let line_calls: u64 = self.invoices.values().map(|doc| line_sums(doc, "calls").values().sum::<u64>()).sum();
        assert_eq!(line_calls as usize, expected);
        for c in self.billed() {
            assert!(self.invoices.contains_key(c.invoice.as_deref().unwrap_or("")), "{c:?}");
        }
    }
}
