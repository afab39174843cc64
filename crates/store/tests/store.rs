//! The storage behaviour every backend must have, through the `Store` traits.
//!
//! Every test runs on both backends' own stores: `sqlite::NAME` on a file in a
//! temporary directory, `postgres::NAME` on a throwaway database of the test server
//! ([`testkit::test_server_url`]).

use rating::number::Prefix;
use rating::{Amount, CallType, Charge, Direction, Increments, Micros, Owner, Price, Rate, Window};
use store::prelude::*;
use store::{
    AnyStore, BalanceKey, CallOutcome, CallQuery, ClaimOutcome, Customer, Deck, DeleteOutcome, InvoiceKind,
    InvoiceLine, Job, JobProgress, JobQuery, JobState, LineKind, NewBilledCall, NewCall, NewInvoice, OpenStore,
    PhoneNumber, Plan, PlanAllowance, Platform, RecurringLine, RejectedRecord, RunKind, Source, SourceSettings,
    SqliteStore, Store, StoreError, StoreTx, Subscription,
};
use testkit::TempDatabase;

use testkit::{on_both_backends, Backend};

on_both_backends! { stores:
    customers_and_plans_round_trip,
    rates_keep_exact_prices_and_windows,
    money_and_times_round_trip_exactly_at_the_extremes,
    reimport_counts_duplicates_updates_and_conflicts,
    a_batch_expected_new_is_imported_or_refused_whole,
    an_id_repeated_in_a_batch_is_stored_once_with_the_same_outcomes_on_both_backends,
    calls_are_ordered_by_start_then_source_then_id_bytewise,
    thousands_of_calls_read_and_bill_across_batches,
    an_invoices_calls_are_read_through_its_own_links,
    reading_calls_stops_at_the_first_error_of_the_reader,
    a_call_cannot_be_billed_twice,
    a_billed_call_must_be_a_stored_call,
    a_billed_call_must_start_within_its_invoice_days,
    deleting_an_invoice_releases_calls_and_gives_back_allowance,
    reopening_applies_no_migration_twice,
    check_finds_what_does_not_add_up,
    check_adds_up_the_largest_line_without_overflowing,
    check_rounds_each_line_as_invoicing_does,
    source_settings_numbers_and_jobs_round_trip,
    calls_are_filtered_across_customers_by_source_number_status_and_invoice,
    sources_are_registered_by_name_and_keep_their_codes,
    a_domain_names_one_customer_per_source,
    calls_of_one_start_come_by_source_name_whatever_the_codes,
    decks_and_the_local_calling_table_round_trip,
    invoices_of_one_customer_are_made_one_at_a_time,
    subscriptions_and_payment_terms_round_trip,
    a_subscription_day_is_billed_once_and_deletion_releases_it,
    one_live_automatic_invoice_per_customer_and_period,
    late_calls_are_billed_from_the_invoices_first_call_day,
    runs_share_the_jobs_numbering_and_workers_split_a_cycle_by_claims,
    the_scheduler_keeps_its_day_and_one_holder_at_a_time,
    drafts_are_numbered_in_the_order_they_are_finalized,
    a_final_invoice_refuses_every_change_through_the_store,
    sql_behind_the_stores_back_cannot_change_a_final_or_void_invoice,
    voiding_releases_calls_days_and_draws_and_keeps_the_document,
    drafts_take_manual_lines_and_invoices_are_listed,
    settings_round_trip_with_their_bytes,
    users_are_one_per_email_whatever_its_case,
    sessions_are_found_by_their_hash_and_end,
    failed_sign_ins_are_counted_per_email_and_forgotten,
    sign_ins_as_one_email_come_one_after_another,
    tokens_are_found_by_hash_revoked_once_and_kept,
    calls_are_paged_by_seeking_past_a_call_in_the_listings_order,
    every_filter_pages_past_a_call_as_it_lists,
    a_scan_bounds_what_a_read_examines_and_says_where_it_stopped,
    the_pricing_stamp_moves_with_what_prices_calls,
    the_customers_stamp_moves_with_customers_plans_domains_and_sources,
    a_page_is_read_on_its_own_only_while_the_stamps_are_as_expected,
}

#[path = "store/access.rs"]
mod access;
#[path = "store/life.rs"]
mod life;
use access::*;
use life::*;

#[path = "store/pages.rs"]
mod pages;
use pages::*;

/// A fresh, migrated database. Fields drop in order: the connection closes before the
/// database goes.
struct Db<S> {
    store: S,
    url: String,
    _dir: Option<tempfile::TempDir>,
    _pg: Option<TempDatabase>,
}

/// A fresh database on `backend`.
fn db<S: OpenStore>(backend: Backend) -> Db<S> {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite://{}/meter.db", dir.path().display());
            let store = S::open_url(&url).expect("open");
            Db { store, url, _dir: Some(dir), _pg: None }
        }
        Backend::Postgres => {
            let pg = TempDatabase::for_test();
            let url = pg.url().to_owned();
            let store = S::open_url(&url).expect("open");
            Db { store, url, _dir: None, _pg: Some(pg) }
        }
    }
}

/// The platforms' own sources.
fn ns() -> Source {
    Source::default_of(Platform::Netsapiens)
}

fn bl() -> Source {
    Source::default_of(Platform::Brightlink)
}

fn customer<S: Store>(store: &mut S, id: &str) -> i64 {
    let mut tx = store.write().expect("tx");
    let pk = tx.save_customer(&Customer::new(id, &format!("Customer {id}"))).expect("save");
    tx.commit().expect("commit");
    pk
}

fn call(customer_pk: i64, id: &str, start: i64, duration: u32) -> NewCall {
    NewCall {
        source: Source::file(),
        source_call_id: id.to_owned(),
        customer_pk,
        start,
        duration,
        direction: Direction::Outbound,
        from: "12025550199".into(),
        to: "12125550100".into(),
        call_type: None,
    }
}

fn import<S: Store>(store: &mut S, calls: &[NewCall]) -> Vec<CallOutcome> {
    let mut tx = store.write_usage().expect("tx");
    let mut out = Vec::new();
    tx.import_calls(calls, &mut out).expect("import");
    tx.commit().expect("commit");
    out
}

fn unbilled<S: Store>(store: &mut S, customer_pk: i64) -> Vec<store::StoredCall> {
    let mut tx = store.read().expect("tx");
    tx.calls(&CallQuery { answered_only: true, unbilled_only: true, ..CallQuery::of_customer(customer_pk) })
        .expect("calls")
}

/// An invoice billing `calls` (number, start) over the UTC days of their starts.
fn invoice_for(customer_pk: i64, calls: &[(i64, i64)], draws: Vec<(BalanceKey, u64)>) -> NewInvoice {
    let day = |t: i64| chrono::DateTime::from_timestamp_micros(t).expect("a time").date_naive().to_string();
    let starts = calls.iter().map(|&(_, start)| start);
    NewInvoice {
        customer_pk,
        from: starts.clone().min().map_or("2026-01-01".into(), day),
        to: starts.max().map_or("2026-01-31".into(), day),
        call_types: None,
        kind: InvoiceKind::Manual,
        currency: "USD".into(),
        lines: vec![InvoiceLine {
            kind: LineKind::Usage,
            call_type: Some("domestic".into()),
            description: String::new(),
            calls: calls.len() as u64,
            billable_seconds: 60 * calls.len() as u64,
            included_seconds: 0,
            charged_seconds: 60 * calls.len() as u64,
            amount: Amount::from_units(123),
            ..InvoiceLine::default()
        }],
        total: Amount::from_units(123),
        warnings: "{}".into(),
        created_at: 0,
        calls: calls
            .iter()
            .map(|&(pk, start)| NewBilledCall {
                call_pk: pk,
                call_start: start,
                call_type: "domestic".into(),
                rate_id: 1,
                billable_seconds: 60,
                included_seconds: 0,
                charge: Charge::from_units(6150),
            })
            .collect(),
        draws,
        calls_from: None,
        days: vec![],
    }
}

fn customers_and_plans_round_trip<S: OpenStore>(backend: Backend) {
    let mut db = db::<S>(backend);
    let mut tx = db.store.write().expect("tx");
    let plan = Plan {
        id: "biz".into(),
        allowances: vec![PlanAllowance {
            call_types: vec![CallType::parse("domestic").expect("code"), CallType::parse("on_net").expect("code")],
            included_minutes: 500,
            description: "500 minutes".into(),
        }],
    };
    tx.save_plan(&plan).expect("plan");
    let mut c = Customer::new("acme", "Acme");
    c.timezone = "America/New_York".into();
    c.billing_day = 15;
    c.plans = vec!["biz".into()];
    c.set_domain(&ns(), Some("acme.example".into()));
    c.pk = tx.save_customer(&c).expect("save");
    tx.commit().expect("commit");

    let mut tx = db.store.read().expect("tx");
    assert_eq!(tx.customer("acme").expect("read"), Some(c.clone()));
    assert_eq!(tx.plans().expect("plans"), vec![plan]);
    assert_eq!(tx.customer("nobody").expect("read"), None);
}

fn rates_keep_exact_prices_and_windows<S: OpenStore>(backend: Backend) {
    let mut db = db::<S>(backend);
    customer(&mut db.store, "c1");
    let rate = Rate {
        id: 0,
        call_type: CallType::parse("international").expect("code"),
        prefix: Prefix::parse("4420").expect("prefix"),
        local_prefix: Prefix::parse("1212").expect("local prefix"),
        owner: Owner::Customer("c1".into()),
        window: Window { from: Some(1_767_225_600_000_000), to: None },
        price: Price::parse("0.12345678").expect("price"),
        connection_fee: Price::parse("0.015").expect("fee"),
        increments: Increments::new(30, 6).expect("increments"),
        description: "London".into(),
    };
    let mut tx = db.store.write().expect("tx");
    let id = tx.insert_rates(std::slice::from_ref(&rate)).expect("insert")[0];
    tx.close_rate(id, 1_769_904_000_000_000).expect("close");
    tx.commit().expect("commit");
    let mut tx = db.store.read().expect("tx");
    let stored = tx.rates().expect("rates");
    let expected = Rate { id, window: Window { to: Some(1_769_904_000_000_000), ..rate.window }, ..rate };
    assert_eq!(stored, vec![expected]);
    assert_eq!(stored[0].price.to_string(), "0.12345678");
}

/// 0001-01-01T00:00:00Z, the earliest instant an RFC 3339 timestamp of the CDRs can name (year
/// 0000 aside) and well inside both backends' range.
const EARLIEST: Micros = -62_135_596_800_000_000;
/// 9999-12-31T23:59:59.999999Z, the latest.
const LATEST: Micros = 253_402_300_799_999_999;

/// Money is stored as integers of its scale (rates and fees 10⁻⁸, charges 10⁻⁴, invoice lines
/// and totals 10⁻²) and times as microseconds: every value the types can hold that the schema
/// accepts comes back exactly, from the smallest unit to `i64::MAX` (and `i64::MIN` where money
/// may be negative), and instants from year 1 to year 9999 to the microsecond, before 1970 too.
fn money_and_times_round_trip_exactly_at_the_extremes<S: OpenStore>(backend: Backend) {
    let mut db = db::<S>(backend);
    // The constants are what they say.
    let rfc3339 = |t: Micros| {
        chrono::DateTime::from_timestamp_micros(t)
            .expect("in chrono's range")
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
    };
    assert_eq!(rfc3339(EARLIEST), "0001-01-01T00:00:00.000000Z");
    assert_eq!(rfc3339(LATEST), "9999-12-31T23:59:59.999999Z");
    assert_eq!(rfc3339(-1), "1969-12-31T23:59:59.999999Z");

    let c = customer(&mut db.store, "c1");
    let max = i64::MAX;
    let big = u64::try_from(max).expect("positive");

    // ------------------------------------------------------------ rates
    let base = Rate {
        id: 0,
        call_type: CallType::parse("domestic").expect("code"),
        prefix: Prefix::parse("1").expect("prefix"),
        local_prefix: Prefix::parse("").expect("local prefix"),
        owner: Owner::Default,
        window: Window::OPEN,
        price: Price::ZERO,
        connection_fee: Price::ZERO,
        increments: Increments::new(1, 1).expect("increments"),
        description: String::new(),
    };
    let rates = [
        // The largest price and fee, and the smallest non-zero ones, with an 8th decimal.
        Rate {
            price: Price::parse("92233720368.54775807").expect("i64::MAX units"),
            connection_fee: Price::from_units(max),
            window: Window { from: Some(EARLIEST), to: Some(LATEST) },
            description: "the largest".into(),
            ..base.clone()
        },
        Rate {
            prefix: Prefix::parse("2").expect("prefix"),
            price: Price::parse("0.00000001").expect("one unit"),
            connection_fee: Price::parse("0.00000001").expect("one unit"),
            // One microsecond either side of the epoch.
            window: Window { from: Some(-1), to: Some(1) },
            description: "the smallest".into(),
            ..base.clone()
        },
        Rate {
            prefix: Prefix::parse("3").expect("prefix"),
            price: Price::parse("12345678901.23456789").expect("price"),
            connection_fee: Price::parse("0.99999999").expect("fee"),
            // Before 1970, with microseconds; closed below.
            window: Window { from: Some(-1_234_567_890_123_457), to: None },
            owner: Owner::Customer("c1".into()),
            description: "before 1970".into(),
            ..base.clone()
        },
    ];
    let closed_at: Micros = -987_654_321;
    let mut tx = db.store.write().expect("tx");
    let ids = tx.insert_rates(&rates).expect("insert");
    tx.close_rate(ids[2], closed_at).expect("close before 1970");
    tx.commit().expect("commit");
    let mut expected: Vec<Rate> = rates.iter().zip(&ids).map(|(r, &id)| Rate { id, ..r.clone() }).collect();
    expected[2].window.to = Some(closed_at);
    let stored = db.store.read().expect("tx").rates().expect("rates");
    assert_eq!(stored, expected);
    let prices: Vec<(String, String)> =
        stored.iter().map(|r| (r.price.to_string(), r.connection_fee.to_string())).collect();
    assert_eq!(
        prices,
        [
            ("92233720368.54775807", "92233720368.54775807"),
            ("0.00000001", "0.00000001"),
            ("12345678901.23456789", "0.99999999"),
        ]
        .map(|(p, f)| (p.to_owned(), f.to_owned()))
    );

    // ------------------------------------------------------------ calls
    let starts = [EARLIEST, -1_234_567, -1, 0, 1, 1_767_225_600_123_456, LATEST];
    let calls: Vec<NewCall> = starts
        .iter()
        .enumerate()
        .map(|(i, &t)| call(c, &format!("t{i}"), t, if i == 0 { u32::MAX } else { 1 + i as u32 }))
        .collect();
    assert_eq!(import(&mut db.store, &calls), vec![CallOutcome::Imported; calls.len()]);
    let stored = unbilled(&mut db.store, c);
    assert_eq!(stored.iter().map(|s| s.call.clone()).collect::<Vec<_>>(), calls, "calls in start order, exact");
    // Ranges compare instants exactly, before 1970 too: [-1 µs, 1 µs) holds -1 and 0.
    let mut tx = db.store.read().expect("tx");
    let q = CallQuery {
        from: Some(-1),
        to: Some(1),
        answered_only: true,
        unbilled_only: true,
        ..CallQuery::of_customer(c)
    };
    let around: Vec<Micros> = tx.calls(&q).expect("calls").iter().map(|s| s.call.start).collect();
    assert_eq!(around, vec![-1, 0]);
    let q = CallQuery {
        customer_pk: Some(c),
        from: Some(EARLIEST),
        to: Some(LATEST),
        answered_only: true,
        unbilled_only: true,
        ..CallQuery::default()
    };
    assert_eq!(tx.calls(&q).expect("calls").len(), starts.len() - 1, "the range's end is exclusive");
    drop(tx);
    // Re-importing the same records finds them identical.
    assert_eq!(import(&mut db.store, &calls), vec![CallOutcome::Duplicate; calls.len()]);

    // ------------------------------------------------------------ invoices
    let keys: Vec<(i64, i64)> = stored.iter().map(|s| (s.pk, s.call.start)).collect();
    let line = |amount: i64, seconds: u64| InvoiceLine {
        kind: LineKind::Usage,
        call_type: Some("domestic".into()),
        description: String::new(),
        calls: seconds,
        billable_seconds: seconds,
        included_seconds: seconds,
        charged_seconds: seconds,
        amount: Amount::from_units(amount),
        ..InvoiceLine::default()
    };
    let billed = |&(pk, start): &(i64, i64), charge: i64, seconds: u64| NewBilledCall {
        call_pk: pk,
        call_start: start,
        call_type: "domestic".into(),
        rate_id: ids[0],
        billable_seconds: seconds,
        included_seconds: seconds,
        charge: Charge::from_units(charge),
    };
    let period = BalanceKey { plan: "biz".into(), position: u32::MAX, period_start: "0001-01-01".into() };
    let largest = NewInvoice {
        customer_pk: c,
        from: "0001-01-01".into(),
        to: "9999-12-31".into(),
        call_types: Some(vec!["domestic".into(), "on_net".into()]),
        kind: InvoiceKind::Manual,
        currency: "USD".into(),
        lines: vec![
            line(max, big),
            line(1, 0),
            InvoiceLine { kind: LineKind::Manual, call_type: None, description: "credit".into(), ..line(-1, 0) },
        ],
        total: Amount::from_units(max),
        warnings: "{\"unrated\":[],\"already_billed\":0}".into(),
        created_at: EARLIEST,
        calls: vec![billed(&keys[0], max, big), billed(&keys[1], 1, 0), billed(&keys[2], 0, 1)],
        draws: vec![(period.clone(), big)],
        calls_from: None,
        days: vec![],
    };
    let smallest = NewInvoice {
        from: "1969-12-31".into(),
        to: "1970-01-01".into(),
        call_types: None,
        kind: InvoiceKind::Cycle,
        lines: vec![InvoiceLine {
            kind: LineKind::Manual,
            call_type: None,
            description: "refund".into(),
            ..line(i64::MIN, 0)
        }],
        total: Amount::from_units(i64::MIN),
        created_at: LATEST,
        calls: vec![billed(&keys[3], 9_999, 60)],
        draws: vec![],
        ..largest.clone()
    };
    let mut tx = db.store.write_usage().expect("tx");
    let first = tx.insert_invoice(&largest).expect("the largest invoice");
    let second = tx.insert_invoice(&smallest).expect("the smallest invoice");
    tx.commit().expect("commit");

    let mut tx = db.store.read().expect("tx");
    for (id, new) in [(first, &largest), (second, &smallest)] {
        let inv = tx.invoice(id).expect("read").expect("stored");
        let expected = store::Invoice {
            id,
            customer: "c1".into(),
            from: new.from.clone(),
            to: new.to.clone(),
            call_types: new.call_types.clone(),
            kind: new.kind,
            status: store::InvoiceStatus::Draft,
            currency: new.currency.clone(),
            lines: new.lines.clone(),
            total: new.total,
            warnings: new.warnings.clone(),
            created_at: new.created_at,
            number: None,
            issued: None,
            due: None,
            void_reason: None,
            events: vec![],
        };
        assert_eq!(inv, expected);
    }
    assert_eq!(tx.invoice(first).expect("read").expect("stored").total.to_string(), "92233720368547758.07");
    assert_eq!(tx.invoice(second).expect("read").expect("stored").total.to_string(), "-92233720368547758.08");
    assert_eq!(tx.invoices_for_range(c, "0001-01-01", "9999-12-31").expect("range"), vec![first]);
    assert_eq!(tx.allowance_used(c).expect("used"), vec![(period, big)]);
    let all = CallQuery::of_customer(c);
    let billing: Vec<(Micros, Option<store::BilledCall>)> =
        tx.calls(&all).expect("calls").into_iter().map(|s| (s.call.start, s.billed)).collect();
    let on = |invoice, charge: i64, seconds: u64| {
        Some(store::BilledCall {
            invoice,
            call_type: "domestic".into(),
            rate_id: ids[0],
            billable_seconds: seconds,
            included_seconds: seconds,
            charge: Charge::from_units(charge),
        })
    };
    assert_eq!(
        billing,
        vec![
            (EARLIEST, on(first, max, big)),
            (-1_234_567, on(first, 1, 0)),
            (-1, on(first, 0, 1)),
            (0, on(second, 9_999, 60)),
            (1, None),
            (1_767_225_600_123_456, None),
            (LATEST, None),
        ]
    );
    let charge = billing[0].1.as_ref().map(|b| b.charge.to_string());
    assert_eq!(charge.as_deref(), Some("922337203685477.5807"));
}

fn reimport_counts_duplicates_updates_and_conflicts<S: OpenStore>(backend: Backend) {
    let mut db = db::<S>(backend);
    let c = customer(&mut db.store, "c1");
    let calls = [call(c, "a", 1_000_000, 60), call(c, "b", 2_000_000, 60), call(c, "c", 3_000_000, 60)];
    assert_eq!(import(&mut db.store, &calls), vec![CallOutcome::Imported; 3]);
    // Bill "c" so that a change to it is a conflict.
    let pk_c = unbilled(&mut db.store, c)
        .iter()
        .find(|s| s.call.source_call_id == "c")
        .map(|s| (s.pk, s.call.start))
        .expect("c");
    let mut tx = db.store.write().expect("tx");
    tx.insert_invoice(&invoice_for(c, &[pk_c], vec![])).expect("invoice");
    tx.commit().expect("commit");

    let mut changed_b = call(c, "b", 2_000_000, 61);
    changed_b.to = "+1 212 555 0100".into();
    let changed_c = call(c, "c", 3_000_000, 99);
    let out = import(&mut db.store, &[calls[0].clone(), changed_b.clone(), changed_c]);
    assert_eq!(out, vec![CallOutcome::Duplicate, CallOutcome::Updated, CallOutcome::Conflict]);

    let mut tx = db.store.read().expect("tx");
    let all = tx.calls(&CallQuery::of_customer(c));
    let all = all.expect("calls");
    assert_eq!(all[1].call, changed_b);
    assert_eq!(all[2].call.duration, 60, "a billed call is left unchanged");
}

fn a_batch_expected_new_is_imported_or_refused_whole<S: OpenStore>(backend: Backend) {
    let mut db = db::<S>(backend);
    let c = customer(&mut db.store, "c1");
    let first = [call(c, "a", 1_000_000, 60), call(c, "b", 2_000_000, 60)];
    let mut tx = db.store.write_usage().expect("tx");
    let mut out = Vec::new();
    tx.import_new_calls(&first, &mut out).expect("new calls");
    tx.commit().expect("commit");
    assert_eq!(out, vec![CallOutcome::Imported; 2]);

    // A batch holding a stored call: PostgreSQL refuses it whole (the transaction is then
    // dropped); SQLite looks every record up and imports it. Either way nothing is lost or
    // doubled, and importing with look-ups gives each record's outcome.
    let mixed = [call(c, "c", 3_000_000, 60), call(c, "b", 2_000_000, 60)];
    let mut tx = db.store.write_usage().expect("tx");
    let mut out = Vec::new();
    match tx.import_new_calls(&mixed, &mut out) {
        Err(StoreError::KnownCalls) => {
            assert_eq!(backend, Backend::Postgres, "SQLite looks records up");
            drop(tx);
            assert_eq!(unbilled(&mut db.store, c).len(), 2, "nothing of the refused batch is stored");
            assert_eq!(import(&mut db.store, &mixed), vec![CallOutcome::Imported, CallOutcome::Duplicate]);
        }
        Ok(()) => {
            assert_eq!(backend, Backend::Sqlite, "PostgreSQL refuses a batch holding a stored call");
            tx.commit().expect("commit");
            assert_eq!(out, vec![CallOutcome::Imported, CallOutcome::Duplicate]);
        }
        Err(e) => panic!("unexpected error: {e}"),
    }
    let ids: Vec<String> = unbilled(&mut db.store, c).into_iter().map(|s| s.call.source_call_id).collect();
    assert_eq!(ids, vec!["a", "b", "c"]);
}

fn an_id_repeated_in_a_batch_is_stored_once_with_the_same_outcomes_on_both_backends<S: OpenStore>(backend: Backend) {
    let mut db = db::<S>(backend);
    let c = customer(&mut db.store, "c1");
    assert_eq!(import(&mut db.store, &[call(c, "stored", 1_000_000, 60)]), vec![CallOutcome::Imported]);
    // A stored call first, then 599 new ones, the first of which comes again 300 records later
    // (the SQLite backend once wrote batches 256 rows per statement, and the outcome of a repeat
    // depended on whether both copies fell in the same statement).
    let mut batch = vec![call(c, "stored", 1_000_000, 60)];
    batch.extend((0..599).map(|i| call(c, &format!("n{i:03}"), 2_000_000 + i, 30)));
    batch.insert(301, call(c, "n000", 2_000_000, 30));
    let out = import(&mut db.store, &batch);
    assert_eq!(out.len(), 601);
    let not_imported: Vec<(usize, CallOutcome)> =
        out.into_iter().enumerate().filter(|(_, o)| *o != CallOutcome::Imported).collect();
    assert_eq!(not_imported, vec![(0, CallOutcome::Duplicate)], "the repeat counts with its batch's records");
    let stored = unbilled(&mut db.store, c);
    assert_eq!(stored.len(), 600, "the stored call and 599 new ones, the repeated one once");
    assert_eq!(stored.iter().filter(|s| s.call.source_call_id == "n000").count(), 1);
}

fn calls_are_ordered_by_start_then_source_then_id_bytewise<S: OpenStore>(backend: Backend) {
    let mut db = db::<S>(backend);
    let c = customer(&mut db.store, "c1");
    let mut n = call(c, "1", 5, 10);
    n.source = ns();
    import(&mut db.store, &[call(c, "9", 5, 10), call(c, "10", 5, 10), n, call(c, "0", 4, 10), call(c, "z", 6, 0)]);
    let mut tx = db.store.read().expect("tx");
    let q =
        CallQuery { from: Some(5), to: Some(7), answered_only: true, unbilled_only: true, ..CallQuery::of_customer(c) };
    let ids: Vec<(Source, String)> =
        tx.calls(&q).expect("calls").into_iter().map(|s| (s.call.source, s.call.source_call_id)).collect();
    assert_eq!(
        ids,
        vec![(Source::file(), "10".into()), (Source::file(), "9".into()), (ns(), "1".into())],
        "range [5, 7) answered only, ties by source name then id as bytes"
    );
}

/// Imports, invoices and reads larger than one batch of the backend's bulk paths (rows are
/// fetched and copied in batches on PostgreSQL): every call comes back once, in order, with the
/// billing it has, whatever the range; and a copy refused late in a large batch still reports
/// the batch's known calls.
fn thousands_of_calls_read_and_bill_across_batches<S: OpenStore>(backend: Backend) {
    const N: i64 = 10_001;
    let mut db = db::<S>(backend);
    let c = customer(&mut db.store, "c1");
    let other = customer(&mut db.store, "c2");
    // One second apart, every seventh unanswered, another customer's call beside each tenth.
    let mut calls = Vec::new();
    for i in 0..N {
        calls.push(call(c, &format!("c1-{i:05}"), i * 1_000_000, if i % 7 == 0 { 0 } else { 60 }));
        if i % 10 == 0 {
            calls.push(call(other, &format!("c2-{i:05}"), i * 1_000_000, 60));
        }
    }
    // Stored latest first, so that the table's order is not start order.
    let reversed: Vec<NewCall> = calls.iter().rev().cloned().collect();
    let mut tx = db.store.write_usage().expect("tx");
    let mut out = Vec::new();
    tx.import_new_calls(&reversed, &mut out).expect("import");
    tx.commit().expect("commit");
    assert_eq!(out.len(), calls.len());

    if backend == Backend::Postgres {
        // Without index scans the server returns calls in the table's order, as it does for a
        // month of calls among a million; a small table is otherwise read in key order.
        let mut admin = ::postgres::Client::connect(&db.url, ::postgres::NoTls).expect("connect");
        admin
            .batch_execute(
                "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET enable_indexscan = off', current_database()); END $$",
            )
            .expect("alter database");
        db.store = S::open_url(&db.url).expect("reopen");
    }
    let answered = unbilled(&mut db.store, c);
    assert_eq!(answered.len() as i64, N - (N + 6) / 7);
    let keys: Vec<(i64, i64)> = answered.iter().step_by(3).map(|s| (s.pk, s.call.start)).collect();
    let mut tx = db.store.write_usage().expect("tx");
    let invoice = tx.insert_invoice(&invoice_for(c, &keys, vec![])).expect("invoice");
    tx.commit().expect("commit");

    let billed: std::collections::HashSet<i64> = keys.iter().map(|&(pk, _)| pk).collect();
    for (from, to) in [(None, None), (Some(1_234_000_000), Some(8_765_000_001))] {
        let mut tx = db.store.read().expect("tx");
        let q = CallQuery { from, to, ..CallQuery::of_customer(c) };
        let got = tx.calls(&q).expect("calls");
        let expected: Vec<&NewCall> = calls
            .iter()
            .filter(|n| n.customer_pk == c && from.is_none_or(|f| n.start >= f) && to.is_none_or(|t| n.start < t))
            .collect();
        assert_eq!(got.iter().map(|s| &s.call).collect::<Vec<_>>(), expected, "every call once, in order");
        for s in &got {
            let want = billed.contains(&s.pk).then_some(invoice);
            assert_eq!(s.billed.as_ref().map(|b| b.invoice), want, "billing of call {}", s.call.source_call_id);
        }
        let q = CallQuery { answered_only: true, unbilled_only: true, ..q };
        let open = tx.calls(&q).expect("unbilled");
        assert!(open.iter().all(|s| s.call.duration > 0 && !billed.contains(&s.pk)));
        assert_eq!(open.len(), got.iter().filter(|s| s.call.duration > 0 && s.billed.is_none()).count());
    }

    // A large batch whose first record is stored already.
    let mut again: Vec<NewCall> = (0..N).map(|i| call(c, &format!("new-{i:05}"), i * 1_000_000 + 1, 60)).collect();
    again[0] = calls[0].clone();
    let mut tx = db.store.write_usage().expect("tx");
    let mut out = Vec::new();
    match tx.import_new_calls(&again, &mut out) {
        Err(StoreError::KnownCalls) => assert_eq!(backend, Backend::Postgres, "SQLite looks records up"),
        Ok(()) => assert_eq!((backend, out[0]), (Backend::Sqlite, CallOutcome::Duplicate)),
        Err(e) => panic!("unexpected error: {e}"),
    }
}

/// `each_invoice_call` reads exactly an invoice's calls, with their billing, in the contract's
/// order, across fetch batches, whatever else the customer has billed or not; late calls from
/// before the invoice's days included; nothing for an unknown or a void invoice.
fn an_invoices_calls_are_read_through_its_own_links<S: OpenStore>(backend: Backend) {
    const N: i64 = 9_000;
    let mut db = db::<S>(backend);
    let c = customer(&mut db.store, "c1");
    let other = customer(&mut db.store, "c2");
    // 2026-01-01 00:00 UTC, then a call every 4 minutes: 25 days; the other customer's calls
    // interleaved, and ids that sort against their starts (two sources at one start).
    let jan = 1_767_225_600_000_000;
    let mut calls = Vec::new();
    for i in 0..N {
        let start = jan + i * 240_000_000;
        calls.push(call(c, &format!("c1-{:05}", N - i), start, 60));
        if i % 3 == 0 {
            calls.push(NewCall { source: ns(), ..call(c, &format!("ns-{i:05}"), start, 30) });
            calls.push(call(other, &format!("c2-{i:05}"), start, 60));
        }
    }
    import(&mut db.store, &calls);
    let all = unbilled(&mut db.store, c);
    // The first invoice bills every other call; the second, the rest of one day's.
    let keys = |pick: &dyn Fn(usize, &store::StoredCall) -> bool| -> Vec<(i64, i64)> {
        all.iter().enumerate().filter(|(i, s)| pick(*i, s)).map(|(_, s)| (s.pk, s.call.start)).collect()
    };
    let first_keys = keys(&|i, _| i % 2 == 0);
    let day5 = jan + 4 * 86_400_000_000;
    let second_keys = keys(&|i, s| i % 2 == 1 && s.call.start >= day5 && s.call.start < day5 + 86_400_000_000);
    let mut tx = db.store.write_usage().expect("tx");
    let first = tx.insert_invoice(&invoice_for(c, &first_keys, vec![])).expect("first");
    // The second is February's, billing January's calls late.
    let late = NewInvoice {
        from: "2026-02-01".into(),
        to: "2026-02-28".into(),
        calls_from: Some("2026-01-01".into()),
        ..invoice_for(c, &second_keys, vec![])
    };
    let second = tx.insert_invoice(&late).expect("second");
    tx.commit().expect("commit");

    let read = |db: &mut Db<S>, id: store::InvoiceId| -> Vec<store::StoredCall> {
        let mut tx = db.store.read().expect("tx");
        let mut got = Vec::new();
        tx.each_invoice_call(id, |s| {
            got.push(s);
            Ok::<_, StoreError>(())
        })
        .expect("read");
        got
    };
    for (id, keys) in [(first, &first_keys), (second, &second_keys)] {
        let got = read(&mut db, id);
        let mut tx = db.store.read().expect("tx");
        let expected = tx.calls(&CallQuery { invoice: Some(id), ..CallQuery::of_customer(c) }).expect("calls");
        assert_eq!(got.len(), keys.len());
        assert_eq!(got, expected, "the invoice's calls, with their billing, in the listing's order");
        assert!(got.iter().all(|s| s.billed.as_ref().is_some_and(|b| b.invoice == id && b.charge.units() == 6150)));
    }
    assert!(read(&mut db, store::InvoiceId(first.0 + 1_000)).is_empty(), "an unknown invoice has none");

    // The reader's error stops the reading.
    let mut tx = db.store.read().expect("tx");
    let mut seen = 0;
    let stopped = tx.each_invoice_call(first, |_| {
        seen += 1;
        if seen == 5_000 {
            return Err(StoreError::Refused("enough".into()));
        }
        Ok(())
    });
    assert!(matches!(stopped, Err(StoreError::Refused(_))), "{stopped:?}");
    assert_eq!(seen, 5_000);
    drop(tx);

    // A void invoice released its calls.
    let mut tx = db.store.write_usage().expect("tx");
    let finalization = store::Finalization {
        prefix: "INV-".into(),
        issued: chrono::NaiveDate::from_ymd_opt(2026, 3, 1).expect("a date"),
        due: chrono::NaiveDate::from_ymd_opt(2026, 3, 31).expect("a date"),
        at: 0,
    };
    tx.finalize_invoice(second, &finalization).expect("finalize");
    tx.void_invoice(second, 1, "wrong").expect("void");
    tx.commit().expect("commit");
    assert!(read(&mut db, second).is_empty());
    assert_eq!(read(&mut db, first).len(), first_keys.len());
}

/// `each_call` hands calls over one by one: an error of the reader stops it there and is
/// returned, and the transaction goes on (a listing whose reader went away, an invoice whose
/// charge overflows).
fn reading_calls_stops_at_the_first_error_of_the_reader<S: OpenStore>(backend: Backend) {
    let mut db = db::<S>(backend);
    let c = customer(&mut db.store, "c1");
    let calls: Vec<NewCall> = (0..5_000).map(|i| call(c, &format!("{i:04}"), i * 1_000, 60)).collect();
    import(&mut db.store, &calls);
    let mut tx = db.store.read().expect("tx");
    let all = CallQuery::of_customer(c);
    let mut seen = Vec::new();
    let stopped = tx.each_call(&all, |s| {
        seen.push(s.call.source_call_id);
        if seen.len() == 4_500 {
            Err(StoreError::Refused("enough".into()))
        } else {
            Ok(())
        }
    });
    assert!(matches!(stopped, Err(StoreError::Refused(ref why)) if why == "enough"), "{stopped:?}");
    assert_eq!(seen, calls[..4_500].iter().map(|n| n.source_call_id.clone()).collect::<Vec<_>>());
    assert_eq!(tx.calls(&all).expect("calls").len(), 5_000, "the transaction reads on");
}

fn a_call_cannot_be_billed_twice<S: OpenStore>(backend: Backend) {
    let mut db = db::<S>(backend);
    let c = customer(&mut db.store, "c1");
    import(&mut db.store, &[call(c, "a", 1, 60)]);
    let pk = unbilled(&mut db.store, c).iter().map(|s| (s.pk, s.call.start)).next().expect("call");
    let mut tx = db.store.write().expect("tx");
    tx.insert_invoice(&invoice_for(c, &[pk], vec![])).expect("first");
    tx.commit().expect("commit");
    let mut tx = db.store.write().expect("tx");
    assert!(tx.insert_invoice(&invoice_for(c, &[pk], vec![])).is_err(), "the database refuses a second billing");
    drop(tx);
    assert!(unbilled(&mut db.store, c).is_empty());
}

/// Billing a key that names no call (another start time, another number, another customer's
/// call) is refused, so that a real call cannot stay unbilled behind a link to nothing; the
/// same invoice with the right keys is accepted.
fn a_billed_call_must_be_a_stored_call<S: OpenStore>(backend: Backend) {
    let mut db = db::<S>(backend);
    let c1 = customer(&mut db.store, "c1");
    let c2 = customer(&mut db.store, "c2");
    import(&mut db.store, &[call(c1, "a", 1_000_000, 60), call(c1, "b", 2_000_000, 60), call(c2, "z", 1_000_000, 60)]);
    let keys: Vec<(i64, i64)> = unbilled(&mut db.store, c1).iter().map(|s| (s.pk, s.call.start)).collect();
    let other = unbilled(&mut db.store, c2)[0].pk;
    let wrong = [
        vec![keys[0], (keys[1].0, keys[1].1 + 1)],
        vec![keys[0], (keys[1].0 + 100, keys[1].1)],
        vec![keys[0], (other, keys[0].1)],
    ];
    for calls in &wrong {
        let mut tx = db.store.write().expect("tx");
        assert!(tx.insert_invoice(&invoice_for(c1, calls, vec![])).is_err(), "billing {calls:?} was accepted");
    }
    let mut tx = db.store.write().expect("tx");
    tx.insert_invoice(&invoice_for(c1, &keys, vec![])).expect("the right keys");
    tx.commit().expect("commit");
    assert!(unbilled(&mut db.store, c1).is_empty());
    assert_eq!(db.store.read().expect("tx").check().expect("check"), Vec::<String>::new());
}

fn a_billed_call_must_start_within_its_invoice_days<S: OpenStore>(backend: Backend) {
    let mut db = db::<S>(backend);
    let c = customer(&mut db.store, "c1");
    // 2026-01-10 12:00 UTC: inside 2026-01-10 in every zone, outside 2026-01-13 in all of them.
    let noon = 1_768_046_400_000_000;
    import(&mut db.store, &[call(c, "a", noon, 60)]);
    let key: Vec<(i64, i64)> = unbilled(&mut db.store, c).iter().map(|s| (s.pk, s.call.start)).collect();
    let on = |from: &str, to: &str| NewInvoice { from: from.into(), to: to.into(), ..invoice_for(c, &key, vec![]) };
    for (from, to) in [("2026-01-13", "2026-01-31"), ("2025-12-01", "2026-01-08"), ("2026-01-1x", "2026-01-31")] {
        let mut tx = db.store.write_usage().expect("tx");
        let refused = tx.insert_invoice(&on(from, to));
        assert!(matches!(refused, Err(StoreError::Refused(_))), "{from}..{to}: {refused:?}");
    }
    assert_eq!(unbilled(&mut db.store, c).len(), 1, "nothing was billed");
    // One day either side is a zone's offset: still the invoice's own call.
    for (from, to) in [("2026-01-11", "2026-01-31"), ("2026-01-01", "2026-01-09")] {
        let mut tx = db.store.write_usage().expect("tx");
        let id = tx.insert_invoice(&on(from, to)).expect("within the span");
        assert_eq!(tx.delete_invoice(id).expect("delete"), DeleteOutcome::Deleted { calls_released: 1 });
    }
}

fn deleting_an_invoice_releases_calls_and_gives_back_allowance<S: OpenStore>(backend: Backend) {
    let mut db = db::<S>(backend);
    let c = customer(&mut db.store, "c1");
    import(&mut db.store, &[call(c, "a", 1, 60), call(c, "b", 2, 60)]);
    let pks: Vec<(i64, i64)> = unbilled(&mut db.store, c).iter().map(|s| (s.pk, s.call.start)).collect();
    let key = BalanceKey { plan: "biz".into(), position: 0, period_start: "2026-01-01".into() };
    let mut tx = db.store.write().expect("tx");
    let first = tx.insert_invoice(&invoice_for(c, &pks[..1], vec![(key.clone(), 40)])).expect("first");
    let second = tx.insert_invoice(&invoice_for(c, &pks[1..], vec![(key.clone(), 20)])).expect("second");
    tx.commit().expect("commit");

    let mut tx = db.store.write().expect("tx");
    assert_eq!(tx.allowance_used(c).expect("used"), vec![(key.clone(), 60)]);
    // Both bill calls of 1970-01-01 (starts 1 and 2 µs).
    assert_eq!(tx.invoices_for_range(c, "1970-01-01", "1970-01-01").expect("range"), vec![first, second]);
    assert_eq!(tx.delete_invoice(first).expect("delete"), DeleteOutcome::Deleted { calls_released: 1 });
    assert_eq!(tx.allowance_used(c).expect("used"), vec![(key, 20)]);
    assert_eq!(tx.invoice(first).expect("read"), None);
    assert_eq!(tx.delete_invoice(first).expect("again"), DeleteOutcome::NotFound);
    let inv = tx.invoice(second).expect("read").expect("second stays");
    assert_eq!((inv.customer.as_str(), inv.total, inv.lines.len()), ("c1", Amount::from_units(123), 1));
    tx.commit().expect("commit");
    assert_eq!(unbilled(&mut db.store, c).iter().map(|s| (s.pk, s.call.start)).collect::<Vec<_>>(), pks[..1].to_vec());
}

fn reopening_applies_no_migration_twice<S: OpenStore>(backend: Backend) {
    let db = db::<S>(backend);
    let Db { store: first, url, _dir, _pg } = db;
    drop(first);
    let mut again = AnyStore::open_url(&url).expect("reopen");
    assert!(again.migrate().expect("migrate").is_empty());
    let status = again.migration_status().expect("status");
    assert!(!status.is_empty() && status.iter().all(|m| m.known && m.applied_at.is_some()), "{status:?}");
    drop(again);
    // Without migrations applied, a second connection sees the same.
    let mut connected = AnyStore::connect_url(&url).expect("connect");
    assert_eq!(connected.migration_status().expect("status").len(), status.len());
    assert!(connected.migrate().expect("migrate").is_empty());
    assert!(AnyStore::open_url("mysql://x").is_err());
    assert!(SqliteStore::open_url("mysql://x").is_err());
}

fn check_finds_what_does_not_add_up<S: OpenStore>(backend: Backend) {
    let mut db = db::<S>(backend);
    let c = customer(&mut db.store, "c1");
    import(&mut db.store, &[call(c, "a", 1, 60), call(c, "b", 2, 60)]);
    let calls: Vec<(i64, i64)> = unbilled(&mut db.store, c).iter().map(|s| (s.pk, s.call.start)).collect();

    // One call of 1.23 on a line of 1.23: consistent.
    let mut good = invoice_for(c, &calls[..1], vec![]);
    good.calls[0].charge = Charge::from_units(12_300);
    let mut tx = db.store.write().expect("tx");
    tx.insert_invoice(&good).expect("good");
    assert_eq!(tx.check().expect("check"), Vec::<String>::new());

    // A line of 1.23 over a call charged 0.615, and a balance no invoice drew.
    let key = BalanceKey { plan: "biz".into(), position: 0, period_start: "2026-01-01".into() };
    let bad = invoice_for(c, &calls[1..], vec![(key, 30)]);
    let id = tx.insert_invoice(&bad).expect("bad");
    let problems = tx.check().expect("check");
    assert!(
        problems.iter().any(|p| p.contains(&format!("{id} line domestic")) && p.contains("amount 123")),
        "{problems:?}"
    );
    assert!(problems.iter().any(|p| p.contains("draws 30 s, included seconds on its lines 0 s")), "{problems:?}");
    tx.commit().expect("commit");

    // An invoice moved (behind the store's back) to days its calls are not in.
    let moved = "UPDATE invoices SET from_date = '2030-01-01', to_date = '2030-01-31' WHERE pk = 1";
    match backend {
        Backend::Sqlite => {
            let conn = rusqlite::Connection::open(db.url.trim_start_matches("sqlite://")).expect("open");
            conn.execute(moved, []).expect("update");
        }
        Backend::Postgres => {
            let mut client = ::postgres::Client::connect(&db.url, ::postgres::NoTls).expect("connect");
            client.execute(moved, &[]).expect("update");
            // And the range of call numbers it records moved past its call.
            client
                .execute("UPDATE invoices SET first_call_pk = last_call_pk + 1, last_call_pk = last_call_pk + 1 WHERE pk = 1", &[])
                .expect("update");
        }
    }
    let problems = db.store.read().expect("tx").check().expect("check");
    let outside = format!("invoice D-1 bills call #{}, which starts outside its days", calls[0].0);
    assert!(problems.contains(&outside), "{problems:?}");
    let numbers = format!("invoice D-1 bills call #{}, outside the call numbers it records", calls[0].0);
    assert_eq!(problems.iter().any(|p| p.starts_with(&numbers)), backend == Backend::Postgres, "{problems:?}");
}

fn check_adds_up_the_largest_line_without_overflowing<S: OpenStore>(backend: Backend) {
    let mut db = db::<S>(backend);
    let c = customer(&mut db.store, "c1");
    import(&mut db.store, &[call(c, "a", 1, 60), call(c, "b", 2, 60)]);
    let calls: Vec<(i64, i64)> = unbilled(&mut db.store, c).iter().map(|s| (s.pk, s.call.start)).collect();
    // Two charges that add up to the largest sum a usage line may hold (rating refuses more).
    let mut largest = invoice_for(c, &calls, vec![]);
    largest.calls[0].charge = Charge::from_units(i64::MAX - 1);
    largest.calls[1].charge = Charge::from_units(1);
    largest.lines[0].amount = Amount::of_line(i64::MAX);
    largest.total = Amount::of_line(i64::MAX);
    let mut tx = db.store.write_usage().expect("tx");
    tx.insert_invoice(&largest).expect("the largest line");
    assert_eq!(tx.check().expect("check"), Vec::<String>::new());
}

/// `db check` recomputes a usage line's amount with the rule invoicing applies
/// (`Amount::of_line`): lines rounded by it pass, on the half cent and at the largest sums, and
/// a line a hundredth off is reported with the amount the rule gives.
fn check_rounds_each_line_as_invoicing_does<S: OpenStore>(backend: Backend) {
    let mut db = db::<S>(backend);
    let c = customer(&mut db.store, "c1");
    let sums = [0, 1, 49, 50, 51, 149, 150, 6_150, 12_345_650, 99_999_999_949, 99_999_999_950, i64::MAX];
    let records: Vec<NewCall> = (0..2 * sums.len()).map(|i| call(c, &format!("c{i}"), 1 + i as i64, 60)).collect();
    import(&mut db.store, &records);
    let calls: Vec<(i64, i64)> = unbilled(&mut db.store, c).iter().map(|s| (s.pk, s.call.start)).collect();
    let mut tx = db.store.write_usage().expect("tx");
    let mut wrong = Vec::new();
    for (i, &sum) in sums.iter().enumerate() {
        for (at, off) in [(i, 0), (sums.len() + i, 1)] {
            let mut inv = invoice_for(c, &calls[at..=at], vec![]);
            inv.calls[0].charge = Charge::from_units(sum);
            let amount = Amount::of_line(sum);
            inv.lines[0].amount = Amount::from_units(amount.units() - off);
            inv.total = inv.lines[0].amount;
            let id = tx.insert_invoice(&inv).expect("insert");
            if off != 0 {
                wrong.push(format!("{id} line domestic: calls 1 / billed Some(1), billable 60 / Some(60), included 0 / Some(0), amount {} / Some({})", amount.units() - off, amount.units()));
            }
        }
    }
    let problems = tx.check().expect("check");
    let found: Vec<String> = problems.iter().map(|p| p.trim_start_matches("invoice ").to_owned()).collect();
    assert_eq!(found, wrong);
}

fn source_settings_numbers_and_jobs_round_trip<S: OpenStore>(backend: Backend) {
    let mut db = db::<S>(backend);
    let store = &mut db.store;
    let acme = customer(store, "acme");
    let beta = customer(store, "beta");

    let settings = |source, json: &str, secret: &[u8]| SourceSettings {
        source,
        settings: json.into(),
        secrets: secret.to_vec(),
        updated_at: 1_767_225_600_000_001,
    };
    let mut tx = store.write().expect("tx");
    tx.save_source_settings(&settings(ns(), r#"{"url":"a"}"#, &[0, 255, 7])).expect("save");
    tx.save_source_settings(&settings(bl(), r#"{"url":"b"}"#, &[1])).expect("save");
    tx.save_source_settings(&settings(ns(), r#"{"url":"c"}"#, &[9, 0])).expect("replace");
    let numbers = |list: &[(&str, bool)]| -> Vec<PhoneNumber> {
        list.iter().map(|(n, e)| PhoneNumber { number: (*n).into(), enabled: *e }).collect()
    };
    tx.replace_phone_numbers(acme, &ns(), &numbers(&[("13125550101", true), ("13125550100", false)])).expect("numbers");
    tx.replace_phone_numbers(acme, &bl(), &numbers(&[("12125550100", true)])).expect("numbers");
    tx.replace_phone_numbers(acme, &ns(), &numbers(&[("13125550102", true), ("13125550100", true)]))
        .expect("replace numbers");
    tx.commit().expect("commit");

    let mut tx = store.read().expect("tx");
    let saved = tx.source_settings().expect("settings");
    assert_eq!(saved, vec![settings(bl(), r#"{"url":"b"}"#, &[1]), settings(ns(), r#"{"url":"c"}"#, &[9, 0])]);
    assert_eq!(
        tx.phone_numbers(acme).expect("numbers"),
        vec![
            (bl(), PhoneNumber { number: "12125550100".into(), enabled: true }),
            (ns(), PhoneNumber { number: "13125550100".into(), enabled: true }),
            (ns(), PhoneNumber { number: "13125550102".into(), enabled: true }),
        ]
    );
    assert!(tx.phone_numbers(beta).expect("numbers").is_empty());
    drop(tx);

    let mut job = Job {
        id: 0,
        customer_pk: acme,
        customer: String::new(),
        source: ns(),
        domain: "acme.example".into(),
        window_start: 1_767_225_600_000_000,
        window_end: 1_767_312_000_000_000,
        state: JobState::Running,
        position: r#"{"segment":0,"offset":0}"#.into(),
        progress: JobProgress::default(),
        numbers: None,
        platform_count: None,
        stored_count: None,
        started_at: 1_767_400_000_123_456,
        finished_at: None,
        error: None,
        rejects: Vec::new(),
        updated_at: 1_767_400_000_123_456,
    };
    let mut tx = store.write_usage().expect("tx");
    job.id = tx.save_job(&job).expect("insert");
    let other = Job { customer_pk: beta, source: bl(), ..job.clone() };
    let other_id = tx.save_job(&Job { id: 0, ..other }).expect("insert");
    assert!(other_id > job.id);
    job.state = JobState::Done;
    job.position = r#"{"segment":2,"offset":4000}"#.into();
    job.progress = JobProgress {
        pages: 7,
        received: 6001,
        imported: 5000,
        updated: 3,
        duplicates: 900,
        conflicts: 1,
        skipped: 97,
        repeated: 1000,
        errors: 4,
        outside: 2,
        rejected: 3,
    };
    // Rejected records keep any id, even one PostgreSQL text could not hold as it is.
    job.rejects = vec![
        RejectedRecord { id: "r1".into(), reason: "its release is 5 s before its answer".into() },
        RejectedRecord { id: "odd\u{0}\"id\n".into(), reason: "a \"reason\"".into() },
    ];
    job.numbers = Some(12);
    job.platform_count = Some(5904);
    job.stored_count = Some(5903);
    job.finished_at = Some(1_767_400_060_000_001);
    job.updated_at = 1_767_400_060_000_001;
    job.error = Some("brightlink: connection refused".into());
    assert_eq!(tx.save_job(&job).expect("update"), job.id);
    tx.commit().expect("commit");

    let mut tx = store.read().expect("tx");
    job.customer = "acme".into();
    assert_eq!(tx.job(job.id).expect("job"), Some(job.clone()));
    assert_eq!(tx.job(other_id + 1).expect("job"), None);
    let all: Vec<i64> = tx.jobs(&JobQuery::default()).expect("jobs").iter().map(|j| j.id).collect();
    assert_eq!(all, vec![other_id, job.id], "newest first");
    let mine = tx.jobs(&JobQuery { customer_pk: Some(acme), ..JobQuery::default() }).expect("jobs");
    assert_eq!(mine, vec![job.clone()]);
    let none = tx.jobs(&JobQuery { customer_pk: Some(acme), source: Some(bl()), limit: None });
    assert!(none.expect("jobs").is_empty());
    assert_eq!(tx.jobs(&JobQuery { limit: Some(1), ..JobQuery::default() }).expect("jobs").len(), 1);
    drop(tx);

    // Counting calls: by customer, source and a half-open window of start times.
    let mut calls: Vec<NewCall> = (0..5).map(|i| call(acme, &format!("c{i}"), 1_000_000 * i, 30)).collect();
    calls.push(NewCall { source: ns(), ..call(acme, "n1", 2_000_000, 30) });
    calls.push(call(beta, "b1", 2_000_000, 30));
    import(store, &calls);
    let mut tx = store.read().expect("tx");
    assert_eq!(tx.count_calls(acme, &Source::file(), 1_000_000, 4_000_000).expect("count"), 3);
    assert_eq!(tx.count_calls(acme, &Source::file(), 0, 5_000_000).expect("count"), 5);
    assert_eq!(tx.count_calls(acme, &ns(), 0, 5_000_000).expect("count"), 1);
    assert_eq!(tx.count_calls(beta, &Source::file(), 0, 2_000_000).expect("count"), 0);
}

fn sources_are_registered_by_name_and_keep_their_codes<S: OpenStore>(backend: Backend) {
    let mut db = db::<S>(backend);
    let mut tx = db.store.write().expect("tx");
    let names =
        |list: Vec<Source>| list.iter().map(|s| (s.code(), s.name().to_owned(), s.platform())).collect::<Vec<_>>();
    // Every database has the platforms' own sources, with the codes they always had.
    assert_eq!(
        names(tx.sources().expect("sources")),
        vec![
            (0, "brightlink".into(), Platform::Brightlink),
            (1, "file".into(), Platform::File),
            (2, "netsapiens".into(), Platform::Netsapiens)
        ]
    );
    let east = tx.add_source("ns-east", Platform::Netsapiens).expect("add");
    assert_eq!((east.code(), east.name(), east.platform()), (3, "ns-east", Platform::Netsapiens));
    let aaa = tx.add_source("aaa", Platform::Brightlink).expect("add");
    assert_eq!(aaa.code(), 4, "a new source takes the next code");
    for (name, platform, why) in [
        ("ns-east", Platform::Brightlink, "exists already"),
        ("file", Platform::Netsapiens, "the file platform's own source"),
        ("netsapiens", Platform::Brightlink, "the netsapiens platform's own source"),
        ("NS", Platform::Netsapiens, "is not a source name"),
        ("a:b", Platform::Netsapiens, "is not a source name"),
        ("", Platform::Netsapiens, "is not a source name"),
    ] {
        match tx.add_source(name, platform) {
            Err(StoreError::Refused(e)) => assert!(e.contains(why), "{name}: {e}"),
            other => panic!("{name}: {other:?}"),
        }
    }
    let long = "a".repeat(65);
    assert!(matches!(tx.add_source(&long, Platform::Netsapiens), Err(StoreError::Refused(_))));
    tx.add_source(&"a".repeat(64), Platform::Netsapiens).expect("64 bytes is a name");
    tx.commit().expect("commit");

    // Listed by name, read back as registered by another transaction.
    let mut tx = db.store.read().expect("tx");
    let list: Vec<String> = tx.sources().expect("sources").iter().map(|s| s.name().to_owned()).collect();
    assert_eq!(
        list,
        vec!["aaa".into(), "a".repeat(64), "brightlink".into(), "file".into(), "netsapiens".into(), "ns-east".into()]
    );
}

fn a_domain_names_one_customer_per_source<S: OpenStore>(backend: Backend) {
    let mut db = db::<S>(backend);
    let mut tx = db.store.write().expect("tx");
    let east = tx.add_source("ns-east", Platform::Netsapiens).expect("add");
    let mut acme = Customer::new("acme", "Acme");
    acme.set_domain(&ns(), Some("acme.example".into()));
    acme.set_domain(&east, Some("Acme.East".into()));
    acme.set_domain(&bl(), Some("acme-bl".into()));
    acme.pk = tx.save_customer(&acme).expect("save");
    // The same domain on another source is another platform's: allowed.
    let mut globex = Customer::new("globex", "Globex");
    globex.set_domain(&bl(), Some("acme.example".into()));
    globex.pk = tx.save_customer(&globex).expect("save");
    tx.commit().expect("commit");

    let mut tx = db.store.read().expect("tx");
    let read = tx.customer("acme").expect("read").expect("acme");
    let by_name: Vec<(&str, &str)> = read.domains.iter().map(|(s, d)| (s.name(), d.as_str())).collect();
    assert_eq!(by_name, vec![("brightlink", "acme-bl"), ("netsapiens", "acme.example"), ("ns-east", "Acme.East")]);
    assert_eq!(read, acme);
    assert_eq!(tx.customers().expect("all"), vec![acme.clone(), globex.clone()]);
    drop(tx);

    // A domain of one source in other case is refused for another customer…
    let mut tx = db.store.write().expect("tx");
    let mut initech = Customer::new("initech", "Initech");
    initech.set_domain(&east, Some("ACME.east".into()));
    match tx.save_customer(&initech) {
        Err(StoreError::Refused(e)) => assert!(e.contains("ns-east domain `ACME.east`"), "{e}"),
        other => panic!("{other:?}"),
    }
    drop(tx);
    // …and taken once its customer gives it up in the same transaction.
    let mut tx = db.store.write().expect("tx");
    acme.set_domain(&east, None);
    tx.save_customer(&acme).expect("acme gives it up");
    initech.pk = tx.save_customer(&initech).expect("initech takes it");
    tx.commit().expect("commit");
    let mut tx = db.store.read().expect("tx");
    assert_eq!(tx.customer("acme").expect("read").expect("acme").domain(&east), None);
    assert_eq!(tx.customer("initech").expect("read").expect("initech").domain(&east), Some("ACME.east"));
}

fn calls_of_one_start_come_by_source_name_whatever_the_codes<S: OpenStore>(backend: Backend) {
    let mut db = db::<S>(backend);
    let c = customer(&mut db.store, "c1");
    let mut tx = db.store.write().expect("tx");
    // Codes 3 and 4: after every platform's own source by code, before or among them by name.
    let zz = tx.add_source("zz", Platform::Netsapiens).expect("add");
    let aa = tx.add_source("aa", Platform::Brightlink).expect("add");
    tx.commit().expect("commit");
    let on = |source: &Source, id: &str, start: i64| NewCall { source: source.clone(), ..call(c, id, start, 10) };
    import(
        &mut db.store,
        &[
            on(&zz, "1", 5),
            on(&ns(), "1", 5),
            on(&aa, "2", 5),
            on(&Source::file(), "1", 5),
            on(&aa, "10", 5),
            on(&zz, "0", 4),
            on(&aa, "0", 6),
        ],
    );
    let mut tx = db.store.read().expect("tx");
    let q = CallQuery::of_customer(c);
    let got: Vec<(i64, String, String)> = tx
        .calls(&q)
        .expect("calls")
        .into_iter()
        .map(|s| (s.call.start, s.call.source.name().to_owned(), s.call.source_call_id))
        .collect();
    let want: Vec<(i64, String, String)> = [
        (4, "zz", "0"),
        (5, "aa", "10"),
        (5, "aa", "2"),
        (5, "file", "1"),
        (5, "netsapiens", "1"),
        (5, "zz", "1"),
        (6, "aa", "0"),
    ]
    .into_iter()
    .map(|(t, s, i)| (t, s.to_owned(), i.to_owned()))
    .collect();
    assert_eq!(got, want, "start, then source name, then id, byte-wise");
}

/// Every filter of `CallQuery` narrows the calls read, alone or with the others, for one customer
/// or across customers (still in start order); a customer's drafts are its open invoices.
fn calls_are_filtered_across_customers_by_source_number_status_and_invoice<S: OpenStore>(backend: Backend) {
    let mut db = db::<S>(backend);
    let (c1, c2) = (customer(&mut db.store, "c1"), customer(&mut db.store, "c2"));
    let with = |c: NewCall, source: Source, to: &str| NewCall { source, to: to.into(), ..c };
    import(
        &mut db.store,
        &[
            call(c1, "a", 10, 60),
            with(call(c2, "b", 20, 60), ns(), "13125550100"),
            call(c1, "c", 30, 0),
            with(call(c2, "d", 40, 0), ns(), "13125550100"),
            call(c1, "e", 50, 60),
            call(c1, "f", 60, 60),
        ],
    );
    let ids = |db: &mut Db<S>, q: &CallQuery| -> Vec<String> {
        let mut tx = db.store.read().expect("tx");
        tx.calls(q).expect("calls").into_iter().map(|s| s.call.source_call_id).collect()
    };
    let numbers: Vec<(i64, i64)> = {
        let mut tx = db.store.read().expect("tx");
        let calls = tx.calls(&CallQuery::of_customer(c1)).expect("calls");
        calls.iter().filter(|s| s.call.duration > 0).map(|s| (s.pk, s.call.start)).collect()
    };
    let mut tx = db.store.write().expect("tx");
    let first = tx.insert_invoice(&invoice_for(c1, &numbers[..1], vec![])).expect("an invoice of a");
    let second = tx.insert_invoice(&invoice_for(c1, &numbers[1..2], vec![])).expect("an invoice of e");
    tx.commit().expect("commit");

    let all = CallQuery::default();
    assert_eq!(ids(&mut db, &all), ["a", "b", "c", "d", "e", "f"], "every customer's, in start order");
    assert_eq!(ids(&mut db, &CallQuery::of_customer(c2)), ["b", "d"]);
    assert_eq!(ids(&mut db, &CallQuery { source: Some(ns()), ..all.clone() }), ["b", "d"]);
    assert_eq!(ids(&mut db, &CallQuery { source: Some(bl()), ..all.clone() }), Vec::<String>::new());
    assert_eq!(ids(&mut db, &CallQuery { number: Some("3125".into()), ..all.clone() }), ["b", "d"]);
    assert_eq!(ids(&mut db, &CallQuery { number: Some("2125550100".into()), ..all.clone() }), ["a", "c", "e", "f"]);
    assert_eq!(ids(&mut db, &CallQuery { unanswered_only: true, ..all.clone() }), ["c", "d"]);
    assert_eq!(ids(&mut db, &CallQuery { billed_only: true, ..all.clone() }), ["a", "e"]);
    assert_eq!(ids(&mut db, &CallQuery { answered_only: true, unbilled_only: true, ..all.clone() }), ["b", "f"]);
    assert_eq!(ids(&mut db, &CallQuery { invoice: Some(second), ..all.clone() }), ["e"]);
    assert_eq!(ids(&mut db, &CallQuery { invoice: Some(first), ..CallQuery::of_customer(c1) }), ["a"]);
    assert_eq!(ids(&mut db, &CallQuery { invoice: Some(first), ..CallQuery::of_customer(c2) }), Vec::<String>::new());
    let unanswered_c2 = CallQuery { unanswered_only: true, number: Some("0100".into()), ..CallQuery::of_customer(c2) };
    assert_eq!(ids(&mut db, &unanswered_c2), ["d"]);
    assert_eq!(ids(&mut db, &CallQuery { from: Some(20), to: Some(50), ..all.clone() }), ["b", "c", "d"]);

    let mut tx = db.store.write().expect("tx");
    assert_eq!(tx.draft_invoices(c1).expect("drafts"), [first, second]);
    assert_eq!(tx.draft_invoices(c2).expect("drafts"), []);
    // The unbilled answered calls before a time: none of c1's before 60 (a and e are billed, c is
    // unanswered), f when 60 is included.
    assert_eq!(tx.unbilled_before(c1, 60).expect("unbilled"), None);
    assert_eq!(tx.unbilled_before(c1, 61).expect("unbilled"), Some((1, 60, 60)));
    tx.delete_invoice(first).expect("deleted");
    assert_eq!(tx.draft_invoices(c1).expect("drafts"), [second]);
    // Deleting a's invoice leaves a unbilled again.
    assert_eq!(tx.unbilled_before(c1, 61).expect("unbilled"), Some((2, 10, 60)));
    assert_eq!(tx.unbilled_before(c1, 10).expect("unbilled"), None);
    assert_eq!(tx.unbilled_before(c2, 1_000_000).expect("unbilled"), Some((1, 20, 20)));
}

fn decks_and_the_local_calling_table_round_trip<S: OpenStore>(backend: Backend) {
    let mut db = db::<S>(backend);
    let deck = |id: &str, description: &str| Deck { id: id.into(), description: description.into() };
    let npa = |s: &str| rating::NpaNxx::parse(s).expect("NPA-NXX");
    let mut tx = db.store.write().expect("tx");
    assert_eq!(tx.decks().expect("decks"), vec![]);
    assert_eq!(tx.local_calling().expect("local"), vec![]);
    tx.save_deck(&deck("zeta", "Zeta wholesale")).expect("deck");
    tx.save_deck(&deck("alpha", "first words")).expect("deck");
    // Saving a deck again updates it in place.
    tx.save_deck(&deck("alpha", "Alpha retail")).expect("deck");
    let mut c = Customer::new("acme", "Acme");
    c.deck = Some("alpha".into());
    c.pk = tx.save_customer(&c).expect("save");
    // Pairs given twice are stored once.
    let pairs = [(npa("212555"), npa("212556")), (npa("212555"), npa("917555")), (npa("212555"), npa("212556"))];
    tx.replace_local_calling(&pairs).expect("local");
    tx.commit().expect("commit");

    let mut tx = db.store.read().expect("tx");
    assert_eq!(tx.decks().expect("decks"), vec![deck("alpha", "Alpha retail"), deck("zeta", "Zeta wholesale")]);
    assert_eq!(tx.customer("acme").expect("read"), Some(c));
    let mut local = tx.local_calling().expect("local");
    local.sort_unstable();
    assert_eq!(local, vec![(npa("212555"), npa("212556")), (npa("212555"), npa("917555"))]);
    drop(tx);

    // Replacing the table leaves none of the pairs before; more than one statement's worth of
    // pairs goes in whole.
    let many: Vec<_> =
        (0..5000).map(|i| (npa("303555"), npa(&format!("{}{}", 200 + i / 800, 200 + i % 800)))).collect();
    let mut tx = db.store.write().expect("tx");
    tx.replace_local_calling(&many).expect("local");
    tx.commit().expect("commit");
    let mut local = db.store.read().expect("tx").local_calling().expect("local");
    local.sort_unstable();
    assert_eq!(local, many);

    let mut tx = db.store.write().expect("tx");
    tx.replace_local_calling(&[]).expect("local");
    tx.commit().expect("commit");
    assert_eq!(db.store.read().expect("tx").local_calling().expect("local"), vec![]);
}

/// A use case that locks a customer waits for another holding it, then sees what that one
/// committed: two invoices of one customer are never made from the same view of its drafts.
fn invoices_of_one_customer_are_made_one_at_a_time<S: OpenStore + 'static>(backend: Backend) {
    let mut db = db::<S>(backend);
    let pk = customer(&mut db.store, "acme");
    import(&mut db.store, &[call(pk, "a", 1_000_000, 60)]);
    let stored = unbilled(&mut db.store, pk);

    let mut tx = db.store.write_usage().expect("tx");
    let locked = tx.customer_for_update("acme").expect("lock").expect("acme");
    assert_eq!((locked.pk, locked.id.as_str()), (pk, "acme"));
    assert_eq!(tx.customer_for_update("nobody").expect("lock"), None);

    let url = db.url.clone();
    let other = std::thread::spawn(move || {
        let mut store = S::open_url(&url).expect("open");
        let mut tx = store.write_usage().expect("tx");
        let c = tx.customer_for_update("acme").expect("lock").expect("acme");
        let drafts = tx.draft_invoices(c.pk).expect("drafts");
        tx.commit().expect("commit");
        drafts
    });
    // Give the other use case time to reach the lock; it must wait there (or at its start).
    std::thread::sleep(std::time::Duration::from_millis(300));
    let first = tx.insert_invoice(&invoice_for(pk, &[(stored[0].pk, stored[0].call.start)], vec![])).expect("invoice");
    tx.commit().expect("commit");
    assert_eq!(other.join().expect("the other use case"), vec![first]);
}

fn date(s: &str) -> chrono::NaiveDate {
    s.parse().expect("a date")
}

fn plan<S: Store>(store: &mut S, id: &str) {
    let mut tx = store.write().expect("tx");
    let allowance = PlanAllowance {
        call_types: vec![CallType::parse("domestic").expect("type")],
        included_minutes: 10,
        description: String::new(),
    };
    tx.save_plan(&Plan { id: id.into(), allowances: vec![allowance] }).expect("plan");
    tx.commit().expect("commit");
}

fn subscription(customer_pk: i64, id: &str) -> Subscription {
    Subscription {
        pk: 0,
        id: id.into(),
        customer_pk,
        customer: String::new(),
        start: date("2026-01-10"),
        end: None,
        description: format!("Service {id}"),
        quantity_e4: 10_0000,
        unit_price_e4: 25_0000,
        plans: vec![],
    }
}

fn save_subscription<S: Store>(store: &mut S, s: &Subscription) -> i64 {
    let mut tx = store.write().expect("tx");
    let pk = tx.save_subscription(s).expect("save");
    tx.commit().expect("commit");
    pk
}

fn subscriptions_and_payment_terms_round_trip<S: OpenStore>(backend: Backend) {
    let mut db = db::<S>(backend);
    let (c1, c2) = (customer(&mut db.store, "c1"), customer(&mut db.store, "c2"));
    plan(&mut db.store, "bundle");
    plan(&mut db.store, "extra");
    let mut tx = db.store.write().expect("tx");
    let mut terms = tx.customer("c2").expect("read").expect("c2");
    terms.payment_terms = Some(0);
    tx.save_customer(&terms).expect("save");
    tx.commit().expect("commit");
    let mut seat = Subscription { plans: vec!["extra".into(), "bundle".into()], ..subscription(c1, "seat") };
    seat.pk = save_subscription(&mut db.store, &seat);
    let trunk =
        Subscription { end: Some(date("2026-03-31")), quantity_e4: 1, unit_price_e4: 0, ..subscription(c2, "Trunk") };
    let trunk = Subscription { pk: save_subscription(&mut db.store, &trunk), ..trunk };

    let mut tx = db.store.read().expect("tx");
    assert_eq!(tx.customer("c1").expect("read").expect("c1").payment_terms, None, "the installation's default");
    assert_eq!(tx.customer("c2").expect("read").expect("c2").payment_terms, Some(0));
    let all = tx.subscriptions(None).expect("all");
    let named = |s: &Subscription, customer: &str| Subscription { customer: customer.into(), ..s.clone() };
    assert_eq!(all, vec![named(&trunk, "c2"), named(&seat, "c1")], "in byte order of ids");
    assert_eq!(tx.subscriptions(Some(c1)).expect("c1"), vec![named(&seat, "c1")]);
    drop(tx);

    // Saving again replaces the subscription and its plans.
    let changed = Subscription { plans: vec!["bundle".into()], description: "Seat".into(), ..seat.clone() };
    assert_eq!(save_subscription(&mut db.store, &changed), seat.pk);
    let mut tx = db.store.read().expect("tx");
    assert_eq!(tx.subscriptions(Some(c1)).expect("c1"), vec![named(&changed, "c1")]);
    // The database keeps the rules of a subscription: a last day before the first, no quantity.
    drop(tx);
    for bad in [
        Subscription { end: Some(date("2026-01-09")), ..subscription(c1, "bad") },
        Subscription { quantity_e4: 0, ..subscription(c1, "bad") },
        Subscription { plans: vec!["nope".into()], ..subscription(c1, "bad") },
    ] {
        let mut tx = db.store.write().expect("tx");
        assert!(tx.save_subscription(&bad).is_err(), "{bad:?}");
    }
}

/// A recurring line billing `days` of a subscription, on an automatic invoice of `from..=to`.
fn recurring_invoice(customer_pk: i64, subscription_pk: i64, (from, to): (&str, &str), days: &[&str]) -> NewInvoice {
    let line = InvoiceLine {
        kind: LineKind::Recurring,
        description: "Service".into(),
        amount: Amount::from_units(1_000),
        days: Some((days[0].into(), days[days.len() - 1].into())),
        recurring: Some(RecurringLine {
            subscription_pk,
            subscription: String::new(),
            quantity_e4: 1_0000,
            unit_price_e4: 10_0000,
        }),
        ..InvoiceLine::default()
    };
    NewInvoice {
        from: from.into(),
        to: to.into(),
        kind: InvoiceKind::Cycle,
        lines: vec![line],
        total: Amount::from_units(1_000),
        calls: vec![],
        days: days.iter().map(|d| store::BilledDay { subscription_pk, day: date(d) }).collect(),
        ..invoice_for(customer_pk, &[], vec![])
    }
}

fn a_subscription_day_is_billed_once_and_deletion_releases_it<S: OpenStore>(backend: Backend) {
    let mut db = db::<S>(backend);
    let c = customer(&mut db.store, "c1");
    let s = save_subscription(&mut db.store, &subscription(c, "seat"));
    let mut tx = db.store.write_usage().expect("tx");
    let first = tx
        .insert_invoice(&recurring_invoice(c, s, ("2026-01-01", "2026-01-31"), &["2026-02-01", "2026-02-02"]))
        .expect("first");
    tx.commit().expect("commit");

    let mut tx = db.store.read().expect("tx");
    assert_eq!(tx.billed_days(s).expect("days"), vec![date("2026-02-01"), date("2026-02-02")]);
    let line = &tx.invoice(first).expect("read").expect("stored").lines[0];
    assert_eq!(
        line.recurring.as_ref().map(|r| (r.subscription.as_str(), r.quantity_e4, r.unit_price_e4)),
        Some(("seat", 1_0000, 10_0000))
    );
    assert_eq!(line.days, Some(("2026-02-01".into(), "2026-02-02".into())));
    assert_eq!(tx.check().expect("check"), Vec::<String>::new());
    drop(tx);

    // A day billed already is refused by the database itself, whatever the invoice.
    let twice = recurring_invoice(c, s, ("2026-02-01", "2026-02-28"), &["2026-02-02", "2026-02-03"]);
    let mut tx = db.store.write_usage().expect("tx");
    assert!(tx.insert_invoice(&twice).is_err(), "2026-02-02 was billed twice");
    drop(tx);

    let mut tx = db.store.write_usage().expect("tx");
    assert_eq!(tx.delete_invoice(first).expect("delete"), DeleteOutcome::Deleted { calls_released: 0 });
    assert_eq!(tx.billed_days(s).expect("days"), vec![], "deleting the invoice released its days");
    tx.insert_invoice(&twice).expect("the released day is billed again");
    tx.commit().expect("commit");
    assert_eq!(
        db.store.read().expect("tx").billed_days(s).expect("days"),
        vec![date("2026-02-02"), date("2026-02-03")]
    );
}

fn one_live_automatic_invoice_per_customer_and_period<S: OpenStore>(backend: Backend) {
    let mut db = db::<S>(backend);
    let c = customer(&mut db.store, "c1");
    let s = save_subscription(&mut db.store, &subscription(c, "seat"));
    let period = ("2026-01-01", "2026-01-31");
    let mut tx = db.store.write_usage().expect("tx");
    let first = tx.insert_invoice(&recurring_invoice(c, s, period, &["2026-02-01"])).expect("first");
    tx.commit().expect("commit");
    let mut tx = db.store.write_usage().expect("tx");
    let again = tx.insert_invoice(&recurring_invoice(c, s, period, &["2026-02-02"]));
    assert!(
        matches!(again, Err(StoreError::PeriodInvoiced { ref from, ref to }) if from == period.0 && to == period.1),
        "{again:?}"
    );
    drop(tx);
    // A manual invoice of the same days, and an automatic one of another period, are allowed.
    let mut tx = db.store.write_usage().expect("tx");
    let manual = NewInvoice { kind: InvoiceKind::Manual, ..recurring_invoice(c, s, period, &["2026-02-03"]) };
    tx.insert_invoice(&manual).expect("manual");
    tx.insert_invoice(&recurring_invoice(c, s, ("2026-02-01", "2026-02-28"), &["2026-02-04"])).expect("next period");
    // Deleted, the period can be invoiced again.
    assert!(matches!(tx.delete_invoice(first).expect("delete"), DeleteOutcome::Deleted { .. }));
    tx.insert_invoice(&recurring_invoice(c, s, period, &["2026-02-01"])).expect("after deletion");
    tx.commit().expect("commit");
}

fn late_calls_are_billed_from_the_invoices_first_call_day<S: OpenStore>(backend: Backend) {
    let mut db = db::<S>(backend);
    let c = customer(&mut db.store, "c1");
    // 2026-01-10 12:00 UTC, a call of January billed late on February's invoice.
    let noon = 1_768_046_400_000_000;
    import(&mut db.store, &[call(c, "a", noon, 60)]);
    let key: Vec<(i64, i64)> = unbilled(&mut db.store, c).iter().map(|s| (s.pk, s.call.start)).collect();
    let late = |calls_from: Option<&str>| {
        let mut inv = NewInvoice {
            from: "2026-02-01".into(),
            to: "2026-02-28".into(),
            kind: InvoiceKind::Cycle,
            calls_from: calls_from.map(str::to_owned),
            ..invoice_for(c, &key, vec![])
        };
        // One call of 0.6150: a line of 0.62.
        (inv.lines[0].amount, inv.total) = (Amount::from_units(62), Amount::from_units(62));
        inv.lines[0].late = true;
        inv.lines[0].days = Some(("2026-01-01".into(), "2026-01-31".into()));
        inv
    };
    for refused in [None, Some("2026-01-12"), Some("2026-02-02")] {
        let mut tx = db.store.write_usage().expect("tx");
        let r = tx.insert_invoice(&late(refused));
        assert!(r.is_err(), "calls from {refused:?}: {r:?}");
    }
    let mut tx = db.store.write_usage().expect("tx");
    let id = tx.insert_invoice(&late(Some("2026-01-01"))).expect("late call");
    tx.commit().expect("commit");
    let mut tx = db.store.read().expect("tx");
    let line = &tx.invoice(id).expect("read").expect("stored").lines[0];
    assert!(line.late);
    assert_eq!(line.days, Some(("2026-01-01".into(), "2026-01-31".into())));
    assert_eq!(tx.check().expect("check"), Vec::<String>::new());
}

fn runs_share_the_jobs_numbering_and_workers_split_a_cycle_by_claims<S: OpenStore>(backend: Backend) {
    use std::time::Duration;
    let mut db = db::<S>(backend);
    let pks: Vec<i64> = ["c", "a", "d", "b"].iter().map(|id| customer(&mut db.store, id)).collect();
    let (c, a, d, b) = (pks[0], pks[1], pks[2], pks[3]);
    let lease = Duration::from_secs(600);

    // A run takes the next id of the jobs' numbering; a second start joins it.
    let mut tx = db.store.write_usage().expect("tx");
    let (run, new) = tx.start_run(RunKind::Cycle, "2026-02-01", 1_000).expect("start");
    assert!(new);
    assert_eq!((run.kind, run.date.as_str(), run.state), (RunKind::Cycle, "2026-02-01", JobState::Running));
    tx.add_claims(run.id, &pks).expect("claims");
    tx.add_claims(run.id, &[a]).expect("a claim added twice is kept once");
    tx.commit().expect("commit");
    let mut tx = db.store.write_usage().expect("tx");
    let (joined, new) = tx.start_run(RunKind::Cycle, "2026-02-01", 2_000).expect("join");
    assert!(!new);
    assert_eq!(joined, run);
    let other = tx.start_run(RunKind::Scheduler, "2026-02-01", 2_000).expect("another kind").0;
    assert!(other.id > run.id);
    let job = Job {
        id: 0,
        customer_pk: a,
        customer: String::new(),
        source: ns(),
        domain: "a.example".into(),
        window_start: 0,
        window_end: 1,
        state: JobState::Running,
        position: "{}".into(),
        progress: JobProgress::default(),
        numbers: None,
        platform_count: None,
        stored_count: None,
        started_at: 0,
        finished_at: None,
        error: None,
        rejects: Vec::new(),
        updated_at: 0,
    };
    let job_id = tx.save_job(&job).expect("a sync job");
    assert!(job_id > other.id, "a sync job after the runs takes the next id: {job_id} after {}", other.id);
    let third = tx.start_run(RunKind::Cycle, "2026-03-01", 3_000).expect("a third run").0;
    assert!(third.id > job_id);

    // Claims come in key order (the order customers were added, not their ids), each to one worker.
    assert_eq!(tx.claim_customers(run.id, "w1", (i64::MIN, 2), lease).expect("claim"), sorted(vec![c, a]));
    assert_eq!(tx.claim_customers(run.id, "w2", (i64::MIN, 1), lease).expect("claim"), vec![d]);
    assert!(tx.settle_claim(run.id, c, "w1", ClaimOutcome::Invoiced, "").expect("settle"));
    assert!(!tx.settle_claim(run.id, d, "w1", ClaimOutcome::Held, "not w1's").expect("settle"));
    assert!(tx.settle_claim(run.id, d, "w2", ClaimOutcome::Held, "sync failed").expect("settle"));
    let counts = tx.claim_counts(run.id).expect("counts");
    assert_eq!((counts.pending, counts.claimed, counts.expired, counts.invoiced, counts.held), (1, 1, 0, 1, 1));
    assert!(counts.next_expiry.is_some_and(|us| us > 0 && us <= 600_000_000), "{counts:?}");
    assert_eq!(counts.open(), 2);
    assert_eq!(tx.claim_holders(run.id).expect("holders"), vec!["w1".to_owned()]);
    // Held and failed claims are tried again by a run that starts or joins later.
    assert_eq!(tx.retry_claims(run.id).expect("retry"), 1);
    tx.commit().expect("commit");

    // A claim whose lease ended is taken by the next worker that asks.
    let mut tx = db.store.write_usage().expect("tx");
    tx.renew_claims(run.id, "w1", Duration::ZERO).expect("renew");
    tx.commit().expect("commit");
    std::thread::sleep(Duration::from_millis(20));
    let mut tx = db.store.write_usage().expect("tx");
    assert_eq!(tx.claim_counts(run.id).expect("counts").expired, 1);
    assert_eq!(tx.claim_customers(run.id, "w3", (i64::MIN, 10), lease).expect("claim"), sorted(vec![a, d, b]));
    assert!(!tx.settle_claim(run.id, a, "w1", ClaimOutcome::Invoiced, "").expect("w1 lost it"));
    // A worker known dead gives its claims back at once.
    assert_eq!(tx.claim_holders(run.id).expect("holders"), vec!["w3".to_owned()]);
    assert_eq!(tx.release_claims(run.id, "w3").expect("release"), 3);
    assert!(tx.claim_holders(run.id).expect("holders").is_empty());
    assert_eq!(tx.claim_counts(run.id).expect("counts").pending, 3);
    // A claim past a key takes only the claims above it; the next one, from the start, the rest.
    let keys = sorted(vec![a, d, b]);
    assert_eq!(sorted(tx.claim_customers(run.id, "w3", (keys[0], 10), lease).expect("claim")), keys[1..]);
    assert_eq!(tx.claim_customers(run.id, "w3", (keys[2], 10), lease).expect("claim"), Vec::<i64>::new());
    assert_eq!(tx.claim_customers(run.id, "w3", (i64::MIN, 10), lease).expect("claim"), keys[..1]);
    for pk in [a, d, b] {
        assert!(tx.settle_claim(run.id, pk, "w3", ClaimOutcome::Skipped, "nothing to bill").expect("settle"));
    }
    assert_eq!(tx.claim_counts(run.id).expect("counts").open(), 0);
    let mut done = run.clone();
    done.state = JobState::Done;
    (done.total, done.done, done.invoiced, done.skipped) = (4, 4, 1, 3);
    (done.updated_at, done.finished_at, done.error) = (5_000, Some(5_000), Some("a note".into()));
    tx.save_run(&done).expect("save");
    tx.commit().expect("commit");

    let mut tx = db.store.read().expect("tx");
    assert_eq!(tx.run(run.id).expect("run"), Some(done.clone()));
    let ids: Vec<i64> = tx.runs(Some(2)).expect("runs").iter().map(|r| r.id).collect();
    assert_eq!(ids, vec![third.id, other.id]);
    drop(tx);
    // A finished run is not joined: the next start of its date is a new run.
    let mut tx = db.store.write_usage().expect("tx");
    let (again, new) = tx.start_run(RunKind::Cycle, "2026-02-01", 6_000).expect("start");
    assert!(new && again.id > third.id);
    tx.commit().expect("commit");

    if backend == Backend::Postgres {
        // Two workers at once: the second skips the rows the first has locked and not committed.
        let mut other = S::open_url(&db.url).expect("a second connection");
        let mut tx = db.store.write_usage().expect("tx");
        tx.add_claims(again.id, &pks).expect("claims");
        tx.commit().expect("commit");
        let mut first = db.store.write_usage().expect("tx");
        assert_eq!(first.claim_customers(again.id, "w1", (i64::MIN, 2), lease).expect("claim"), sorted(vec![c, a]));
        let mut second = other.write_usage().expect("tx");
        assert_eq!(second.claim_customers(again.id, "w2", (i64::MIN, 4), lease).expect("claim"), sorted(vec![d, b]));
        second.commit().expect("commit");
        first.commit().expect("commit");
    }
}

fn sorted(mut v: Vec<i64>) -> Vec<i64> {
    v.sort();
    v
}

fn the_scheduler_keeps_its_day_and_one_holder_at_a_time<S: OpenStore>(backend: Backend) {
    use std::time::Duration;
    let mut db = db::<S>(backend);
    let mut tx = db.store.write_usage().expect("tx");
    assert_eq!(tx.scheduler_day().expect("day"), None);
    tx.set_scheduler_day("2026-02-03").expect("set");
    assert_eq!(tx.scheduler_day().expect("day").as_deref(), Some("2026-02-03"));
    assert_eq!(tx.take_scheduler_lease("host-a:1", Duration::from_secs(60)).expect("take"), None);
    assert_eq!(tx.take_scheduler_lease("host-a:1", Duration::from_secs(60)).expect("renew"), None);
    let (holder, left) = tx.take_scheduler_lease("host-b:2", Duration::from_secs(60)).expect("take").expect("held");
    assert_eq!(holder, "host-a:1");
    assert!(left > 0 && left <= 60_000_000, "{left}");
    tx.release_scheduler_lease("host-b:2").expect("not b's to release");
    assert!(tx.take_scheduler_lease("host-b:2", Duration::from_secs(60)).expect("take").is_some());
    tx.release_scheduler_lease("host-a:1").expect("release");
    assert_eq!(tx.take_scheduler_lease("host-b:2", Duration::ZERO).expect("take"), None);
    tx.commit().expect("commit");
    std::thread::sleep(Duration::from_millis(20));
    // A lease that ended is taken over.
    let mut tx = db.store.write_usage().expect("tx");
    assert_eq!(tx.take_scheduler_lease("host-a:1", Duration::from_secs(60)).expect("take"), None);
    tx.commit().expect("commit");
    let mut tx = db.store.read().expect("tx");
    assert_eq!(tx.scheduler_day().expect("day").as_deref(), Some("2026-02-03"));
}
