//! The storage behaviour every backend must have, through the `Store` traits.

use rating::number::Prefix;
use rating::{Amount, CallType, Charge, Direction, Increments, Owner, Price, Rate, Window};
use store::{
    BalanceKey, CallOutcome, CallQuery, Customer, DeleteOutcome, InvoiceKind, InvoiceLine, LineKind, NewBilledCall,
    NewCall, NewInvoice, Plan, PlanAllowance, Source, SqliteStore, Store, StoreTx,
};

struct Db {
    _dir: tempfile::TempDir,
    store: SqliteStore,
}

fn db() -> Db {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}/meter.db", dir.path().display());
    let store = SqliteStore::open_url(&url).expect("open");
    Db { _dir: dir, store }
}

fn customer(store: &mut SqliteStore, id: &str) -> i64 {
    let mut tx = store.write().expect("tx");
    let pk = tx.save_customer(&Customer::new(id, &format!("Customer {id}"))).expect("save");
    tx.commit().expect("commit");
    pk
}

fn call(customer_pk: i64, id: &str, start: i64, duration: u32) -> NewCall {
    NewCall {
        source: Source::File,
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

fn import(store: &mut SqliteStore, calls: &[NewCall]) -> Vec<CallOutcome> {
    let mut tx = store.write().expect("tx");
    let mut out = Vec::new();
    tx.import_calls(calls, &mut out).expect("import");
    tx.commit().expect("commit");
    out
}

fn unbilled(store: &mut SqliteStore, customer_pk: i64) -> Vec<store::StoredCall> {
    let mut tx = store.read().expect("tx");
    tx.calls(&CallQuery { customer_pk, from: None, to: None, answered_only: true, unbilled_only: true }).expect("calls")
}

fn invoice_for(customer_pk: i64, calls: &[(i64, i64)], draws: Vec<(BalanceKey, u64)>) -> NewInvoice {
    NewInvoice {
        customer_pk,
        from: "2026-01-01".into(),
        to: "2026-01-31".into(),
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
    }
}

#[test]
fn customers_and_plans_round_trip() {
    let mut db = db();
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
    c.netsapiens_domain = Some("acme.example".into());
    c.pk = tx.save_customer(&c).expect("save");
    tx.commit().expect("commit");

    let mut tx = db.store.read().expect("tx");
    assert_eq!(tx.customer("acme").expect("read"), Some(c.clone()));
    assert_eq!(tx.plans().expect("plans"), vec![plan]);
    assert_eq!(tx.customer("nobody").expect("read"), None);
}

#[test]
fn rates_keep_exact_prices_and_windows() {
    let mut db = db();
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
    let id = tx.insert_rate(&rate).expect("insert");
    tx.close_rate(id, 1_769_904_000_000_000).expect("close");
    tx.commit().expect("commit");
    let mut tx = db.store.read().expect("tx");
    let stored = tx.rates().expect("rates");
    let expected = Rate { id, window: Window { to: Some(1_769_904_000_000_000), ..rate.window }, ..rate };
    assert_eq!(stored, vec![expected]);
    assert_eq!(stored[0].price.to_string(), "0.12345678");
}

#[test]
fn reimport_counts_duplicates_updates_and_conflicts() {
    let mut db = db();
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
    let all = tx.calls(&CallQuery { customer_pk: c, from: None, to: None, answered_only: false, unbilled_only: false });
    let all = all.expect("calls");
    assert_eq!(all[1].call, changed_b);
    assert_eq!(all[2].call.duration, 60, "a billed call is left unchanged");
}

#[test]
fn calls_are_ordered_by_start_then_source_then_id_bytewise() {
    let mut db = db();
    let c = customer(&mut db.store, "c1");
    let mut ns = call(c, "1", 5, 10);
    ns.source = Source::Netsapiens;
    import(&mut db.store, &[call(c, "9", 5, 10), call(c, "10", 5, 10), ns, call(c, "0", 4, 10), call(c, "z", 6, 0)]);
    let mut tx = db.store.read().expect("tx");
    let q = CallQuery { customer_pk: c, from: Some(5), to: Some(7), answered_only: true, unbilled_only: true };
    let ids: Vec<(Source, String)> =
        tx.calls(&q).expect("calls").into_iter().map(|s| (s.call.source, s.call.source_call_id)).collect();
    assert_eq!(
        ids,
        vec![(Source::File, "10".into()), (Source::File, "9".into()), (Source::Netsapiens, "1".into())],
        "range [5, 7) answered only, ties by source name then id as bytes"
    );
}

#[test]
fn a_call_cannot_be_billed_twice() {
    let mut db = db();
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

#[test]
fn deleting_an_invoice_releases_calls_and_gives_back_allowance() {
    let mut db = db();
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
    assert_eq!(tx.invoices_for_range(c, "2026-01-01", "2026-01-31").expect("range"), vec![first, second]);
    assert_eq!(tx.delete_invoice(first).expect("delete"), DeleteOutcome::Deleted { calls_released: 1 });
    assert_eq!(tx.allowance_used(c).expect("used"), vec![(key, 20)]);
    assert_eq!(tx.invoice(first).expect("read"), None);
    assert_eq!(tx.delete_invoice(first).expect("again"), DeleteOutcome::NotFound);
    let inv = tx.invoice(second).expect("read").expect("second stays");
    assert_eq!((inv.customer.as_str(), inv.total, inv.lines.len()), ("c1", Amount::from_units(123), 1));
    tx.commit().expect("commit");
    assert_eq!(unbilled(&mut db.store, c).iter().map(|s| (s.pk, s.call.start)).collect::<Vec<_>>(), pks[..1].to_vec());
}

#[test]
fn reopening_applies_no_migration_twice() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}/meter.db", dir.path().display());
    let mut first = SqliteStore::open_url(&url).expect("open");
    assert!(first.migrate().expect("migrate").is_empty(), "open applied everything already");
    drop(first);
    let mut again = SqliteStore::open_url(&url).expect("reopen");
    assert!(again.migrate().expect("migrate").is_empty());
    assert!(SqliteStore::open_url("mysql://x").is_err());
}

#[test]
fn check_finds_what_does_not_add_up() {
    let mut db = db();
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
}
